{#-
    Incremental builds by lead (docs/decisions.md, "Incremental builds").

    A nightly load appends raw rows with a later `_loaded_at`. The models keyed
    by lead recompute only the leads in base_crm__affected_leads (leads that
    received a new row in any raw file, and leads sharing an event_id or
    activity_id with a new row) and replace those leads' rows:

        {{ config(materialized='incremental', incremental_strategy='append',
                  on_schema_change='fail',
                  pre_hook="{{ delete_affected_leads('lead_id') }}") }}
        -- depends_on: {{ ref('base_crm__affected_leads') }}
        ... where {{ only_affected_leads('lead_id') }}

    On the first build and with --full-refresh both macros are no-ops, so the
    model's SQL is the whole-history SQL.
-#}
{% macro only_affected_leads(column) -%}
    {%- if is_incremental() -%}
        {{ column }} in (select lead_key from {{ ref('base_crm__affected_leads') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{% macro delete_affected_leads(column, also_where=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ column }} in (select lead_key from {{ ref('base_crm__affected_leads') }})
        {%- if also_where %} or ({{ also_where }}){% endif %}
    {%- endif -%}
{%- endmacro %}


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


{#-
    fail_query(message): an expression that stops the query that evaluates
    it, with `message` (SQL text) as the error dbt prints. For refusals a
    person must read in one line (base_crm__load_state).
-#}
{% macro fail_query(message) -%}
    {{ return(adapter.dispatch('fail_query', 'crm_funnel')(message)) }}
{%- endmacro %}

{% macro duckdb__fail_query(message) -%}
    error({{ message }})
{%- endmacro %}
