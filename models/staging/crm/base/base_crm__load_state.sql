-- Where the previous build stopped, per raw file: the latest _loaded_at it had
-- built (the watermark of this incremental run), and whether the raw rows up
-- to that watermark are still exactly the ones it built. A raw file that gained
-- or lost rows with an old _loaded_at can only be rebuilt with --full-refresh
-- (tested: base_crm__load_state_history_unchanged). First build and
-- --full-refresh: no watermark, every row is new.
{%- set files = [
    ('lead_status_history', 'base_crm__lead_status_history'),
    ('leads', 'base_crm__leads'),
    ('activities', 'base_crm__activities'),
] %}
{%- set previous = {} %}
{%- for file, model in files %}
{%- set relation = previous_build_relation(model) %}
{%- if relation is not none %}
{%- do previous.update({file: relation}) %}
{%- endif %}
{%- endfor %}
{%- set has_previous = previous | length == files | length %}

with

{% for file, model in files %}
load_times_{{ file }} as (
    {{ raw_load_times(file, has_previous) }}
),

raw_{{ file }} as (
    select load_times_{{ file }}.parsed_at as loaded_at
    from {{ source('crm', file) }} as raw_rows
    left join load_times_{{ file }}
        on raw_rows._loaded_at = load_times_{{ file }}.raw_text
),

built_{{ file }} as (
    {%- if has_previous %}
    select loaded_at from {{ previous[file] }}
    {%- else %}
    select cast(null as timestamp) as loaded_at
    where false
    {%- endif %}
),

{% endfor %}
watermark as (
    select
        greatest(
            {%- for file, model in files %}
            (select max(loaded_at) from built_{{ file }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as previous_loaded_through
),

{% for file, model in files %}
counts_{{ file }} as (
    select
        '{{ file }}' as source,
        count(*) as raw_rows,
        count(*) filter (
            where raw_{{ file }}.loaded_at <= watermark.previous_loaded_through
        ) as raw_rows_through_previous
    from raw_{{ file }}
    cross join watermark
),

built_counts_{{ file }} as (
    select
        count(*) filter (
            where built_{{ file }}.loaded_at <= watermark.previous_loaded_through
        ) as built_rows_through_previous
    from built_{{ file }}
    cross join watermark
),

{% endfor %}
final as (
    {%- for file, model in files %}
    select
        counts_{{ file }}.source,
        watermark.previous_loaded_through,
        counts_{{ file }}.raw_rows,
        counts_{{ file }}.raw_rows_through_previous,
        built_counts_{{ file }}.built_rows_through_previous
    from watermark
    cross join counts_{{ file }}
    cross join built_counts_{{ file }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
