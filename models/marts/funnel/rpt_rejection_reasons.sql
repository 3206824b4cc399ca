-- Rejections per month, decision type and reason code, with the reason's share
-- of all rejections of that decision type in that month.
with

rejections as (
    select * from {{ ref('fct_lead_rejections') }}
),

counted as (
    select
        rejected_month,
        decision,
        reason_code,
        min(reason_category) as reason_category,
        count(*) as rejections
    from rejections
    group by rejected_month, decision, reason_code
),

final as (
    select
        *,
        {{ ratio('rejections', 'sum(rejections) over (partition by rejected_month, decision)') }}
            as share_of_month
    from counted
)

select * from final
