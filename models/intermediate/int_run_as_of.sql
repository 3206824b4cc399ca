-- The report date every SLA flag is measured against: the var as_of when set,
-- else the latest _loaded_at of the raw status log (docs/contract.md, "Metrics": never the wall
-- clock, so a rebuild of the same data gives the same numbers; a future
-- _loaded_at is no load time at all). An aggregate either way: exactly one
-- row, even for an empty export.
{%- set as_of = var('as_of') %}
{%- if as_of is not none and as_of | string | trim != '' %}
{%- set as_of_text = as_of | string | trim %}
{%- set as_of_message = (
    "crm-funnel: var as_of='" ~ as_of_text ~ "' is not a date or time; expected a date"
    ~ " (2024-06-30) or an ISO 8601 time (2024-06-30T00:00:00Z, 2024-06-30 08:00:00+02:00;"
    ~ " no offset means UTC)"
) %}
{%- if not modules.re.fullmatch(
    '\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?', as_of_text
) %}
{{ exceptions.raise_compiler_error(as_of_message) }}
{%- endif %}
{%- set as_of_literal = "'" ~ as_of_text ~ "'" %}
{#- a date that does not exist (2024-02-30) passes the pattern; the query stops on it -#}
{%- set as_of_expression = (
    "coalesce(" ~ parse_iso_timestamp(as_of_literal) ~ ", "
    ~ dbt.safe_cast(as_of_literal, api.Column.translate_type('timestamp')) ~ ", "
    ~ fail_query("'" ~ as_of_message | replace("'", "''") ~ "'", 'timestamp')
    ~ ", max(loaded_at))"
) %}
{%- else %}
{%- set as_of_expression = 'max(loaded_at)' %}
{%- endif %}

with

raw_rows as (
    select * from {{ ref('stg_crm__raw_rows') }}
),

final as (
    select {{ as_of_expression }} as as_of
    from raw_rows
    where source = 'lead_status_history'
)

select * from final
