{#-
    The expressions that DuckDB, PostgreSQL and Spark write differently
    (docs/engines.md). Models call these, never an engine's own function, so
    one model file serves every engine: each macro dispatches to the engine's
    version (`duckdb__`, `postgres__`, `spark__`) or the `default__` one.
    dbt's own cross-database macros are used where they exist and mean the
    same (dbt.type_string, dbt.safe_cast); these are the ones dbt lacks or
    defines differently from what the contract needs.
-#}

{#- ratio(numerator, denominator): a division in floating point, never an
    integer one (PostgreSQL divides integers as integers). -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / {{ denominator }}
{%- endmacro %}


{#- continuous_percentile(expr, fraction, where): the continuous
    (interpolated) percentile of expr over the rows matching `where`. -#}
{% macro continuous_percentile(expr, fraction, where=none) -%}
    {{ return(adapter.dispatch('continuous_percentile', 'crm_funnel')(expr, fraction, where)) }}
{%- endmacro %}

{% macro duckdb__continuous_percentile(expr, fraction, where) -%}
    quantile_cont({{ expr }}, {{ fraction }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro default__continuous_percentile(expr, fraction, where) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__continuous_percentile(expr, fraction, where) -%}
    percentile({{ expr }}, {{ fraction }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}


{#- collapse_whitespace(expr): every run of whitespace as one space. -#}
{% macro collapse_whitespace(expr) -%}
    {{ return(adapter.dispatch('collapse_whitespace', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro default__collapse_whitespace(expr) -%}
    regexp_replace({{ expr }}, '\s+', ' ', 'g')
{%- endmacro %}

{% macro spark__collapse_whitespace(expr) -%}
    {#- Spark replaces every match; a 4th argument would be a position -#}
    regexp_replace({{ expr }}, '\\s+', ' ')
{%- endmacro %}


{#- add_minutes(expr, minutes): a timestamp (or a date, as its midnight)
    `minutes` later; minutes is a number known when the SQL is written. -#}
{% macro add_minutes(expr, minutes) -%}
    {{ return(adapter.dispatch('add_minutes', 'crm_funnel')(expr, minutes)) }}
{%- endmacro %}

{% macro default__add_minutes(expr, minutes) -%}
    {{ expr }} + interval '{{ minutes }} minutes'
{%- endmacro %}

{% macro spark__add_minutes(expr, minutes) -%}
    timestampadd(minute, {{ minutes }}, {{ expr }})
{%- endmacro %}


{#- iso_day_of_week(expr): 1 (Monday) .. 7 (Sunday). -#}
{% macro iso_day_of_week(expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(expr) -%}
    isodow({{ expr }})
{%- endmacro %}

{% macro default__iso_day_of_week(expr) -%}
    cast(extract(isodow from {{ expr }}) as integer)
{%- endmacro %}

{% macro spark__iso_day_of_week(expr) -%}
    (weekday({{ expr }}) + 1)
{%- endmacro %}


{#- calendar_days(start_date, end_date): a query with one row per date from
    start_date to end_date (both included, SQL date literals), column
    calendar_date. -#}
{% macro calendar_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('calendar_days', 'crm_funnel')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__calendar_days(start_date, end_date) -%}
    select cast(range as date) as calendar_date
    from range({{ start_date }}, {{ end_date }} + 1, interval 1 day)
{%- endmacro %}

{% macro default__calendar_days(start_date, end_date) -%}
    select cast(days.day as date) as calendar_date
    from generate_series({{ start_date }}, {{ end_date }}, interval '1 day') as days (day)
{%- endmacro %}

{% macro spark__calendar_days(start_date, end_date) -%}
    select explode(sequence({{ start_date }}, {{ end_date }}, interval 1 day)) as calendar_date
{%- endmacro %}


{#- last_non_null_before(expr, partition_by, order_by): within the
    partition, in that order, the last non-null value of expr on the rows
    before this one (null when there is none). -#}
{% macro last_non_null_before(expr, partition_by, order_by) -%}
    {{ return(adapter.dispatch('last_non_null_before', 'crm_funnel')(expr, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__last_non_null_before(expr, partition_by, order_by) -%}
    last_value({{ expr }} ignore nulls) over (
        partition by {{ partition_by }} order by {{ order_by | join(', ') }}
        rows between unbounded preceding and 1 preceding
    )
{%- endmacro %}

{% macro spark__last_non_null_before(expr, partition_by, order_by) -%}
    last({{ expr }}, true) over (
        partition by {{ partition_by }} order by {{ order_by | join(', ') }}
        rows between unbounded preceding and 1 preceding
    )
{%- endmacro %}

{% macro postgres__last_non_null_before(expr, partition_by, order_by) -%}
    {#- PostgreSQL has no `ignore nulls`: the non-null values of the rows
        before, nearest first (the order reversed), and the first of them -#}
    (array_agg({{ expr }}) filter (where {{ expr }} is not null) over (
        partition by {{ partition_by }}
        order by {{ order_by | join(' desc, ') }} desc
        rows between 1 following and unbounded following
    ))[1]
{%- endmacro %}


{#- md5_sort_key(expr): the md5 of a text in the form that sorts fastest;
    equal texts give equal keys (DuckDB: a 128-bit number). -#}
{% macro md5_sort_key(expr) -%}
    {{ return(adapter.dispatch('md5_sort_key', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro duckdb__md5_sort_key(expr) -%}
    md5_number({{ expr }})
{%- endmacro %}

{% macro default__md5_sort_key(expr) -%}
    md5({{ expr }})
{%- endmacro %}


{#- timestamp_as_iso_text(expr, dtype): a typed timestamp column of a raw
    table or Parquet file as the export's ISO 8601 UTC text. -#}
{% macro timestamp_as_iso_text(expr, dtype='timestamp') -%}
    {{ return(adapter.dispatch('timestamp_as_iso_text', 'crm_funnel')(expr, dtype)) }}
{%- endmacro %}

{% macro duckdb__timestamp_as_iso_text(expr, dtype) -%}
    strftime(cast({{ expr }} as timestamptz) at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')
{%- endmacro %}

{% macro postgres__timestamp_as_iso_text(expr, dtype) -%}
    to_char(
        {{ expr }}{% if 'time zone' in dtype and 'without' not in dtype %} at time zone 'UTC'{% endif %},
        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
    )
{%- endmacro %}

{% macro spark__timestamp_as_iso_text(expr, dtype) -%}
    date_format({{ expr }}, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
{%- endmacro %}


{#- type_fingerprint(): the type of content_fingerprint() sums. -#}
{% macro type_fingerprint() -%}
    {{ return(adapter.dispatch('type_fingerprint', 'crm_funnel')()) }}
{%- endmacro %}

{% macro duckdb__type_fingerprint() -%}hugeint{%- endmacro %}

{% macro default__type_fingerprint() -%}numeric{%- endmacro %}

{% macro spark__type_fingerprint() -%}decimal(38, 0){%- endmacro %}


{#- type_double(): the 8-byte floating-point type. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'crm_funnel')()) }}
{%- endmacro %}

{% macro default__type_double() -%}double{%- endmacro %}

{% macro postgres__type_double() -%}double precision{%- endmacro %}


{#- inlined_cte(): written between a CTE's name and its body
    (`name as {{ inlined_cte() }} (...)`) where re-reading the CTE's source is
    cheaper than holding its rows: DuckDB would otherwise materialize a CTE
    that is read more than once, every raw column of every raw row in memory
    (docs/performance.md, "Issue 13"); PostgreSQL would write them to a temp
    file and plan its readers with no statistics (docs/performance.md,
    "Issue 25: PostgreSQL at 1M"). Spark plans it its own way. -#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte', 'crm_funnel')()) }}
{%- endmacro %}

{% macro duckdb__inlined_cte() -%}not materialized{%- endmacro %}

{% macro postgres__inlined_cte() -%}not materialized{%- endmacro %}

{% macro default__inlined_cte() -%}{%- endmacro %}


{#- analyze_built_table(): a post-hook of every model and seed
    (dbt_project.yml). PostgreSQL gathers no statistics for a table that
    `create table as` just wrote, so the models that read it next were
    planned on guesses: one row of int_run_as_of was taken for 2,260, and
    fct_lead_handoffs hashed the leads in 65,536 batches on disk (23 of its
    57 s at 1M leads; docs/performance.md, "Issue 25: PostgreSQL at 1M").
    Views have nothing to analyze; other engines plan without it. -#}
{% macro analyze_built_table() -%}
    {{ return(adapter.dispatch('analyze_built_table', 'crm_funnel')()) }}
{%- endmacro %}

{% macro postgres__analyze_built_table() -%}
    {%- if config.get('materialized') != 'view' %}analyze {{ this }}{% endif -%}
{%- endmacro %}

{% macro default__analyze_built_table() -%}{%- endmacro %}


{#- hash_joins_only(): a pre-hook of the models whose joins pair a few rows
    with millions where the planner cannot know how few: the rows after the
    last build's watermark (base_crm__affected_leads), the flagged rows
    (dq_issues). PostgreSQL took such a side for a third of its table and
    sorted both sides for a merge join, 4.8M rows of them; `set local` turns
    merge joins off for the model's own transaction only, and it hashes the
    few rows instead (docs/performance.md, "Issue 25: the night on
    PostgreSQL"). Other engines: nothing. -#}
{% macro hash_joins_only() -%}
    {{ return(adapter.dispatch('hash_joins_only', 'crm_funnel')()) }}
{%- endmacro %}

{% macro postgres__hash_joins_only() -%}set local enable_mergejoin = off{%- endmacro %}

{% macro default__hash_joins_only() -%}{%- endmacro %}


{#- text_equal_or_both_null(left, right): two text expressions are equal or
    both null, as a join condition the engine can hash. PostgreSQL joins
    `is not distinct from` by comparing every pair of rows (a nested loop:
    10 of the 15 s of stg_crm__leads at 1M leads, docs/performance.md,
    "Issue 25: PostgreSQL at 1M"); two equalities, the texts with null as ''
    and whether each is null, say the same and hash. -#}
{% macro text_equal_or_both_null(left, right) -%}
    {{ return(adapter.dispatch('text_equal_or_both_null', 'crm_funnel')(left, right)) }}
{%- endmacro %}

{% macro postgres__text_equal_or_both_null(left, right) -%}
    coalesce({{ left }}, '') = coalesce({{ right }}, '')
    and ({{ left }} is null) = ({{ right }} is null)
{%- endmacro %}

{% macro default__text_equal_or_both_null(left, right) -%}
    {{ left }} is not distinct from {{ right }}
{%- endmacro %}


{#- computed_once(): written last in a CTE's body whose computed columns the
    steps after it name many times. PostgreSQL pulls a plain CTE up into the
    query that reads it and copies a column's expression wherever the column
    is named, so a timestamp parse or a fingerprint ran again in each later
    window and case; `offset 0` keeps the CTE a step of its own, each row
    computed once, without writing the rows out as `materialized` would
    (docs/performance.md, "Issue 25: PostgreSQL at 1M"). Other engines:
    nothing. -#}
{% macro computed_once() -%}
    {{ return(adapter.dispatch('computed_once', 'crm_funnel')()) }}
{%- endmacro %}

{% macro postgres__computed_once() -%}offset 0{%- endmacro %}

{% macro default__computed_once() -%}{%- endmacro %}


{#- first_by(value, order_by): as an aggregate, the group's `value` of the row
    first by the columns of `order_by` (a list; ascending): a hash aggregate
    where a window would sort every row (docs/performance.md, "Issue 23") -#}
{% macro first_by(value, order_by) -%}
    {{ return(adapter.dispatch('first_by', 'crm_funnel')(value, order_by)) }}
{%- endmacro %}

{% macro duckdb__first_by(value, order_by) -%}
    arg_min({{ value }}, ({{ order_by | join(', ') }}))
{%- endmacro %}

{% macro default__first_by(value, order_by) -%}
    (array_agg({{ value }} order by {{ order_by | join(', ') }}))[1]
{%- endmacro %}

{% macro spark__first_by(value, order_by) -%}
    min_by({{ value }}, struct({{ order_by | join(', ') }}))
{%- endmacro %}


{#- ordered_listagg(expr, delimiter): the values of a group, sorted, joined
    (dbt's listagg cannot order on Spark). -#}
{% macro ordered_listagg(expr, delimiter) -%}
    {{ return(adapter.dispatch('ordered_listagg', 'crm_funnel')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__ordered_listagg(expr, delimiter) -%}
    {{ dbt.listagg(expr, sql_string(delimiter), "order by " ~ expr) }}
{%- endmacro %}

{% macro spark__ordered_listagg(expr, delimiter) -%}
    array_join(array_sort(collect_list({{ expr }})), {{ sql_string(delimiter) }})
{%- endmacro %}
