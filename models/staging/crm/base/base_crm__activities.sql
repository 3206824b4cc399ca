-- Every raw activity row, judged like the status log (docs/contract.md,
-- "Cleaning rules"). One row per raw row; drop_issue null = kept.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_affected_leads('lead_key') }}",
) }}
-- depends_on: {{ ref('base_crm__affected_leads') }}
with

raw_activities as (
    select * from {{ source('crm', 'activities') }}
    {%- if is_incremental() %}
    -- only this run's leads, with every copy of their activity_ids (to rank re-sends)
    where
        {{ only_affected_leads("coalesce(trim(lead_id), '')") }}
        or {{ blank_to_null('activity_id') }} in (
            select {{ blank_to_null('activity_id') }}
            from {{ source('crm', 'activities') }}
            where {{ only_affected_leads("coalesce(trim(lead_id), '')") }}
        )
    {%- endif %}
),

load_times as (
    -- one parse per distinct _loaded_at text (one per load), not per row
    {{ load_times('raw_activities') }}
),

parsed as (
    select
        raw_activities._raw_row_number as raw_row_number,
        {{ blank_to_null('raw_activities.activity_id') }} as activity_id,
        {{ blank_to_null('raw_activities.lead_id') }} as lead_id,
        {{ normalize_label('raw_activities.activity_type') }} as activity_type,
        raw_activities.occurred_at as occurred_at_text,
        {{ blank_to_null('raw_activities.performed_by') }} as performed_by,
        raw_activities._loaded_at as loaded_at_text,
        {{ parse_iso_timestamp('raw_activities.occurred_at') }} as occurred_at,
        load_times.parsed_at as loaded_at,
        coalesce(load_times.is_future_load, false) as is_future_load,
        {{ row_fingerprint([
            'raw_activities.activity_id', 'raw_activities.lead_id',
            'raw_activities.activity_type', 'raw_activities.occurred_at',
            'raw_activities.performed_by',
        ]) }} as content_key
    from raw_activities
    left join load_times
        on raw_activities._loaded_at = load_times.raw_text
),

ranked as (
    -- a repeated activity_id keeps its latest load, ties by content fingerprint
    select
        *,
        case
            when activity_id is not null
                then row_number() over (
                        partition by activity_id
                        order by
                            loaded_at desc nulls last, content_key desc, raw_row_number desc
                    )
            else 1
        end as activity_id_rank,
        first_value(raw_row_number) over (
            partition by activity_id
            order by loaded_at desc nulls last, content_key desc, raw_row_number desc
        ) as winning_raw_row_number
    from parsed
),

final as (
    select
        *,
        coalesce(activity_id, 'row-' || left(content_key, 12)) as row_key,
        coalesce(lead_id, '') as lead_key,
        case
            when activity_id_rank > 1 then 'duplicate_activity_id'
            when lead_id is null then 'missing_lead_id'
            when occurred_at is null then 'invalid_timestamp'
            when is_future_load then 'future_loaded_at'
            when loaded_at is null then 'invalid_loaded_at'
            when
                occurred_at
                > loaded_at + interval '{{ var("clock_skew_minutes") }} minutes'
                then 'future_timestamp'
        end as drop_issue,
        case
            when activity_id_rank > 1 then 'kept raw row ' || winning_raw_row_number
            when lead_id is null then 'lead_id is blank'
            when occurred_at is null
                then 'occurred_at=' || coalesce('''' || occurred_at_text || '''', 'null')
            when is_future_load
                then '_loaded_at ' || loaded_at_text || ' is later than the build'
            when loaded_at is null
                then '_loaded_at=' || coalesce('''' || loaded_at_text || '''', 'null')
            when
                occurred_at
                > loaded_at + interval '{{ var("clock_skew_minutes") }} minutes'
                then 'occurred_at ' || occurred_at_text || ' is after _loaded_at ' || loaded_at_text
        end as drop_detail
    from ranked
    where {{ only_affected_leads("coalesce(lead_id, '')") }}
)

select * from final
