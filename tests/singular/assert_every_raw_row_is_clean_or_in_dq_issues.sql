-- Nothing is lost (docs/contract.md, "Cleaning rules"): each raw row is either in its clean staging
-- model or in dq_issues as dropped, never both, never neither.
with

judged as (
    select * from {{ ref('stg_crm__raw_rows') }}
),

dropped as (
    select
        source,
        raw_row_number,
        count(*) as drops
    from {{ ref('dq_issues') }}
    where action = 'dropped'
    group by source, raw_row_number
),

raw_rows as (
    {%- if crm_source() == 'salesforce' %}
    -- Salesforce: the status field's rows of lead_history (its other fields'
    -- rows are no status changes) and every row of the other tables
    select
        'lead_history' as source,
        count(*) as raw_rows
    from {{ source('salesforce', 'lead_history') }}
    where lower(trim(field)) = {{ sql_string(var('salesforce_status_field') | lower) }}
    {%- for table in ['lead', 'task', 'event'] %}
    {%- set relation = source('salesforce', table) %}
    {%- if table != 'event' or salesforce_has_event() %}
    union all
    select
        '{{ table }}' as source,
        count(*) as raw_rows
    from {{ relation }}
    {%- endif %}
    {%- endfor %}
    {%- elif crm_source() == 'hubspot' %}
    -- HubSpot: the status property's history rows (other properties' rows are
    -- no status changes), every contact and every engagement's contact
    select
        'contact_property_history' as source,
        count(*) as raw_rows
    from {{ source('hubspot', 'contact_property_history') }}
    where lower(trim(name)) = {{ sql_string(var('hubspot_status_property') | lower) }}
    {%- for table in ['contact', 'engagement_contact'] %}
    union all
    select
        '{{ table }}' as source,
        count(*) as raw_rows
    from {{ source('hubspot', table) }}
    {%- endfor %}
    {%- else %}
    {%- for file in ['lead_status_history', 'leads', 'activities'] %}
    select
        '{{ file }}' as source,
        count(*) as raw_rows
    from {{ source('crm', file) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endif %}
),

judged_counts as (
    select
        source,
        count(*) as judged_rows
    from judged
    group by source
),

mismatches as (
    select
        judged.source,
        judged.raw_row_number,
        'drop not reported once' as problem
    from judged
    left join dropped
        on judged.source = dropped.source and judged.raw_row_number = dropped.raw_row_number
    where (judged.drop_issue is null) != (dropped.drops is null) or dropped.drops > 1
    union all
    select
        raw_rows.source,
        null as raw_row_number,
        'judged rows differ from raw rows' as problem
    from raw_rows
    left join judged_counts
        on raw_rows.source = judged_counts.source
    where raw_rows.raw_rows != coalesce(judged_counts.judged_rows, 0)
)

select * from mismatches
