-- The clean leads: one row per lead, its latest row, with attributes
-- normalized to the canonical values of the seeds. PII stays here: the email
-- leaves staging only as a salted hash, the company not at all.
-- A view: the filter is cheap, and readers of one lead's rows (incremental
-- runs) push their lead filter down into the base table.
{{ config(materialized='view') }}

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
    where drop_issue is null
),

final as (
    select
        kept.lead_id,
        kept.created_at,
        kept.updated_at,
        kept.loaded_at,
        -- a source the seed knows gets its canonical spelling; others keep
        -- their trimmed text rather than being lost
        coalesce(
            lead_sources.lead_source,
            nullif(trim(regexp_replace(kept.lead_source, '\s+', ' ', 'g')), ''),
            'unknown'
        ) as lead_source,
        coalesce(channels.canonical_value, 'unknown') as channel,
        coalesce(
            segments.canonical_value,
            nullif(trim(kept.segment), ''),
            'unknown'
        ) as segment,
        coalesce(
            regions.canonical_value,
            nullif(upper(trim(kept.region)), ''),
            'unknown'
        ) as region,
        coalesce(nullif(trim(kept.industry), ''), 'unknown') as industry,
        cast(customers.canonical_value as boolean) as is_existing_customer,
        {{ blank_to_null('kept.owner_id') }} as owner_id,
        case
            when {{ blank_to_null('kept.email') }} is not null
                then sha256(
                        '{{ var("email_hash_salt") }}' || lower(trim(kept.email))
                    )
        end as email_hash,
        kept.is_invalid_created_at
    from kept
    left join lead_sources
        on {{ normalize_label('kept.lead_source') }} = lower(lead_sources.lead_source)
    left join attribute_map as channels
        on
            channels.attribute = 'channel'
            and {{ normalize_label('kept.channel') }} = channels.raw_value
    left join attribute_map as segments
        on
            segments.attribute = 'segment'
            and {{ normalize_label('kept.segment') }} = segments.raw_value
    left join attribute_map as regions
        on
            regions.attribute = 'region'
            and {{ normalize_label('kept.region') }} = regions.raw_value
    left join attribute_map as customers
        on
            customers.attribute = 'is_existing_customer'
            and {{ normalize_label('kept.is_existing_customer') }} = customers.raw_value
)

select * from final
