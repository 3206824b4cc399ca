-- Every raw activity row, judged like the status log (docs/contract.md,
-- "Cleaning rules"). One row per raw row; drop_issue null = kept.
-- Like the status log's base table, it keeps only what its readers use, and
-- no column a view can derive (docs/performance.md, "Issue 13, round 3").
{{ config(materialized='incremental_by_lead', lead_column="coalesce(lead_id, '')") }}
with

raw_activities as (
    {{ raw_rows_of_affected_leads(source('crm', 'activities'), 'activity_id') }}
),

load_times as (
    {{ load_times('raw_activities') }}
),

parsed as (
    select
        raw_activities._raw_row_number as raw_row_number,
        raw_activities._raw_table as raw_table,
        raw_activities._source_issue as source_issue,
        raw_activities._source_detail as source_detail,
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
    {{ computed_once() }}
),

ranked as (
    -- a re-sent activity_id keeps its latest copy
    select
        *,
        case when activity_id is not null then row_number() over latest_copy else 1 end
            as activity_id_rank,
        first_value(raw_row_number) over latest_copy as winning_raw_row_number
    from parsed
    window latest_copy as (partition by activity_id order by {{ latest_copy_order() }})
),

final as (
    select
        raw_row_number,
        raw_table,
        activity_id,
        case when activity_id is null then 'row-' || left(content_key, 12) end
            as content_row_key,
        lead_id,
        activity_type,
        performed_by,
        occurred_at,
        loaded_at,
        case
            when source_issue is not null then source_issue
            when activity_id_rank > 1 then 'duplicate_activity_id'
            when lead_id is null then 'missing_lead_id'
            {{ load_time_issue('occurred_at') }}
        end as drop_issue,
        case
            when source_issue is not null then source_detail
            when activity_id_rank > 1 then 'kept raw row ' || winning_raw_row_number
            when lead_id is null then 'lead_id is blank'
            {{ load_time_detail(
                'occurred_at', 'occurred_at', 'occurred_at_text', 'loaded_at_text'
            ) }}
        end as drop_detail
    from ranked
    where {{ only_affected_leads("coalesce(lead_id, '')") }}
)

select * from final
