{#-
    email_hash(expr): the salted SHA-256 of a normalized email (trimmed, lower
    case), null for a blank one; the only form in which an email leaves the
    raw file (docs/decisions.md 16, 23, 24). The salt is the DuckDB variable
    `crm_email_salt`, bound from CRM_EMAIL_SALT by the project's dbt-duckdb
    plugin (src/crm_funnel/dbt_plugin.py), so it never appears in SQL text,
    target/ or logs/. Without the plugin the variable is unset and the build
    fails rather than hash without a salt.
-#}
{% macro email_hash(expr) -%}
    {{ return(adapter.dispatch('email_hash', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro duckdb__email_hash(expr) -%}
    case
        when {{ blank_to_null(expr) }} is not null
            then sha256(
                    case
                        when getvariable('crm_email_salt') is null
                            then error(
                                    'crm-funnel: no email salt is bound (profiles.yml must list'
                                    || ' the plugin crm_funnel.dbt_plugin)'
                                )
                        else getvariable('crm_email_salt')
                    end
                    || lower(trim({{ expr }}))
                )
    end
{%- endmacro %}
