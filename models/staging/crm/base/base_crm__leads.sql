-- Every raw leads row, judged: a lead appears once per load, and only its
-- latest row (latest updated_at, ties by latest _loaded_at, then by content
-- fingerprint, never by position) is kept
-- (spec: leads, superseded_lead_row). One row per raw row.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_affected_leads('lead_key') }}",
) }}
-- depends_on: {{ ref('base_crm__affected_leads') }}
with

raw_leads as (
    select * from {{ source('crm', 'leads') }}
    {%- if is_incremental() %}
    where {{ only_affected_leads("coalesce(trim(lead_id), '')") }}
    {%- endif %}
),

parsed as (
    select
        _raw_row_number as raw_row_number,
        {{ blank_to_null('lead_id') }} as lead_id,
        created_at as created_at_text,
        updated_at as updated_at_text,
        _loaded_at as loaded_at_text,
        {{ parse_iso_timestamp('created_at') }} as created_at,
        {{ parse_iso_timestamp('updated_at') }} as updated_at,
        {{ parse_iso_timestamp('_loaded_at') }} as loaded_at,
        lead_source,
        channel,
        segment,
        region,
        industry,
        is_existing_customer,
        email,
        company,
        owner_id,
        {{ row_fingerprint([
            'lead_id', 'created_at', 'updated_at', 'lead_source', 'channel', 'segment',
            'region', 'industry', 'is_existing_customer', 'email', 'company', 'owner_id',
        ]) }} as content_key
    from raw_leads
),

ranked as (
    select
        *,
        case
            when lead_id is not null
                then row_number() over (
                        partition by lead_id
                        order by
                            updated_at desc nulls last,
                            loaded_at desc nulls last,
                            content_key desc,
                            raw_row_number desc
                    )
        end as lead_row_rank,
        first_value(raw_row_number) over (
            partition by lead_id
            order by
                updated_at desc nulls last,
                loaded_at desc nulls last,
                content_key desc,
                raw_row_number desc
        ) as winning_raw_row_number
    from parsed
),

final as (
    select
        *,
        coalesce(lead_id, 'row-' || left(content_key, 12)) as row_key,
        coalesce(lead_id, '') as lead_key,
        case
            when lead_id is null then 'missing_lead_id'
            when lead_row_rank > 1 then 'superseded_lead_row'
        end as drop_issue,
        case
            when lead_id is null then 'lead_id is blank'
            when lead_row_rank > 1 then 'kept raw row ' || winning_raw_row_number
        end as drop_detail,
        -- a kept lead with an unreadable created_at is still a lead; it is
        -- flagged and its created_at is null
        coalesce(lead_row_rank = 1 and created_at is null, false) as is_invalid_created_at
    from ranked
)

select * from final
