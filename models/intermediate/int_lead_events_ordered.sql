-- The lead timeline: each clean status change in the contract's event order,
-- numbered, with the handoff it belongs to and the event after it
-- (docs/contract.md, "Event order" and "Handoffs"; docs/handoff-model.md).
-- A handoff opens at every entry to mql, or at an assigned/accepted event while
-- none is open (entry_stage direct); it closes at its first decision. Whether
-- one is open before an event depends only on the last state-setting event
-- before it, so one sort of each lead's events computes the numbering, the
-- handoff state and the next event together.
{{ config(materialized='incremental_by_lead') }}
with

events as (
    -- each stage's role comes from the seed: accepted, recycled and
    -- disqualified are its decision stages (is_decision)
    select
        lead_events.*,
        coalesce(funnel_stages.is_decision, false) as is_decision_stage
    from {{ ref('stg_crm__lead_status_history') }} as lead_events
    left join {{ ref('funnel_stages') }} as funnel_stages
        on lead_events.stage = funnel_stages.stage
    where {{ only_affected_leads('lead_events.lead_id') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ only_affected_leads('lead_id') }}
),

numbered as (
    select
        *,
        cast(row_number() over lead_events as integer) as event_sequence,
        coalesce(
            {{ last_non_null_before(
                handoff_state('stage', 'is_decision_stage'), 'lead_id', ['changed_at', 'stage_order']
            ) }},
            false
        ) as is_handoff_open_before,
        lag(stage) over lead_events as previous_stage,
        lead(changed_at) over lead_events as next_changed_at,
        lead(stage) over lead_events as next_stage
    from events
    window lead_events as (partition by lead_id order by {{ event_order() }})
),

sequence_gaps as (
    -- a flag (docs/contract.md, "Cleaning rules"), with its evidence, where
    -- old_status and the previous stage are at hand: the first event of a lead
    -- has no previous status to disagree with. The rest of the timeline carries
    -- neither text, which costs the sort below and the write of every row
    -- (docs/performance.md, "Issue 13, round 4")
    select
        event_id,
        raw_row_number,
        lead_id,
        stage,
        changed_at,
        changed_by,
        raw_reason,
        normalized_reason,
        is_decision_stage,
        event_sequence,
        is_handoff_open_before,
        next_changed_at,
        next_stage,
        -- never null when flagged: is_sequence_gap (in final) is its presence
        case
            when previous_stage is not null and (old_stage is distinct from previous_stage)
                then
                    'old_status ' || coalesce('''' || old_status || '''', 'null')
                    || ' but the previous event is ' || previous_stage
        end as sequence_gap_detail
    from numbered
),

counted as (
    -- handoffs_started: how many handoffs the lead has opened so far
    select
        *,
        {{ opens_handoff('stage', 'is_handoff_open_before') }} as is_handoff_start,
        -- a rejection (a decision but acceptance) with no handoff open
        is_decision_stage and stage != 'accepted' and not is_handoff_open_before
            as is_decision_without_handoff,
        cast(sum(
            case when {{ opens_handoff('stage', 'is_handoff_open_before') }} then 1 else 0 end
        ) over (
            partition by lead_id order by event_sequence
            rows between unbounded preceding and current row
        ) as integer) as handoffs_started
    from sequence_gaps
),

final as (
    select
        counted.event_id,
        counted.raw_row_number,
        counted.lead_id,
        counted.event_sequence,
        counted.stage,
        counted.changed_at,
        counted.changed_by,
        counted.raw_reason,
        counted.normalized_reason,
        counted.sequence_gap_detail is not null as is_sequence_gap,
        counted.sequence_gap_detail,
        counted.next_changed_at,
        counted.next_stage,
        counted.is_handoff_open_before,
        counted.handoffs_started,
        counted.is_handoff_start,
        case
            when counted.is_handoff_start and counted.stage = 'mql' then 'mql'
            when counted.is_handoff_start then 'direct'
        end as entry_stage,
        -- acceptance always decides; a rejection only an open handoff
        counted.is_decision_stage
        and (counted.stage = 'accepted' or counted.is_handoff_open_before) as is_decision,
        counted.is_decision_without_handoff,
        -- events before the first handoff, and decisions without one, belong
        -- to no handoff
        case
            when not counted.is_decision_without_handoff
                then nullif(counted.handoffs_started, 0)
        end as handoff_number,
        leads.lead_id is null as is_orphan_lead,
        coalesce(
            counted.changed_at
            < {{ add_minutes('leads.created_at', -(var("clock_skew_minutes") | int)) }},
            false
        ) as is_before_lead_created
    from counted
    left join leads
        on counted.lead_id = leads.lead_id
)

select * from final
