{#-
    Incremental builds by lead (docs/incremental.md). A model materialized as
    incremental_by_lead (macros/materializations/incremental_by_lead.sql)
    filters each input to this run's leads with only_affected_leads(); the
    materialization replaces those leads' rows.
-#}
{% macro only_affected_leads(column) -%}
    {#- ref() outside the condition: dbt records the dependency when it parses -#}
    {%- set affected_leads = ref('base_crm__affected_leads') -%}
    {%- if is_incremental() -%}
        {{ column }} in (select lead_key from {{ affected_leads }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#-
    is_incremental(): dbt's own macro, also true for incremental_by_lead. True
    while the model's table exists and this is not a --full-refresh, so the
    query reads only this run's leads.
-#}
{% macro is_incremental() %}
    {% if not execute %}
        {{ return(false) }}
    {% endif %}
    {% set relation = adapter.get_relation(this.database, this.schema, this.table) %}
    {{ return(
        relation is not none
        and relation.type == 'table'
        and model.config.materialized in ('incremental', 'incremental_by_lead')
        and not should_full_refresh()
        and replaces_rows_in_place()
    ) }}
{% endmacro %}


{#-
    replaces_rows_in_place(): the engine can delete a lead's rows from a
    built table. Spark can only with a table format that supports deletes
    (Delta, Iceberg, Hudi; env CRM_SPARK_FILE_FORMAT); on plain Parquet
    every build is a full build (docs/engines.md, "Spark").
-#}
{% macro replaces_rows_in_place() %}
    {{ return(adapter.dispatch('replaces_rows_in_place', 'crm_funnel')()) }}
{% endmacro %}

{% macro default__replaces_rows_in_place() %}
    {{ return(true) }}
{% endmacro %}

{% macro spark__replaces_rows_in_place() %}
    {{ return(spark_file_format() in ['delta', 'iceberg', 'hudi']) }}
{% endmacro %}

{#-
    lead_batch_settings(): the session settings of a night's batch, run in
    its transaction before the batch's query (incremental_by_lead).
    PostgreSQL compiles a query's expressions (JIT) once its estimated cost
    passes jit_above_cost; a batch's cost is estimated from the filter on
    the affected leads, which it cannot size, and it compiled for about a
    second per model (and per parallel worker) to compute a few thousand
    rows. `set local jit = off` ends with the batch's transaction; a full
    build keeps JIT, which pays on millions of rows (docs/performance.md,
    "Issue 25: the night on PostgreSQL"). Other engines: nothing.
-#}
{% macro lead_batch_settings() %}
    {{ return(adapter.dispatch('lead_batch_settings', 'crm_funnel')()) }}
{% endmacro %}

{% macro default__lead_batch_settings() %}
    {{ return('') }}
{% endmacro %}

{% macro postgres__lead_batch_settings() %}
    {{ return('set local jit = off') }}
{% endmacro %}

{% macro spark_file_format() %}
    {{ return(env_var('CRM_SPARK_FILE_FORMAT', 'parquet') | lower) }}
{% endmacro %}


{#-
    note_full_builds(): on-run-start. Says once, on an engine that cannot
    replace a lead's rows, that this build is a full one.
-#}
{% macro note_full_builds() %}
    {% if execute and not flags.FULL_REFRESH and not replaces_rows_in_place() %}
        {{ log("crm-funnel: Spark tables in " ~ spark_file_format() ~ " cannot delete rows, so this"
            ~ " build rebuilds every table in full; set CRM_SPARK_FILE_FORMAT=delta (or iceberg,"
            ~ " hudi) for incremental nights (docs/engines.md)", info=true) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{#-
    previous_build_relation(name): the relation `name` as the previous build
    left it in this model's schema, or none (first build, --full-refresh).
    Read without ref() on purpose: a ref would order this model after `name`,
    and the point is to read `name` before this run replaces it.
-#}
{% macro previous_build_relation(name) %}
    {% if not execute or flags.FULL_REFRESH %}
        {{ return(none) }}
    {% endif %}
    {{ return(adapter.get_relation(database=this.database, schema=this.schema, identifier=name)) }}
{% endmacro %}


{#-
    as_of_sensitive_handoffs(): handoffs whose SLA flags still depend on as_of
    (pending, or accepted and not yet touched). fct_lead_handoffs recomputes
    them on every incremental run, whatever lead they belong to, because
    as_of moves with each load.
-#}
{% macro as_of_sensitive_handoffs(prefix='') -%}
    (
        {{ prefix }}decision = 'pending'
        or ({{ prefix }}accepted_at is not null and {{ prefix }}first_touch_at is null)
    )
{%- endmacro %}


{#-
    content_fingerprint(columns): an order-independent fingerprint of the raw
    rows of a group (one load of one file), as an aggregate: the sum of a
    hash of each row's columns. Two groups with the same row count and
    fingerprint hold the same rows, in any order (base_crm__load_state).
-#}
{% macro content_fingerprint(columns) -%}
    {{ return(adapter.dispatch('content_fingerprint', 'crm_funnel')(columns)) }}
{%- endmacro %}

{% macro duckdb__content_fingerprint(columns) -%}
    sum(cast(hash({{ columns | join(', ') }}) as hugeint))
{%- endmacro %}

{% macro default__content_fingerprint(columns) -%}
    {#- 60 bits of each row's md5, summed as numeric -#}
    sum(cast(cast(cast(
        'x' || left({{ row_fingerprint(columns) }}, 15) as bit(60)) as bigint) as numeric))
{%- endmacro %}

{% macro spark__content_fingerprint(columns) -%}
    sum(cast(conv(left({{ row_fingerprint(columns) }}, 15), 16, 10) as decimal(38, 0)))
{%- endmacro %}


{#-
    fail_query(message): an expression that stops the query that evaluates
    it, with `message` (SQL text) as the error dbt prints. For refusals a
    person must read in one line (base_crm__load_state).
-#}
{% macro fail_query(message, type=none) -%}
    {{ return(adapter.dispatch('fail_query', 'crm_funnel')(message, type)) }}
{%- endmacro %}

{% macro duckdb__fail_query(message, type) -%}
    error({{ message }})
{%- endmacro %}

{% macro postgres__fail_query(message, type) -%}
    {#- crm_funnel_fail() raises; on-run-start defines it (define_fail_function) -#}
    {%- set call = target.schema ~ ".crm_funnel_fail(" ~ message ~ ")" -%}
    {{ "cast(" ~ call ~ " as " ~ type ~ ")" if type else call }}
{%- endmacro %}

{% macro spark__fail_query(message, type) -%}
    {%- set call = "raise_error(" ~ message ~ ")" -%}
    {{ "cast(" ~ call ~ " as " ~ type ~ ")" if type else call }}
{%- endmacro %}


{#-
    define_fail_function(): on-run-start. PostgreSQL has no function that
    raises an error from a query; this defines one, crm_funnel_fail(text),
    in the target schema. Other engines need none. It is `parallel safe`
    (raising an error changes no state): a query that names a function
    PostgreSQL must take as unsafe, the default, runs on one core, and the
    email hash of base_crm__leads and the fingerprints of
    base_crm__load_state name it.
-#}
{% macro define_fail_function() %}
    {{ return(adapter.dispatch('define_fail_function', 'crm_funnel')()) }}
{% endmacro %}

{% macro default__define_fail_function() %}
    {{ return('') }}
{% endmacro %}

{% macro postgres__define_fail_function() %}
    {% if execute %}
        {% do run_query("create schema if not exists " ~ target.schema) %}
        {% do run_query(
            "create or replace function " ~ target.schema ~ ".crm_funnel_fail(message text)"
            ~ " returns text language plpgsql volatile parallel safe as $$ begin"
            ~ " raise exception '%', message;"
            ~ " end $$"
        ) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
