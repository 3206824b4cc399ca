-- The weekly SAL measures at the grain month x lead source x segment x
-- channel x motion.
with

handoffs as (
    select * from {{ ref('fct_lead_handoffs') }}
),

final as (
    select
        mql_month,
        lead_source,
        segment,
        channel,
        motion,
        {{ sal_rate_measures() }}
    from handoffs
    where entry_stage = 'mql'
    group by mql_month, lead_source, segment, channel, motion
)

select * from final
