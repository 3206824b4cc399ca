-- One row per handoff (a pass of a lead through sales review), with SLA flags
-- measured against as_of and business-hours twins of TTA and TTFT.
with

handoffs as (
    select * from {{ ref('int_lead_handoffs') }}
),

lead_attributes as (
    select * from {{ ref('int_lead_attributes') }}
),

run_as_of as (
    select * from {{ ref('int_run_as_of') }}
),

business_calendar as (
    select * from {{ ref('int_business_calendar') }}
),

local_times as (
    select
        handoffs.*,
        {{ as_local_time('handoffs.review_started_at') }} as review_started_local,
        {{ as_local_time('handoffs.decided_at') }} as decided_local,
        {{ as_local_time('handoffs.accepted_at') }} as accepted_local,
        {{ as_local_time('handoffs.first_touch_at') }} as first_touch_local
    from handoffs
),

business_hours as (
    select
        local_times.handoff_id,
        (
            ({{ business_seconds_at('local_times.decided_local', 'decided_day') }})
            - ({{ business_seconds_at('local_times.review_started_local', 'review_day') }})
        ) / 3600.0 as tta_business_hours,
        (
            ({{ business_seconds_at('local_times.first_touch_local', 'touch_day') }})
            - ({{ business_seconds_at('local_times.accepted_local', 'accepted_day') }})
        ) / 3600.0 as ttft_business_hours
    from local_times
    left join business_calendar as review_day
        on cast(local_times.review_started_local as date) = review_day.calendar_date
    left join business_calendar as decided_day
        on cast(local_times.decided_local as date) = decided_day.calendar_date
    left join business_calendar as accepted_day
        on cast(local_times.accepted_local as date) = accepted_day.calendar_date
    left join business_calendar as touch_day
        on cast(local_times.first_touch_local as date) = touch_day.calendar_date
),

final as (
    select
        handoffs.handoff_id,
        handoffs.lead_id,
        handoffs.handoff_number,
        handoffs.entry_stage,
        handoffs.mql_at,
        handoffs.assigned_at,
        handoffs.review_started_at,
        handoffs.decision,
        handoffs.decided_at,
        handoffs.decided_by,
        handoffs.reason_code,
        handoffs.reason_category,
        handoffs.accepted_at,
        handoffs.first_touch_at,
        handoffs.tta_hours,
        business_hours.tta_business_hours,
        handoffs.ttft_hours,
        business_hours.ttft_business_hours,
        lead_attributes.priority,
        lead_attributes.accept_sla_hours,
        -- contract: decided -> within SLA; pending -> null inside the SLA,
        -- false once past it
        case
            when handoffs.decision != 'pending'
                then handoffs.tta_hours <= lead_attributes.accept_sla_hours
            when
                {{ hours_between('handoffs.review_started_at', 'run_as_of.as_of') }}
                > lead_attributes.accept_sla_hours
                then false
        end as is_accept_sla_met,
        coalesce(
            handoffs.decision = 'pending'
            and {{ hours_between('handoffs.review_started_at', 'run_as_of.as_of') }}
            > lead_attributes.accept_sla_hours,
            false
        ) as is_pending_past_sla,
        case
            when handoffs.accepted_at is null then null
            when handoffs.first_touch_at is not null
                then handoffs.ttft_hours <= lead_attributes.first_touch_sla_hours
            when
                {{ hours_between('handoffs.accepted_at', 'run_as_of.as_of') }}
                > lead_attributes.first_touch_sla_hours
                then false
        end as is_first_touch_sla_met,
        handoffs.reached_sql,
        handoffs.reached_opportunity,
        handoffs.is_recycled_then_accepted,
        lead_attributes.lead_source,
        lead_attributes.channel,
        lead_attributes.segment,
        lead_attributes.region,
        lead_attributes.motion,
        lead_attributes.first_touch_sla_hours,
        handoffs.raw_reason,
        handoffs.started_at,
        cast(date_trunc('week', handoffs.mql_at) as date) as mql_week,
        cast(date_trunc('month', handoffs.mql_at) as date) as mql_month,
        lead_attributes.is_orphan_lead
    from handoffs
    inner join lead_attributes
        on handoffs.lead_id = lead_attributes.lead_id
    cross join run_as_of
    left join business_hours
        on handoffs.handoff_id = business_hours.handoff_id
)

select * from final
