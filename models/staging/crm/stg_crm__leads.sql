-- The clean leads: one row per lead, its latest row, with attributes
-- normalized to the canonical values of the seeds. The email arrives already
-- hashed (base_crm__leads), the company not at all.
-- A table, incremental by lead: readers join it for a few columns, and the
-- seeds' mappings are applied once per distinct raw value, not per row.
{{ config(materialized='incremental_by_lead') }}
{%- set attributes = ['lead_source', 'channel', 'segment', 'region', 'is_existing_customer'] %}
with

judged_leads as (
    select * from {{ ref('base_crm__leads') }}
),

attribute_map as (
    select * from {{ ref('lead_attribute_map') }}
),

lead_sources as (
    select * from {{ ref('lead_source_priority') }}
),

kept as (
    select * from judged_leads
    where drop_issue is null and {{ only_affected_leads('lead_id') }}
),

dropped_initial_statuses as (
    -- a Salesforce lead's initial status is derived from its row, not a raw
    -- row of its own: a rule's drop of it is a flag on the lead (dq_issues)
    select
        lead_id,
        'initial status dropped as ' || drop_issue || coalesce(': ' || drop_detail, '')
            as detail
    from {{ ref('base_crm__lead_status_history') }}
    where raw_table = 'lead' and drop_issue is not null and {{ only_affected_leads('lead_id') }}
),

raw_values as (
    {%- for attribute in attributes %}
    select distinct
        '{{ attribute }}' as attribute,
        {{ attribute }} as raw_text
    from kept
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

mapped_values as (
    -- a value the seed knows gets its canonical spelling; others keep their
    -- trimmed text rather than being lost (blank: unknown)
    select
        raw_values.attribute,
        raw_values.raw_text,
        case raw_values.attribute
            when 'lead_source'
                then coalesce(
                        lead_sources.lead_source,
                        nullif(trim({{ collapse_whitespace('raw_values.raw_text') }}), ''),
                        'unknown'
                    )
            when 'channel' then coalesce(attribute_map.canonical_value, 'unknown')
            when 'segment'
                then coalesce(
                        attribute_map.canonical_value,
                        nullif(trim(raw_values.raw_text), ''),
                        'unknown'
                    )
            when 'region'
                then coalesce(
                        attribute_map.canonical_value,
                        nullif(upper(trim(raw_values.raw_text)), ''),
                        'unknown'
                    )
            else attribute_map.canonical_value
        end as canonical_value
    from raw_values
    left join attribute_map
        on
            raw_values.attribute = attribute_map.attribute
            and {{ normalize_label('raw_values.raw_text') }} = attribute_map.raw_value
    left join lead_sources
        on
            raw_values.attribute = 'lead_source'
            and {{ normalize_label('raw_values.raw_text') }} = lower(lead_sources.lead_source)
),

final as (
    select
        kept.lead_id,
        kept.raw_row_number,
        kept.raw_table,
        kept.created_at,
        kept.updated_at,
        kept.loaded_at,
        source_values.canonical_value as lead_source,
        channel_values.canonical_value as channel,
        segment_values.canonical_value as segment,
        region_values.canonical_value as region,
        coalesce(nullif(trim(kept.industry), ''), 'unknown') as industry,
        cast(customer_values.canonical_value as boolean) as is_existing_customer,
        {{ blank_to_null('kept.owner_id') }} as owner_id,
        kept.email_hash,
        kept.merged_lead_ids,
        kept.is_invalid_created_at,
        kept.invalid_created_at_text,
        dropped_initial_statuses.detail as bad_initial_status_detail
    from kept
    {%- for attribute, alias in [
        ('lead_source', 'source_values'), ('channel', 'channel_values'), ('segment', 'segment_values'),
        ('region', 'region_values'), ('is_existing_customer', 'customer_values'),
    ] %}
left join mapped_values as {{ alias }}
    on
        {{ alias }}.attribute = '{{ attribute }}'
        and {{ text_equal_or_both_null('kept.' ~ attribute, alias ~ '.raw_text') }}
    {%- endfor %}
    left join dropped_initial_statuses on kept.lead_id = dropped_initial_statuses.lead_id
)

select * from final
