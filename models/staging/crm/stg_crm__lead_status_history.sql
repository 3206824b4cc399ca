-- The clean status log: one row per kept status change, in the contract's
-- per-lead order (event_sequence 1, 2, ...). Ordering and deduplication are
-- done once, in the base model; everything downstream reads event_sequence.
-- A view: the filter is cheap, and readers of one lead's rows (incremental
-- runs) push their lead filter down into the base table.
{{ config(materialized='view') }}

with

judged_events as (
    select * from {{ ref('base_crm__lead_status_history') }}
),

final as (
    select
        row_key as event_id,
        raw_row_number,
        lead_id,
        event_sequence,
        stage,
        stage_order,
        previous_stage,
        is_handoff_open_before,
        handoffs_started,
        old_stage,
        new_status,
        changed_at,
        changed_by,
        raw_reason,
        {{ normalize_label('raw_reason') }} as normalized_reason,
        loaded_at,
        is_sequence_gap,
        is_missing_event_id
    from judged_events
    where drop_issue is null
)

select * from final
