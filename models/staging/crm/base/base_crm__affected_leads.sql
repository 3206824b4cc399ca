-- The leads an incremental run recomputes (macros/incremental.sql): every lead
-- that received a raw row after the previous build's watermark (or a row whose
-- _loaded_at is unparseable or in the future, which has no place in time), in
-- any of the three files, plus the leads holding an older copy of a new row's event_id or
-- activity_id (a correction can move an event to another lead), plus the lead a
-- connector's merge moved a new row from (_moved_from: docs/contract.md, "Salesforce").
-- lead_key is the trimmed lead_id, '' when blank. Without a previous build
-- every lead is affected (and --full-refresh needs none of them).
{{ config(pre_hook="{{ hash_joins_only() }}") }}

with

load_state_loads as (
    select * from {{ ref('base_crm__load_state') }}
),

load_state as (
    select max(previous_loaded_through) as previous_loaded_through
    from load_state_loads
),

{% for file, id_column in [
    ('lead_status_history', 'event_id'),
    ('leads', 'lead_id'),
    ('activities', 'activity_id'),
] %}
load_times_{{ file }} as (
    -- each load's time, parsed once by base_crm__load_state (null when
    -- unparseable or in the future)
    select
        loaded_at_text as raw_text,
        loaded_at as parsed_at
    from load_state_loads
    where source = '{{ file }}'
),

raw_{{ file }} as (
    select
        coalesce(trim(raw_rows.lead_id), '') as lead_key,
        {{ blank_to_null('raw_rows.' ~ id_column) }} as row_id,
        {%- if file == 'leads' %}
        cast(null as {{ dbt.type_string() }}) as moved_from,
        {%- else %}
        trim(raw_rows._moved_from) as moved_from,
        {%- endif %}
        load_times_{{ file }}.parsed_at as loaded_at
    from {{ source('crm', file) }} as raw_rows
    left join load_times_{{ file }}
        on raw_rows._loaded_at = load_times_{{ file }}.raw_text
    {%- if flags.FULL_REFRESH %}
    where false
    {%- endif %}
),

new_{{ file }} as (
    select raw_{{ file }}.*
    from raw_{{ file }}
    cross join load_state
    where
        load_state.previous_loaded_through is null
        or raw_{{ file }}.loaded_at is null
        or raw_{{ file }}.loaded_at > load_state.previous_loaded_through
),

{% endfor %}
final as (
    select lead_key from new_lead_status_history
    union
    select lead_key from new_leads
    union
    select lead_key from new_activities
    union
    select moved_from from new_lead_status_history
    where moved_from is not null
    union
    select moved_from from new_activities
    where moved_from is not null
    union
    select raw_lead_status_history.lead_key
    from raw_lead_status_history
    inner join new_lead_status_history
        on raw_lead_status_history.row_id = new_lead_status_history.row_id
    union
    select raw_activities.lead_key
    from raw_activities
    inner join new_activities
        on raw_activities.row_id = new_activities.row_id
)

select * from final
