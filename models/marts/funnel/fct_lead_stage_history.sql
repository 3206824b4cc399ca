-- The reconstructed timeline: one row per stage interval of a lead, from one
-- clean status change to the next (the next event comes from the window that
-- orders the lead's events, int_lead_events_ordered).
-- A view: every column is the timeline's, renamed or one step from it, so a
-- second 4.7M-row copy would cost a build more than it saves a reader
-- (docs/decisions.md, 36).
{{ config(materialized='view') }}
with

ordered_events as (
    select * from {{ ref('int_lead_events_ordered') }}
),

final as (
    select
        lead_id || '-' || event_sequence as stage_interval_id,
        lead_id,
        event_sequence as stage_sequence,
        event_id,
        stage,
        changed_at as entered_at,
        next_changed_at as exited_at,
        next_stage,
        {{ hours_between('changed_at', 'next_changed_at') }} as hours_in_stage,
        handoff_number,
        next_changed_at is null as is_current,
        is_decision_without_handoff
    from ordered_events
)

select * from final
