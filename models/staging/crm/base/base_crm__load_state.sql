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
raw_{{ file }} as (
    select {{ parse_iso_timestamp('_loaded_at') }} as loaded_at
    from {{ source('crm', file) }}
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

final as (
    {%- for file, model in files %}
    select
        '{{ file }}' as source,
        watermark.previous_loaded_through,
        (select count(*) from raw_{{ file }}) as raw_rows,
        (
            select count(*) from raw_{{ file }}
            where loaded_at <= watermark.previous_loaded_through
        ) as raw_rows_through_previous,
        (
            select count(*) from built_{{ file }}
            where loaded_at <= watermark.previous_loaded_through
        ) as built_rows_through_previous
    from watermark
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from final
