{#-
    Use the configured schema name as it is (staging, intermediate, reference,
    main) instead of dbt's default "<target schema>_<custom schema>", so BI
    tools find the marts in the warehouse's default schema `main`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
