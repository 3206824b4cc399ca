-- Per raw file and load (one distinct _loaded_at text): the rows and the
-- content fingerprint of the raw file now, against what the previous build
-- saw (base_crm__raw_loads). The raw files only grow at the end: an
-- incremental run recomputes the leads of loads after the previous build's
-- watermark, so a load at or before it that gained, lost or edited a row is
-- invisible to it. Such a run is refused, naming the file and the first
-- changed load (docs/decisions.md 21). Loads without a place in time
-- (unparseable or future _loaded_at) are recomputed every night and not
-- compared. First build and --full-refresh: nothing to compare.
{%- set files = ['lead_status_history', 'leads', 'activities'] %}
{#- the declared columns (_crm__sources.yml) are known once dbt executes -#}
{%- set declared = crm_source_columns() if execute else {} %}
{%- set previous = previous_build_relation('base_crm__raw_loads') %}

with

{% for file in files %}
loads_{{ file }} as (
    select
        '{{ file }}' as source,
        _loaded_at as loaded_at_text,
        count(*) as raw_rows,
        {{ content_fingerprint(
            declared.get(file, ['*']) | reject('in', ['_loaded_at', '_raw_row_number']) | list
        ) }} as content_fingerprint
    from {{ source('crm', file) }}
    group by _loaded_at
),

load_times_{{ file }} as (
    {{ load_times(source('crm', file)) }}
),

{% endfor %}
current_loads as (
    {%- for file in files %}
    select
        loads_{{ file }}.*,
        load_times_{{ file }}.parsed_at as loaded_at
    from loads_{{ file }}
    left join load_times_{{ file }}
        on loads_{{ file }}.loaded_at_text = load_times_{{ file }}.raw_text
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

previous_loads as (
    {%- if previous is not none %}
    select * from {{ previous }}
    where loaded_at is not null
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as source,
        cast(null as {{ dbt.type_string() }}) as loaded_at_text,
        cast(null as timestamp) as loaded_at,
        cast(null as bigint) as raw_rows,
        cast(null as {{ type_fingerprint() }}) as content_fingerprint
    where false
    {%- endif %}
),

watermark as (
    select max(loaded_at) as previous_loaded_through
    from previous_loads
),

compared as (
    select
        coalesce(current_loads.source, previous_loads.source) as source,
        coalesce(current_loads.loaded_at_text, previous_loads.loaded_at_text) as loaded_at_text,
        coalesce(current_loads.loaded_at, previous_loads.loaded_at) as loaded_at,
        coalesce(current_loads.raw_rows, 0) as raw_rows,
        current_loads.content_fingerprint,
        coalesce(previous_loads.raw_rows, 0) as built_rows,
        previous_loads.content_fingerprint as built_content_fingerprint,
        watermark.previous_loaded_through
    from current_loads
    full outer join previous_loads
        on
            current_loads.source = previous_loads.source
            and current_loads.loaded_at_text = previous_loads.loaded_at_text
    cross join watermark
),

judged as (
    select
        *,
        (
            built_rows > 0
            or coalesce(loaded_at <= previous_loaded_through, false)
        )
        and (
            raw_rows != built_rows
            or content_fingerprint is distinct from built_content_fingerprint
        )
        {%- if crm_source() != 'export' %}
        -- a connector upserts: a changed row is synced again, into a newer load
        -- whose leads this night rebuilds, so an old load may only lose rows
        and raw_rows >= built_rows
        {%- endif %} as is_changed_below_watermark
    from compared
),

first_change as (
    select
        'crm-funnel: raw file ' || source || ' changed at or before the last build''s'
        || ' watermark (' || cast(previous_loaded_through as {{ dbt.type_string() }})
        || '): load ' || loaded_at_text
        || ' has ' || cast(raw_rows as {{ dbt.type_string() }}) || ' rows now and had '
        || cast(built_rows as {{ dbt.type_string() }}) || ' rows'
        || case when raw_rows = built_rows then ' with other content' else '' end
        || ' when last built; an incremental build cannot see such a change:'
        || ' run `crm-funnel build --full-refresh` (or dbt build --full-refresh)'
            as message
    from judged
    where is_changed_below_watermark
    order by source, loaded_at, loaded_at_text
    limit 1
),

final as (
    select
        judged.source,
        judged.loaded_at_text,
        judged.loaded_at,
        judged.raw_rows,
        judged.content_fingerprint,
        judged.built_rows,
        judged.previous_loaded_through,
        judged.is_changed_below_watermark,
        -- stops this model, and so every model after it, on the first change
        case
            when first_change.message is not null
                then {{ fail_query('first_change.message') }}
        end as refusal
    from judged
    left join first_change
        on true
)

select * from final
