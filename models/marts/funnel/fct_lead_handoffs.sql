-- One row per handoff (a pass of a lead through sales review): SLA flags against
-- as_of, business-hours twins of TTA and TTFT, reporting-time-zone twins of times.
-- Incremental by lead (docs/incremental.md), plus the handoffs as_of still moves.
{{ config(materialized='incremental_by_lead', also_replace=as_of_sensitive_handoffs()) }}
with

handoffs as (
    select * from {{ ref('int_lead_handoffs') }} as all_handoffs
    where
        {{ only_affected_leads('all_handoffs.lead_id') }}
        {%- if is_incremental() %}
        or all_handoffs.handoff_id in (
            select built.handoff_id from {{ this }} as built
            where {{ as_of_sensitive_handoffs('built.') }}
        )
        {%- endif %}
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

clocked as (
    -- where each handoff stands against its SLAs at as_of, computed once
    select
        handoffs.*,
        lead_attributes.priority,
        lead_attributes.accept_sla_hours,
        lead_attributes.first_touch_sla_hours,
        lead_attributes.lead_source,
        lead_attributes.channel,
        lead_attributes.segment,
        lead_attributes.region,
        lead_attributes.motion,
        lead_attributes.is_orphan_lead,
        {{ hours_between('handoffs.review_started_at', 'run_as_of.as_of') }}
        > lead_attributes.accept_sla_hours as is_past_accept_sla_at_as_of,
        {{ hours_between('handoffs.accepted_at', 'run_as_of.as_of') }}
        > lead_attributes.first_touch_sla_hours as is_past_first_touch_sla_at_as_of
    from handoffs
    inner join lead_attributes
        on handoffs.lead_id = lead_attributes.lead_id
    cross join run_as_of
),

final as (
    select
        clocked.handoff_id,
        clocked.lead_id,
        clocked.handoff_number,
        clocked.entry_stage,
        clocked.mql_at,
        clocked.assigned_at,
        clocked.review_started_at,
        clocked.decision,
        clocked.decided_at,
        clocked.decided_by,
        clocked.reason_code,
        clocked.reason_category,
        clocked.accepted_at,
        clocked.first_touch_at,
        clocked.tta_hours,
        business_hours.tta_business_hours,
        clocked.ttft_hours,
        business_hours.ttft_business_hours,
        clocked.priority,
        clocked.accept_sla_hours,
        -- contract: decided -> within SLA; pending -> null inside the SLA,
        -- false once past it
        case
            when clocked.decision != 'pending'
                then clocked.tta_hours <= clocked.accept_sla_hours
            when clocked.is_past_accept_sla_at_as_of then false
        end as is_accept_sla_met,
        coalesce(
            clocked.decision = 'pending'
            and clocked.is_past_accept_sla_at_as_of,
            false
        ) as is_pending_past_sla,
        case
            when clocked.accepted_at is null then null
            when clocked.first_touch_at is not null
                then clocked.ttft_hours <= clocked.first_touch_sla_hours
            when clocked.is_past_first_touch_sla_at_as_of then false
        end as is_first_touch_sla_met,
        clocked.reached_sql,
        clocked.reached_opportunity,
        clocked.is_recycled_then_accepted,
        clocked.lead_source,
        clocked.channel,
        clocked.segment,
        clocked.region,
        clocked.motion,
        clocked.first_touch_sla_hours,
        clocked.raw_reason,
        clocked.started_at,
        {{ as_reporting_time('clocked.mql_at') }} as mql_at_local,
        {{ as_reporting_time('clocked.review_started_at') }} as review_started_at_local,
        {{ as_reporting_time('clocked.decided_at') }} as decided_at_local,
        {{ as_reporting_time('clocked.accepted_at') }} as accepted_at_local,
        {{ as_reporting_time('clocked.first_touch_at') }} as first_touch_at_local,
        cast(date_trunc('week', {{ as_reporting_time('clocked.mql_at') }}) as date) as mql_week,
        cast(date_trunc('month', {{ as_reporting_time('clocked.mql_at') }}) as date) as mql_month,
        clocked.is_orphan_lead
    from clocked
    left join business_hours
        on clocked.handoff_id = business_hours.handoff_id
)

select * from final
