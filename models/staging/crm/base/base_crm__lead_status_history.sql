-- Every raw status-change row, parsed and judged by the contract's cleaning
-- table (docs/contract.md, "Cleaning rules"). One row per raw row: kept rows have
-- drop_issue null; dropped rows carry the first drop rule they match.
-- stg_crm__lead_status_history keeps the kept rows, dq_issues reports the rest.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_affected_leads('lead_key') }}",
) }}
-- depends_on: {{ ref('base_crm__affected_leads') }}
{#- the contract's per-lead event order; both windows below must use it -#}
{%- set lead_order %}
partition by (early_drop_issue is null), lead_id
        order by changed_at, stage_order, event_id nulls last, content_key, raw_row_number
{%- endset %}
{%- set content_columns = [
    'raw_events.lead_id', 'raw_events.old_status', 'raw_events.new_status',
    'raw_events.changed_at', 'raw_events.changed_by', 'raw_events.reason',
] %}
with

raw_events as (
    select * from {{ source('crm', 'lead_status_history') }}
    {%- if is_incremental() %}
    -- only this run's leads, with every copy of their event_ids (to rank re-sends)
    where
        {{ only_affected_leads("coalesce(trim(lead_id), '')") }}
        or {{ blank_to_null('event_id') }} in (
            select {{ blank_to_null('event_id') }}
            from {{ source('crm', 'lead_status_history') }}
            where {{ only_affected_leads("coalesce(trim(lead_id), '')") }}
        )
    {%- endif %}
),

status_map as (
    select * from {{ ref('status_map') }}
),

funnel_stages as (
    select * from {{ ref('funnel_stages') }}
),

status_labels as (
    -- each distinct raw status text is normalized and mapped once, not per row
    select
        texts.raw_text,
        status_map.stage,
        funnel_stages.stage_order
    from (
        select new_status as raw_text from raw_events
        union
        select old_status as raw_text from raw_events
    ) as texts
    left join status_map
        on {{ normalize_label('texts.raw_text') }} = status_map.raw_label
    left join funnel_stages
        on status_map.stage = funnel_stages.stage
),

load_times as (
    -- one parse per distinct _loaded_at text (one per load), not per row
    {{ load_times('raw_events') }}
),

parsed as (
    -- only what the rules need: the windows below sort narrow rows, and the
    -- raw text columns join back once, in final
    select
        raw_events._raw_row_number as raw_row_number,
        {{ blank_to_null('raw_events.event_id') }} as event_id,
        {{ blank_to_null('raw_events.lead_id') }} as lead_id,
        new_label.stage,
        old_label.stage as old_stage,
        new_label.stage_order,
        {{ parse_iso_timestamp('raw_events.changed_at') }} as changed_at,
        load_times.parsed_at as loaded_at,
        coalesce(load_times.is_future_load, false) as is_future_load,
        -- rows with the same event_id and this key carry the same content
        {{ row_fingerprint(content_columns, as_number=true) }} as content_key
    from raw_events
    left join status_labels as new_label
        on raw_events.new_status = new_label.raw_text
    left join status_labels as old_label
        on raw_events.old_status = old_label.raw_text
    left join load_times
        on raw_events._loaded_at = load_times.raw_text
),

by_event_id as (
    -- a re-sent event_id is a CRM correction: the latest _loaded_at wins;
    -- ties go to the greater content fingerprint, never to the row's position
    select
        *,
        case
            when event_id is not null
                then row_number() over (
                        partition by event_id
                        order by loaded_at desc nulls last, content_key desc, raw_row_number desc
                    )
            else 1
        end as event_id_rank,
        first_value(content_key) over (
            partition by event_id
            order by loaded_at desc nulls last, content_key desc, raw_row_number desc
        ) as winning_content_key,
        first_value(raw_row_number) over (
            partition by event_id
            order by loaded_at desc nulls last, content_key desc, raw_row_number desc
        ) as winning_raw_row_number
    from parsed
),

by_content as (
    select
        *,
        case
            when
                event_id_rank = 1
                and lead_id is not null
                and stage is not null
                and changed_at is not null
                then row_number() over (
                        partition by
                            event_id_rank = 1, lead_id, stage, changed_at
                        order by event_id nulls last, content_key, raw_row_number
                    )
            else 1
        end as content_rank
    from by_event_id
),

judged as (
    -- the order of this case is the order of the contract's table: a row that
    -- breaks several rules is dropped once, for the first one
    select
        *,
        case
            when event_id_rank > 1 and content_key = winning_content_key
                then 'duplicate_event_id'
            when event_id_rank > 1 then 'superseded_event'
            when content_rank > 1 then 'duplicate_event_content'
            when lead_id is null then 'missing_lead_id'
            when changed_at is null then 'invalid_timestamp'
            when is_future_load then 'future_loaded_at'
            when loaded_at is null then 'invalid_loaded_at'
            when
                changed_at
                > loaded_at + interval '{{ var("clock_skew_minutes") }} minutes'
                then 'future_timestamp'
            when stage is null then 'unknown_status'
        end as early_drop_issue
    from by_content
),

survivors_ordered as (
    -- the contract's event order: changed_at, then funnel stage order, then
    -- event_id, so ties at the same second follow the funnel. A repeated stage
    -- (dropped below) has the same handoff state as the event it repeats, so
    -- counting it here changes no later event's is_handoff_open_before.
    -- Rows dropped so far ride along in partitions of their own (their
    -- results are discarded in final): one pass over judged, no join back
    select
        *,
        lag(stage) over lead_order as previous_stage,
        coalesce(
            last_value({{ handoff_state('stage') }} ignore nulls) over (
                lead_order rows between unbounded preceding and 1 preceding
            ),
            false
        ) as is_handoff_open_before
    from judged
    window lead_order as (
        {{ lead_order | trim }}
    )
),

kept_ordered as (
    -- a double submit (same stage twice in a row) keeps its first row only;
    -- dropping it leaves every later row's previous stage unchanged. The
    -- running counts skip repeated rows: event_sequence numbers the kept
    -- events, handoffs_started counts the handoffs opened so far
    -- (int_lead_events_cycled turns it into handoff_number)
    select
        *,
        early_drop_issue is null and coalesce(stage = previous_stage, false)
            as is_repeated_stage,
        early_drop_issue is null and not coalesce(stage = previous_stage, false) as is_kept,
        cast(sum(case when stage = previous_stage then 0 else 1 end) over kept_order as integer)
            as event_sequence,
        cast(sum(
            case
                when stage is distinct from previous_stage
                    and {{ opens_handoff('stage', 'is_handoff_open_before') }}
                    then 1
                else 0
            end
        ) over kept_order as integer) as handoffs_started
    from survivors_ordered
    window kept_order as (
        {{ lead_order | trim }}
        rows between unbounded preceding and current row
    )
),

final as (
    select
        judged.raw_row_number,
        judged.event_id,
        coalesce(judged.event_id, 'row-' || left({{ row_fingerprint(content_columns) }}, 12))
            as row_key,
        judged.lead_id,
        coalesce(judged.lead_id, '') as lead_key,
        raw_events.old_status,
        judged.old_stage,
        raw_events.new_status,
        judged.stage,
        judged.stage_order,
        judged.changed_at,
        {{ blank_to_null('raw_events.changed_by') }} as changed_by,
        raw_events.reason as raw_reason,
        judged.loaded_at,
        case when judged.early_drop_issue is null then judged.previous_stage end
            as previous_stage,
        case when judged.is_kept then judged.event_sequence end as event_sequence,
        case when judged.is_kept then judged.is_handoff_open_before end
            as is_handoff_open_before,
        case when judged.is_kept then judged.handoffs_started end as handoffs_started,
        coalesce(
            judged.early_drop_issue,
            case when judged.is_repeated_stage then 'repeated_stage' end
        ) as drop_issue,
        case
            when judged.early_drop_issue in ('duplicate_event_id', 'superseded_event')
                then 'kept raw row ' || judged.winning_raw_row_number
            when judged.early_drop_issue = 'duplicate_event_content'
                then 'same lead, stage and changed_at as a kept event'
            when judged.early_drop_issue = 'missing_lead_id' then 'lead_id is blank'
            when judged.early_drop_issue = 'invalid_timestamp'
                then 'changed_at=' || coalesce('''' || raw_events.changed_at || '''', 'null')
            when judged.early_drop_issue = 'future_loaded_at'
                then '_loaded_at ' || raw_events._loaded_at || ' is later than the build'
            when judged.early_drop_issue = 'invalid_loaded_at'
                then '_loaded_at=' || coalesce('''' || raw_events._loaded_at || '''', 'null')
            when judged.early_drop_issue = 'future_timestamp'
                then 'changed_at '
                    || raw_events.changed_at
                    || ' is after _loaded_at '
                    || raw_events._loaded_at
            when judged.early_drop_issue = 'unknown_status'
                then 'new_status=' || coalesce('''' || raw_events.new_status || '''', 'null')
            when judged.is_repeated_stage
                then 'stage ' || judged.stage || ' repeats the previous event'
        end as drop_detail,
        -- flags are for kept rows only (docs/contract.md, "Cleaning rules");
        -- the first event of a lead has no previous status to disagree with
        coalesce(
            judged.is_kept
            and judged.previous_stage is not null
            and judged.old_stage is distinct from judged.previous_stage,
            false
        ) as is_sequence_gap,
        judged.is_kept and judged.event_id is null as is_missing_event_id
    from kept_ordered as judged
    inner join raw_events
        on judged.raw_row_number = raw_events._raw_row_number
    where {{ only_affected_leads("coalesce(judged.lead_id, '')") }}
)

select * from final
