-- The report date every SLA flag is measured against: the var as_of when set,
-- else the latest _loaded_at of the raw status log (contract: never the wall
-- clock, so a rebuild of the same data gives the same numbers). An aggregate
-- either way: exactly one row, even for an empty export.
{% set as_of_literal = "'" ~ var('as_of') ~ "'" %}
{% set as_of_expression = (
    "coalesce(" ~ parse_iso_timestamp(as_of_literal) ~ ", try_cast(" ~ as_of_literal
    ~ " as timestamp), max(loaded_at))"
    if var('as_of') else 'max(loaded_at)'
) %}

with

judged_events as (
    select * from {{ ref('base_crm__lead_status_history') }}
),

final as (
    select {{ as_of_expression }} as as_of
    from judged_events
)

select * from final
