-- One row per handoff decision (accepted, recycled, disqualified) with its
-- rejection reason mapped (docs/contract.md, "Handoffs" and "Metrics"):
-- reasons are rejection facts; blank -> unspecified, not in the map ->
-- unmapped, and those (and `other`) take their decision's category.
-- A view: int_lead_handoffs reads it once, for this run's leads.
{{ config(materialized='view') }}
with

ordered_events as (
    select * from {{ ref('int_lead_events_ordered') }}
),

reason_map as (
    select * from {{ ref('rejection_reason_map') }}
),

final as (
    select
        ordered_events.lead_id,
        ordered_events.handoff_number,
        ordered_events.event_id as decision_event_id,
        ordered_events.stage as decision,
        ordered_events.changed_at as decided_at,
        ordered_events.changed_by as decided_by,
        ordered_events.raw_reason,
        case
            when ordered_events.stage = 'accepted' then null
            when ordered_events.normalized_reason is null then 'unspecified'
            else coalesce(reason_map.reason_code, 'unmapped')
        end as reason_code,
        case
            when ordered_events.stage = 'accepted' then null
            when reason_map.reason_category is not null then reason_map.reason_category
            when ordered_events.stage = 'recycled' then 'recycle'
            else 'disqualify'
        end as reason_category,
        ordered_events.stage <> 'accepted'
        and ordered_events.normalized_reason is not null
        and reason_map.reason_code is null as is_unmapped_reason
    from ordered_events
    left join reason_map
        on ordered_events.normalized_reason = reason_map.raw_reason
    where ordered_events.is_decision
)

select * from final
