-- Each clean status change with the handoff it belongs to (docs/contract.md,
-- "Handoffs"). A handoff opens at every entry to mql, or at an assigned/accepted
-- event while none is open (entry_stage direct); it closes at its first
-- accepted/recycled/disqualified event. Whether a handoff is open before an
-- event depends only on the last state-setting event before it (mql and
-- assigned open, a decision closes), so the per-lead window that numbers the
-- events computes it (and the running count of handoffs) in the same pass.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_affected_leads('lead_id') }}",
) }}
-- depends_on: {{ ref('base_crm__affected_leads') }}
with

events as (
    select * from {{ ref('stg_crm__lead_status_history') }}
    where {{ only_affected_leads('lead_id') }}
),

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ only_affected_leads('lead_id') }}
),

classified as (
    -- is_handoff_open_before and handoffs_started come from the per-lead
    -- window that numbers the events (base_crm__lead_status_history, macros
    -- handoff_state and opens_handoff), so the timeline is sorted once
    select
        *,
        {{ opens_handoff('stage', 'is_handoff_open_before') }} as is_handoff_start,
        stage in ('recycled', 'disqualified') and not is_handoff_open_before
            as is_decision_without_handoff
    from events
),

numbered as (
    select
        *,
        (stage = 'accepted' or (stage in ('recycled', 'disqualified') and is_handoff_open_before))
        and not is_decision_without_handoff as is_decision
    from classified
),

final as (
    select
        numbered.event_id,
        numbered.raw_row_number,
        numbered.lead_id,
        numbered.event_sequence,
        numbered.stage,
        numbered.changed_at,
        numbered.changed_by,
        numbered.raw_reason,
        numbered.normalized_reason,
        numbered.is_handoff_start,
        case
            when numbered.is_handoff_start and numbered.stage = 'mql' then 'mql'
            when numbered.is_handoff_start then 'direct'
        end as entry_stage,
        numbered.is_decision,
        numbered.is_decision_without_handoff,
        -- events before the first handoff, and decisions without one, belong
        -- to no handoff
        case
            when not numbered.is_decision_without_handoff
                then nullif(numbered.handoffs_started, 0)
        end as handoff_number,
        leads.lead_id is null as is_orphan_lead,
        coalesce(
            numbered.changed_at
            < leads.created_at - interval '{{ var("clock_skew_minutes") }} minutes',
            false
        ) as is_before_lead_created
    from numbered
    left join leads
        on numbered.lead_id = leads.lead_id
)

select * from final
