-- The clean activities: one row per kept activity; is_outreach marks the
-- types that count as a first touch (seed activity_types; for a connector
-- source, its var, e.g. hubspot_outreach_types: docs/sources.md).
-- A view: the filter is cheap, and readers of one lead's rows (incremental
-- runs) push their lead filter down into the base table.
{{ config(materialized='view') }}

with

judged_activities as (
    select * from {{ ref('base_crm__activities') }}
),

{%- set outreach = outreach_types() %}

activity_types as (
    {%- if outreach is none %}
    select * from {{ ref('activity_types') }}
    {%- else %}
    -- a connector source's outreach types (its var)
    {%- for type in outreach %}
    select
        {{ sql_string(type) }} as activity_type,
        true as is_outreach
    union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as activity_type,
        false as is_outreach
    {%- endif %}
),

final as (
    select
        coalesce(judged_activities.activity_id, judged_activities.content_row_key) as activity_id,
        judged_activities.lead_id,
        judged_activities.activity_type,
        judged_activities.occurred_at,
        judged_activities.performed_by,
        judged_activities.loaded_at,
        coalesce(activity_types.is_outreach, false) as is_outreach
    from judged_activities
    left join activity_types
        on judged_activities.activity_type = activity_types.activity_type
    where judged_activities.drop_issue is null
)

select * from final
