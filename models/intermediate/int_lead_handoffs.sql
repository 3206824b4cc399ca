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

decisions as (
    select * from {{ ref('int_lead_decisions') }}
    where {{ only_affected_leads('lead_id') }}
),

spans as (
    -- each handoff's events: its start (the only event with an entry_stage)
    -- and its first assignment
    select
        lead_id,
        handoff_number,
        min(changed_at) filter (where is_handoff_start) as started_at,
        max(entry_stage) as entry_stage,
        min(changed_at) filter (where stage = 'assigned') as assigned_at
    from ordered_events
    where handoff_number is not null
    group by lead_id, handoff_number
),

handoffs as (
    select
        spans.lead_id,
        spans.handoff_number,
        spans.entry_stage,
        spans.started_at,
        lead(spans.started_at) over (
            partition by spans.lead_id order by spans.handoff_number
        ) as next_handoff_started_at,
        case when spans.entry_stage = 'mql' then spans.started_at end as mql_at,
        spans.assigned_at,
        coalesce(spans.assigned_at, spans.started_at) as review_started_at,
        coalesce(decisions.decision, 'pending') as decision,
        decisions.decided_at,
        decisions.decided_by,
        decisions.decision_event_id,
        decisions.raw_reason,
        decisions.reason_code,
        decisions.reason_category,
        coalesce(decisions.is_unmapped_reason, false) as is_unmapped_reason,
        case when decisions.decision = 'accepted' then decisions.decided_at end as accepted_at,
        -- the same partition and order as lead() above: one sort for both
        max(case when decisions.decision = 'accepted' then spans.handoff_number end) over (
            partition by spans.lead_id order by spans.handoff_number
            rows between unbounded preceding and unbounded following
        ) as last_accepted_handoff_number
    from spans
    left join decisions
        on
            spans.lead_id = decisions.lead_id
            and spans.handoff_number = decisions.handoff_number
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
        handoffs.reason_code,
        handoffs.reason_category,
        handoffs.is_unmapped_reason,
        handoffs.accepted_at,
        after_acceptance.first_touch_at,
        {{ hours_between('handoffs.review_started_at', 'handoffs.decided_at') }} as tta_hours,
        {{ hours_between('handoffs.accepted_at', 'after_acceptance.first_touch_at') }}
            as ttft_hours,
        coalesce(after_acceptance.reached_sql, false) as reached_sql,
        coalesce(after_acceptance.reached_opportunity, false) as reached_opportunity,
        coalesce(
            handoffs.decision = 'recycled'
            and handoffs.last_accepted_handoff_number > handoffs.handoff_number,
            false
        ) as is_recycled_then_accepted
    from handoffs
    left join after_acceptance
        on
            handoffs.lead_id = after_acceptance.lead_id
            and handoffs.handoff_number = after_acceptance.handoff_number
)

select * from final
