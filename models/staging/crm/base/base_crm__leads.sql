-- Every raw leads row, judged: a lead appears once per load, and only its
-- latest row (latest updated_at, ties by latest _loaded_at, then by content
-- fingerprint, never by position) is kept
-- (docs/contract.md, "Cleaning rules"). One row per raw row.
-- Like the status log's base table, it keeps only what its readers use, and
-- no column a view can derive (docs/performance.md, "Issue 13, round 3").
{{ config(materialized='incremental_by_lead', lead_column="coalesce(lead_id, '')") }}
with

raw_leads as (
    select * from {{ source('crm', 'leads') }}
    where {{ only_affected_leads("coalesce(trim(lead_id), '')") }}
),

load_times as (
    {{ load_times('raw_leads') }}
),

parsed as (
    select
        raw_leads._raw_row_number as raw_row_number,
        raw_leads._raw_table as raw_table,
        raw_leads._source_issue as source_issue,
        raw_leads._source_detail as source_detail,
        raw_leads._merged_lead_ids as merged_lead_ids,
        {{ blank_to_null('raw_leads.lead_id') }} as lead_id,
        raw_leads.created_at as created_at_text,
        raw_leads.updated_at as updated_at_text,
        raw_leads._loaded_at as loaded_at_text,
        {{ parse_iso_timestamp('raw_leads.created_at') }} as created_at,
        {{ parse_iso_timestamp('raw_leads.updated_at') }} as updated_at,
        load_times.parsed_at as loaded_at,
        coalesce(load_times.is_future_load, false) as is_future_load,
        raw_leads.lead_source,
        raw_leads.channel,
        raw_leads.segment,
        raw_leads.region,
        raw_leads.industry,
        raw_leads.is_existing_customer,
        -- no raw PII is stored, even in staging: the email only as its salted
        -- hash, the company not at all (it still counts in content_key)
        {{ email_hash('raw_leads.email') }} as email_hash,
        raw_leads.owner_id,
        {{ row_fingerprint([
            'raw_leads.lead_id', 'raw_leads.created_at', 'raw_leads.updated_at',
            'raw_leads.lead_source', 'raw_leads.channel', 'raw_leads.segment',
            'raw_leads.region', 'raw_leads.industry', 'raw_leads.is_existing_customer',
            'raw_leads.email', 'raw_leads.company', 'raw_leads.owner_id',
        ]) }} as content_key
    from raw_leads
    left join load_times
        on raw_leads._loaded_at = load_times.raw_text
    {{ computed_once() }}
),

ranked as (
    select
        *,
        case when lead_id is not null then row_number() over latest_row end as lead_row_rank,
        first_value(raw_row_number) over latest_row as winning_raw_row_number
    from parsed
    window latest_row as (
        partition by lead_id, is_future_load
        order by {{ latest_copy_order(first='updated_at desc nulls last') }}
    )
),

final as (
    select
        raw_row_number,
        raw_table,
        lead_id,
        case when lead_id is null then 'row-' || left(content_key, 12) end as content_row_key,
        created_at,
        updated_at,
        loaded_at,
        lead_source,
        channel,
        segment,
        region,
        industry,
        is_existing_customer,
        email_hash,
        owner_id,
        merged_lead_ids,
        case
            when source_issue is not null then source_issue
            when lead_id is null then 'missing_lead_id'
            when is_future_load then 'future_loaded_at'
            when lead_row_rank > 1 then 'superseded_lead_row'
        end as drop_issue,
        case
            when source_issue is not null then source_detail
            when lead_id is null then 'lead_id is blank'
            when is_future_load
                then '_loaded_at ' || loaded_at_text || ' is later than the build'
            when lead_row_rank > 1 then 'kept raw row ' || winning_raw_row_number
        end as drop_detail,
        -- a kept lead with an unreadable created_at is still a lead; it is
        -- flagged and its created_at is null
        coalesce(
            source_issue is null and not is_future_load and lead_row_rank = 1
            and created_at is null, false
        ) as is_invalid_created_at,
        -- the raw text, for the data-quality report of an unreadable created_at
        case
            when source_issue is null and not is_future_load and lead_row_rank = 1
                and created_at is null then created_at_text
        end as invalid_created_at_text
    from ranked
)

select * from final
