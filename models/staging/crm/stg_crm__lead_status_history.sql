-- The clean status log: one row per kept status change. The verdicts are the
-- base model's; the order of a lead's events is int_lead_events_ordered's.
-- A view: the filter is cheap, and readers of one lead's rows (incremental
-- runs) push their lead filter down into the base table.
{{ config(materialized='view') }}

with

judged_events as (
    select * from {{ ref('base_crm__lead_status_history') }}
),

final as (
    select
        coalesce(event_id, content_row_key) as event_id,
        raw_row_number,
        raw_table,
        lead_id,
        stage,
        stage_order,
        old_status,
        old_stage,
        changed_at,
        changed_by,
        raw_reason,
        {{ normalize_label('raw_reason') }} as normalized_reason,
        loaded_at,
        is_missing_event_id
    from judged_events
    where drop_issue is null
)

select * from final
