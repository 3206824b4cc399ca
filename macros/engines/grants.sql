{#-
    Grants (docs/engines.md, "Grants"). The marts carry dbt's `grants`
    config (dbt_project.yml): select for the BI role, CRM_BI_READER
    (default bi_reader). PostgreSQL applies it table by table with dbt's own
    macros; the role must exist (a database administrator creates it).
    DuckDB files and a local Spark session have no roles or privileges, so
    there the grants are deliberately a no-op, without dbt-duckdb's warning.
-#}
{% macro duckdb__apply_grants(relation, grant_config, should_revoke=True) %}
{% endmacro %}

{% macro spark__apply_grants(relation, grant_config, should_revoke=True) %}
{% endmacro %}


{#-
    grant_marts_schema_usage(): on-run-end. A table's select grant is of no
    use without `usage` on its schema: the BI role gets usage on the marts'
    schema and on no other (PostgreSQL only).
-#}
{% macro grant_marts_schema_usage() %}
    {{ return(adapter.dispatch('grant_marts_schema_usage', 'crm_funnel')()) }}
{% endmacro %}

{% macro default__grant_marts_schema_usage() %}
    {{ return('') }}
{% endmacro %}

{% macro postgres__grant_marts_schema_usage() %}
    {% if execute %}
        {% do run_query("grant usage on schema main to "
            ~ adapter.quote(env_var('CRM_BI_READER', 'bi_reader'))) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}


{#-
    check_bi_role(): on-run-start, before any model. The marts' select
    grant names the BI role (CRM_BI_READER, default bi_reader); on
    PostgreSQL a role that does not exist would fail the first mart's grant
    halfway through the build. So the build stops first, in one line naming
    the role, the statement that creates it and the variable that names
    another. Grants are never skipped. The throwaway server
    (`python -m crm_funnel.postgres_server start`) creates the role.
-#}
{% macro check_bi_role() %}
    {{ return(adapter.dispatch('check_bi_role', 'crm_funnel')()) }}
{% endmacro %}

{% macro default__check_bi_role() %}
    {{ return('') }}
{% endmacro %}

{% macro postgres__check_bi_role() %}
    {% if execute %}
        {% set role = env_var('CRM_BI_READER', 'bi_reader') %}
        {% set found = run_query(
            "select 1 from pg_catalog.pg_roles where rolname = '"
            ~ role | replace("'", "''") ~ "'") %}
        {% if found | length == 0 %}
            {{ exceptions.raise_compiler_error(
                "crm-funnel: the BI role " ~ adapter.quote(role) ~ " that the marts are granted to"
                ~ " does not exist on this server; have an administrator run `create role "
                ~ adapter.quote(role) ~ " nologin` (or `login password '...'` for a BI tool's"
                ~ " login), or set CRM_BI_READER to a role that exists") }}
        {% endif %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
