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

{% macro postgres__email_hash(expr) -%}
    {#- the salt is the server setting crm.email_salt of this session, which
        crm-funnel build passes in PGOPTIONS (docs/engines.md, "Email salt") -#}
    case
        when {{ blank_to_null(expr) }} is not null
            then encode(sha256(convert_to(
                    coalesce(
                        nullif(current_setting('crm.email_salt', true), ''),
                        {{ fail_query("'crm-funnel: no email salt is bound (PGOPTIONS must set"
                            ~ " crm.email_salt; crm-funnel build does it from CRM_EMAIL_SALT)'") }}
                    )
                    || lower(trim({{ expr }})),
                    'UTF8'
                )), 'hex')
    end
{%- endmacro %}

{% macro spark__email_hash(expr) -%}
    {#- the salt is the driver's environment variable CRM_EMAIL_SALT, read by
        the JVM (local sessions; docs/engines.md, "Email salt") -#}
    case
        when {{ blank_to_null(expr) }} is not null
            then sha2(
                    coalesce(
                        nullif(reflect('java.lang.System', 'getenv', 'CRM_EMAIL_SALT'), ''),
                        raise_error('crm-funnel: no email salt: CRM_EMAIL_SALT is not set')
                    )
                    || lower(trim({{ expr }})),
                    256
                )
    end
{%- endmacro %}
