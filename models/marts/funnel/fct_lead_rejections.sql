-- One row per recycled or disqualified handoff, with its reason.
-- A view: a filter of fct_lead_handoffs and a few of its columns, so it is
-- always exactly that mart's rejections, with no copy to write or patch
-- every night (docs/decisions.md, 36).
{{ config(materialized='view') }}
with

handoffs as (
    select * from {{ ref('fct_lead_handoffs') }}
),

final as (
    select
        handoff_id,
        lead_id,
        decision,
        decided_at as rejected_at,
        decided_at_local as rejected_at_local,
        cast(date_trunc('month', decided_at_local) as date) as rejected_month,
        reason_code,
        reason_category,
        raw_reason,
        decided_by,
        lead_source,
        segment,
        region,
        channel
    from handoffs
    -- every decision but acceptance (the seed's decision stages) is a rejection
    where decision not in ('accepted', 'pending')
)

select * from final
