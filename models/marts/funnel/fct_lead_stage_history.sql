-- The reconstructed timeline: one row per stage interval of a lead, from one
-- clean status change to the next.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_affected_leads('lead_id') }}",
) }}
-- depends_on: {{ ref('base_crm__affected_leads') }}
with

cycled_events as (
    select * from {{ ref('int_lead_events_cycled') }}
    where {{ only_affected_leads('lead_id') }}
),

final as (
    select
        lead_id || '-' || event_sequence as stage_interval_id,
        lead_id,
        event_sequence as stage_sequence,
        event_id,
        stage,
        changed_at as entered_at,
        lead(changed_at) over lead_timeline as exited_at,
        lead(stage) over lead_timeline as next_stage,
        {{ hours_between('changed_at', 'lead(changed_at) over lead_timeline') }}
            as hours_in_stage,
        handoff_number,
        lead(changed_at) over lead_timeline is null as is_current,
        is_decision_without_handoff
    from cycled_events
    window lead_timeline as (partition by lead_id order by event_sequence)
)

select * from final
