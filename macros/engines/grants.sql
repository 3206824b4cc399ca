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
