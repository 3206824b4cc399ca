-- SAL funnel by ISO week of the MQL (Monday), over handoffs that entered
-- through mql; direct handoffs have no MQL week.
with

handoffs as (
    select * from {{ ref('fct_lead_handoffs') }}
),

final as (
    select
        mql_week,
        {{ sal_rate_measures() }}
    from handoffs
    where entry_stage = 'mql'
    group by mql_week
)

select * from final
