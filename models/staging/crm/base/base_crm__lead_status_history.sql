-- Every raw status-change row, its verdict by docs/contract.md's cleaning rules (drop_issue null:
-- kept) and its clean columns, none a view could derive (docs/performance.md, "Issue 13").
{{ config(materialized='incremental_by_lead', lead_column="coalesce(lead_id, '')") }}
{%- set content_columns = ['raw_events.lead_id', 'raw_events.old_status', 'raw_events.new_status',
    'raw_events.changed_at', 'raw_events.changed_by', 'raw_events.reason'] %}
with

raw_events as {{ inlined_cte() if not is_incremental() }} (  -- a night holds its few rows
    {{ raw_rows_of_affected_leads(source('crm', 'lead_status_history'), 'event_id') }}
),

status_labels as (
    {{ status_labels('raw_events') }}
),

load_times as (
    {{ load_times('raw_events') }}
),

parsed_texts as (
    select
        raw_events._raw_row_number as raw_row_number,
        {{ blank_to_null('raw_events.event_id') }} as event_id,
        {{ blank_to_null('raw_events.lead_id') }} as lead_id,
        new_label.stage,
        new_label.stage_order,
        {{ parse_iso_timestamp('raw_events.changed_at') }} as changed_at,
        load_times.parsed_at as loaded_at,
        coalesce(load_times.is_future_load, false) as is_future_load,
        {{ row_fingerprint(content_columns, as_number=true) }} as content_key,
        case
            when {{ blank_to_null('raw_events.event_id') }} is null
                then 'row-' || left({{ row_fingerprint(content_columns) }}, 12)
        end as content_row_key,
        raw_events.changed_at as changed_at_text,
        raw_events._loaded_at as loaded_at_text,
        raw_events.new_status as new_status_text,
        raw_events._source_issue as source_issue
    from raw_events
    left join status_labels as new_label on raw_events.new_status = new_label.raw_text
    left join load_times on raw_events._loaded_at = load_times.raw_text
    {{ computed_once() }}
),

parsed as (
    -- windows below sort narrow rows (with a verdict's quote); other raw text joins back in final
    select
        raw_row_number, event_id, lead_id, stage, stage_order, changed_at, loaded_at,
        is_future_load, content_key, content_row_key, source_issue,
        case
            {{ load_time_detail('changed_at', 'changed_at', 'changed_at_text', 'loaded_at_text') }}
            when stage is null
                then 'new_status=' || coalesce('''' || new_status_text || '''', 'null')
        end as quoted_detail
    from parsed_texts
),

copies_ranked as (
    -- a re-sent event_id is a CRM correction: its latest copy wins
    select
        *,
        case when event_id is not null then row_number() over latest_copy else 1 end
            as event_id_rank,
        first_value(content_key) over latest_copy as winning_content_key,
        first_value(raw_row_number) over latest_copy as winning_raw_row_number
    from parsed
    window latest_copy as (partition by event_id order by {{ latest_copy_order() }})
),

contents_ranked as (
    -- one event per lead, stage and second: the smallest event_id
    select
        *,
        case
            when event_id_rank > 1 or source_issue is not null then 1
            when lead_id is null or stage is null or changed_at is null then 1
            else row_number() over (
                    partition by event_id_rank = 1, lead_id, stage, changed_at
                    order by event_id nulls last, content_key, raw_row_number
                )
        end as content_rank
    from copies_ranked
),

judged as (
    -- in the contract's order (a connector's verdict first): a row drops for its first rule
    select
        *,
        case
            when source_issue is not null then source_issue
            when event_id_rank > 1 and content_key = winning_content_key
                then 'duplicate_event_id'
            when event_id_rank > 1 then 'superseded_event'
            when content_rank > 1 then 'duplicate_event_content'
            when lead_id is null then 'missing_lead_id'
            {{ load_time_issue('changed_at') }}
            when stage is null then 'unknown_status'
        end as early_drop_issue
    from contents_ranked
),

verdicts as (
    -- a double submit (a stage twice in a row) keeps its first row; dropped rows sort apart
    select
        *,
        coalesce(early_drop_issue, case
            when stage = lag(stage) over (
                    partition by early_drop_issue is null, lead_id
                    order by {{ event_order() }}, raw_row_number
                )
                then 'repeated_stage'
        end) as drop_issue
    from judged
),

final as (
    select
        verdicts.raw_row_number,
        raw_events._raw_table as raw_table,
        verdicts.event_id,
        verdicts.content_row_key,
        verdicts.lead_id,
        raw_events.old_status,
        old_label.stage as old_stage,
        verdicts.stage,
        verdicts.stage_order,
        verdicts.changed_at,
        {{ blank_to_null('raw_events.changed_by') }} as changed_by,
        raw_events.reason as raw_reason,
        verdicts.loaded_at,
        verdicts.drop_issue,
        case
            when verdicts.source_issue is not null then raw_events._source_detail
            when verdicts.drop_issue in ('duplicate_event_id', 'superseded_event')
                then 'kept raw row ' || verdicts.winning_raw_row_number
            when verdicts.drop_issue = 'duplicate_event_content'
                then 'same lead, stage and changed_at as a kept event'
            when verdicts.drop_issue = 'missing_lead_id' then 'lead_id is blank'
            when verdicts.drop_issue = 'repeated_stage'
                then 'stage ' || verdicts.stage || ' repeats the previous event'
            else verdicts.quoted_detail
        end as drop_detail,
        verdicts.drop_issue is null and verdicts.event_id is null as is_missing_event_id
    from verdicts
    inner join raw_events on verdicts.raw_row_number = raw_events._raw_row_number
    left join status_labels as old_label on raw_events.old_status = old_label.raw_text
    where {{ only_affected_leads("coalesce(verdicts.lead_id, '')") }}
)

select * from final
