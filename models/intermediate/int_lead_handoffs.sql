-- One row per handoff (docs/contract.md, "Handoffs"): its start, first assignment,
-- decision with reason, and what happened after acceptance (first touch, SQL,
-- opportunity) up to the start of the lead's next handoff.
{{ config(materialized='incremental_by_lead') }}
with

ordered_events as (
    select * from {{ ref('int_lead_events_ordered') }}
    where {{ only_affected_leads('lead_id') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
    where {{ only_affected_leads('lead_id') }}
),

reason_map as (
    select * from {{ ref('rejection_reason_map') }}
),

starts as (
    select
        lead_id,
        handoff_number,
        entry_stage,
        changed_at as started_at,
        lead(changed_at) over (
            partition by lead_id order by handoff_number
        ) as next_handoff_started_at
    from ordered_events
    where is_handoff_start
),

assignments as (
    select
        lead_id,
        handoff_number,
        min(changed_at) as assigned_at
    from ordered_events
    where stage = 'assigned' and handoff_number is not null
    group by lead_id, handoff_number
),

decisions as (
    select
        ordered_events.lead_id,
        ordered_events.handoff_number,
        ordered_events.event_id as decision_event_id,
        ordered_events.stage as decision,
        ordered_events.changed_at as decided_at,
        ordered_events.changed_by as decided_by,
        ordered_events.raw_reason,
        ordered_events.normalized_reason,
        reason_map.reason_code as mapped_reason_code,
        reason_map.reason_category as mapped_reason_category
    from ordered_events
    left join reason_map
        on ordered_events.normalized_reason = reason_map.raw_reason
    where ordered_events.is_decision
),

handoffs as (
    select
        starts.lead_id,
        starts.handoff_number,
        starts.entry_stage,
        starts.started_at,
        starts.next_handoff_started_at,
        case when starts.entry_stage = 'mql' then starts.started_at end as mql_at,
        assignments.assigned_at,
        coalesce(assignments.assigned_at, starts.started_at) as review_started_at,
        decisions.decision_event_id,
        coalesce(decisions.decision, 'pending') as decision,
        decisions.decided_at,
        decisions.decided_by,
        decisions.raw_reason,
        decisions.normalized_reason,
        decisions.mapped_reason_code,
        decisions.mapped_reason_category,
        case when decisions.decision = 'accepted' then decisions.decided_at end as accepted_at
    from starts
    left join assignments
        on
            starts.lead_id = assignments.lead_id
            and starts.handoff_number = assignments.handoff_number
    left join decisions
        on
            starts.lead_id = decisions.lead_id
            and starts.handoff_number = decisions.handoff_number
),

post_acceptance_events as (
    -- a first touch is an outreach activity or a contacted event
    select
        lead_id,
        occurred_at as happened_at,
        'touch' as kind
    from activities
    where is_outreach
    union all
    select
        lead_id,
        changed_at as happened_at,
        case when stage = 'contacted' then 'touch' else stage end as kind
    from ordered_events
    where stage in ('contacted', 'sql', 'opportunity')
),

after_acceptance as (
    -- what happened at or after acceptance and before the next handoff starts
    select
        handoffs.lead_id,
        handoffs.handoff_number,
        min(post_acceptance_events.happened_at)
        filter (where post_acceptance_events.kind = 'touch') as first_touch_at,
        bool_or(post_acceptance_events.kind = 'sql') as reached_sql,
        bool_or(post_acceptance_events.kind = 'opportunity') as reached_opportunity
    from handoffs
    inner join post_acceptance_events
        on
            handoffs.lead_id = post_acceptance_events.lead_id
            and handoffs.accepted_at <= post_acceptance_events.happened_at
            and (
                handoffs.next_handoff_started_at is null
                or handoffs.next_handoff_started_at > post_acceptance_events.happened_at
            )
    group by handoffs.lead_id, handoffs.handoff_number
),

final as (
    select
        handoffs.lead_id || '-' || handoffs.handoff_number as handoff_id,
        handoffs.lead_id,
        handoffs.handoff_number,
        handoffs.entry_stage,
        handoffs.started_at,
        handoffs.next_handoff_started_at,
        handoffs.mql_at,
        handoffs.assigned_at,
        handoffs.review_started_at,
        handoffs.decision,
        handoffs.decided_at,
        handoffs.decided_by,
        handoffs.decision_event_id,
        handoffs.raw_reason,
        -- reasons are rejection facts: blank -> unspecified, not in the map ->
        -- unmapped; those (and `other`) take their decision's category
        case
            when handoffs.decision not in ('recycled', 'disqualified') then null
            when handoffs.normalized_reason is null then 'unspecified'
            when handoffs.mapped_reason_code is null then 'unmapped'
            else handoffs.mapped_reason_code
        end as reason_code,
        case
            when handoffs.decision not in ('recycled', 'disqualified') then null
            when handoffs.mapped_reason_category is not null
                then handoffs.mapped_reason_category
            when handoffs.decision = 'recycled' then 'recycle'
            else 'disqualify'
        end as reason_category,
        handoffs.decision in ('recycled', 'disqualified')
        and handoffs.normalized_reason is not null
        and handoffs.mapped_reason_code is null as is_unmapped_reason,
        handoffs.accepted_at,
        after_acceptance.first_touch_at,
        {{ hours_between('handoffs.review_started_at', 'handoffs.decided_at') }} as tta_hours,
        {{ hours_between('handoffs.accepted_at', 'after_acceptance.first_touch_at') }}
            as ttft_hours,
        coalesce(after_acceptance.reached_sql, false) as reached_sql,
        coalesce(after_acceptance.reached_opportunity, false) as reached_opportunity,
        coalesce(
            handoffs.decision = 'recycled'
            and max(case when handoffs.decision = 'accepted' then handoffs.handoff_number end)
                over (partition by handoffs.lead_id)
            > handoffs.handoff_number,
            false
        ) as is_recycled_then_accepted
    from handoffs
    left join after_acceptance
        on
            handoffs.lead_id = after_acceptance.lead_id
            and handoffs.handoff_number = after_acceptance.handoff_number
)

select * from final
