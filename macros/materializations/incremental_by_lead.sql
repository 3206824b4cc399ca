{#-
    The materialization `incremental_by_lead` (docs/incremental.md).

    A model keyed by lead says what it is and nothing about how it is replaced:

        {{ config(materialized='incremental_by_lead') }}
        ... from {{ ref('upstream') }} where {{ only_affected_leads('lead_id') }}

    First build, --full-refresh, or a relation that is not a table: the model's
    query builds the whole table beside the old one, which is then swapped out
    (as dbt's table materialization does; a contract is enforced the same way).

    Later builds replace the affected leads (base_crm__affected_leads) only:
      1. the query, whose inputs only_affected_leads() filtered to those leads,
         runs once into a temporary table (dropped at the end), after the
         engine's settings for a few rows (lead_batch_settings());
      2. its columns must equal the table's, else the build stops and asks for
         one --full-refresh (a warehouse built by an earlier version);
      3. the table loses every row of an affected lead (some may no longer
         exist), and the rows matching `also_replace` (a predicate on the built
         rows, optional), then takes the new rows; one transaction.

    Configs: `lead_column` (default lead_id), the column compared with the
    affected leads' lead_key; `also_replace`, SQL over the built rows.
-#}
{% materialization incremental_by_lead, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set rebuild = existing_relation is none
        or not existing_relation.is_table
        or should_full_refresh()
        or not replaces_rows_in_place() -%}
    {%- set lead_column = config.get('lead_column', 'lead_id') -%}
    {%- set also_replace = config.get('also_replace') -%}
    {%- set backup_relation = none -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% if rebuild %}
        {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
        {%- set backup_relation = make_backup_relation(
            target_relation, 'table' if existing_relation is none else existing_relation.type
        ) -%}
        {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
        {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
        {% call statement('main') -%}
            {{ create_table_as(False, intermediate_relation, sql) }}
        {%- endcall %}
        {% if existing_relation is not none %}
            {{ adapter.rename_relation(existing_relation, backup_relation) }}
        {% endif %}
        {{ adapter.rename_relation(intermediate_relation, target_relation) }}
    {% else %}
        {#- a temporary table: this connection's only, never written to the file -#}
        {%- set batch = api.Relation.create(identifier=this.identifier ~ '__lead_batch') -%}
        {% do run_query('drop table if exists ' ~ batch) %}
        {%- set settings = lead_batch_settings() -%}
        {% if settings %}{% do run_query(settings) %}{% endif %}
        {% do run_query(create_table_as(True, batch, sql)) %}
        {% do assert_same_columns(batch, target_relation) %}
        {%- set columns = adapter.get_columns_in_relation(target_relation)
            | map(attribute='quoted') | join(', ') -%}
        {#- one statement per call (Spark runs no more), one transaction -#}
        {% do run_query(
            "delete from " ~ target_relation ~ " where " ~ lead_column
            ~ " in (select lead_key from " ~ ref('base_crm__affected_leads') ~ ")"
            ~ (" or (" ~ also_replace ~ ")" if also_replace else "")
        ) %}
        {% call statement('main') -%}
            insert into {{ target_relation }} ({{ columns }})
            select {{ columns }} from {{ batch }}
        {%- endcall %}
        {% do run_query('drop table ' ~ batch) %}
    {% endif %}

    {% do apply_grants(
        target_relation, config.get('grants'),
        should_revoke=should_revoke(existing_relation, full_refresh_mode=rebuild)
    ) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#-
    assert_same_columns(new, built): stop with one line when the rows a model
    makes now do not fit the table an earlier build left (names, order, types).
-#}
{% macro assert_same_columns(new, built) %}
    {#- types compared by kind: PostgreSQL calls a query's text `text` and a
        contract's `character varying`, which hold the same values -#}
    {%- set describe = [] -%}
    {%- for relation in [new, built] -%}
        {%- set columns = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do columns.append(column.name | lower ~ ' '
                ~ ('text' if column.is_string() else column.dtype | lower)) -%}
        {%- endfor -%}
        {%- do describe.append(columns) -%}
    {%- endfor -%}
    {%- if describe[0] != describe[1] -%}
        {{ exceptions.raise_compiler_error(
            "crm-funnel: table " ~ built.schema ~ "." ~ built.identifier ~ " was built by an earlier version of the models"
            ~ " (its columns differ from what the model makes now); rebuild it once"
            ~ " with `crm-funnel build --full-refresh` (dbt: --full-refresh)"
        ) }}
    {%- endif -%}
{% endmacro %}
