-- One row per recycled or disqualified handoff, with its reason.
-- Incremental by lead (docs/incremental.md): a rejection's row changes only
-- with its lead's events or attributes. as_of moves only pending handoffs and
-- accepted ones awaiting a touch (as_of_sensitive_handoffs), never a rejection.
{{ config(materialized='incremental_by_lead') }}
with

handoffs as (
    select * from {{ ref('fct_lead_handoffs') }}
    where {{ only_affected_leads('lead_id') }}
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
