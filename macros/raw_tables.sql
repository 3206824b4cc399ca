{#-
    Raw CRM data that is already in the warehouse (docs/engines.md, "Raw
    input"). With var raw_source = 'tables', register_raw_files() reads the
    three tables named by vars raw_database, raw_schema and raw_tables instead
    of export files: it checks that each table exists and has every declared
    column, then exposes it as the view raw.<name>, every column as text, as
    the file views are. The cleaning rules cannot tell the two apart.

    `_raw_row_number` numbers a table's rows by load time, then by content
    (every declared column, nulls last), since a table has no row order: the
    same rows in any order give the same numbers, and so the same marts, and
    a later night's rows come after every row numbered before.
-#}
{% macro raw_source() %}
    {#- 'files' or 'tables'; unset: files on DuckDB, tables on other engines -#}
    {% set chosen = var('raw_source') %}
    {% if chosen is none or chosen | string | trim == '' %}
        {{ return('files' if target.type == 'duckdb' else 'tables') }}
    {% endif %}
    {% if chosen not in ['files', 'tables'] %}
        {{ exceptions.raise_compiler_error(
            "crm-funnel: var raw_source='" ~ chosen ~ "'; expected 'files' (an export folder,"
            ~ " DuckDB only) or 'tables' (raw tables in the warehouse)") }}
    {% endif %}
    {% if chosen == 'files' and target.type != 'duckdb' %}
        {{ exceptions.raise_compiler_error(
            "crm-funnel: var raw_source='files' reads export files, which only the DuckDB target"
            ~ " can; on " ~ target.type ~ " load the export into tables (`crm-funnel load-raw`)"
            ~ " and use raw_source='tables'") }}
    {% endif %}
    {{ return(chosen) }}
{% endmacro %}


{% macro raw_table_relation(name) %}
    {%- set tables = var('raw_tables') -%}
    {{ return(api.Relation.create(
        database=var('raw_database') or target.database or none,
        schema=var('raw_schema'),
        identifier=tables.get(name, name),
    )) }}
{% endmacro %}


{% macro raw_table_error(relation, message) -%}
    {{ exceptions.raise_compiler_error(
        "crm-funnel raw input error in table " ~ relation ~ ": " ~ message
        ~ " (raw_source=tables; vars raw_database, raw_schema, raw_tables)"
    ) }}
{%- endmacro %}


{% macro raw_table_view_sql(name, required, renames=none) %}
    {% set wanted = raw_table_relation(name) %}
    {% if wanted.schema | lower == 'raw' %}
        {{ raw_table_error(wanted, "schema raw holds the build's own views and is dropped by"
            ~ " every run; keep the raw tables in another schema (var raw_schema)") }}
    {% endif %}
    {% set relation = wanted %}
    {% set types = raw_table_columns(wanted) %}
    {% if types | length == 0 %}
        {{ raw_table_error(wanted, "table is missing; expected the " ~ name ~ " table with columns "
            ~ required | join(', ')) }}
    {% endif %}
    {% set original = present_columns(types.keys() | list, renames) %}
    {% do check_columns(relation, name, original.keys() | list, required, raw_table_error) %}
    {% set select_list = [] %}
    {% set order_list = [] %}
    {% for column in required %}
        {% set quoted = adapter.quote(original[column]) %}
        {% if 'timestamp' in types[original[column]] %}
            {#- typed timestamps become ISO 8601 UTC text, like the CSV export -#}
            {% set as_text = timestamp_as_iso_text(quoted) %}
        {% else %}
            {% set as_text = "cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ")" %}
        {% endif %}
        {% do select_list.append(as_text ~ " as " ~ adapter.quote(column)) %}
        {% do order_list.append(as_text ~ " nulls last") %}
    {% endfor %}
    {#- loads first, in time order: a new night's rows come after every row an
        earlier build numbered, which keeps their numbers (loads without a
        place in time come last; their leads are rebuilt every night) -#}
    {#- a Salesforce table's load time is its connector's (_fivetran_synced) -#}
    {% set load_column = '_loaded_at' if '_loaded_at' in required else '_fivetran_synced' %}
    {% set loaded_at = "cast(" ~ adapter.quote(original[load_column]) ~ " as " ~ dbt.type_string() ~ ")" %}
    {% if load_column != '_loaded_at' and 'timestamp' in types[original[load_column]] %}
        {% set loaded_at = timestamp_as_iso_text(adapter.quote(original[load_column])) %}
    {% endif %}
    {#- each distinct load text parsed once (a few hundred), not every row's:
        the parse per row was 40% of the copy on PostgreSQL at 1M leads
        (docs/performance.md, "Issue 25: PostgreSQL at 1M") -#}
    {% set load_order = "(select raw_text as _crm_load_text, parsed_at as _crm_load_time from ("
        ~ parsed_load_texts(relation, loaded_at) ~ ") as load_texts) as load_order" %}
    {% do order_list.insert(0, "load_order._crm_load_time nulls last") %}
    {{ return("select " ~ select_list | join(', ') ~ ", cast(row_number() over (order by "
        ~ order_list | join(', ') ~ ") as integer) as _raw_row_number from " ~ relation
        ~ " left join " ~ load_order ~ " on " ~ loaded_at ~ " = load_order._crm_load_text") }}
{% endmacro %}


{#- raw_table_columns(relation): {column name (lower case): type (lower
    case)}, empty when the table does not exist. A plain query, not dbt's
    relation cache: the cache's lookups open a transaction that on-run-start
    rolls back, and the raw views would go with it. -#}
{% macro raw_table_columns(relation) %}
    {{ return(adapter.dispatch('raw_table_columns', 'crm_funnel')(relation)) }}
{% endmacro %}

{% macro default__raw_table_columns(relation) %}
    {% set found = run_query(
        "select column_name, data_type from information_schema.columns"
        ~ " where lower(table_catalog) = lower(" ~ sql_string(relation.database) ~ ")"
        ~ " and lower(table_schema) = lower(" ~ sql_string(relation.schema) ~ ")"
        ~ " and lower(table_name) = lower(" ~ sql_string(relation.identifier) ~ ")"
        ~ " order by ordinal_position"
    ) %}
    {% set types = {} %}
    {% for row in found.rows %}
        {% do types.update({row[0] | lower: row[1] | lower}) %}
    {% endfor %}
    {{ return(types) }}
{% endmacro %}

{% macro spark__raw_table_columns(relation) %}
    {% set tables = run_query(
        "show tables in " ~ relation.schema ~ " like " ~ sql_string(relation.identifier)
    ) %}
    {% set types = {} %}
    {% if tables.rows | length > 0 %}
        {% set listing = namespace(done=false) %}
        {% for row in run_query("describe table " ~ relation).rows %}
            {#- the column list ends where the partition information begins -#}
            {% if row[0] == '' or row[0].startswith('#') %}{% set listing.done = true %}{% endif %}
            {% if not listing.done %}{% do types.update({row[0] | lower: row[1] | lower}) %}{% endif %}
        {% endfor %}
    {% endif %}
    {{ return(types) }}
{% endmacro %}
