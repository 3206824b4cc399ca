{#-
    The CRM sources crm-funnel reads (docs/sources.md). var crm_source picks
    one; register_raw_files() then registers that source's tables as views
    raw.<prefix>_<table> and translates them into the contract's three raw
    relations (raw.lead_status_history, raw.leads, raw.activities), which
    every cleaning, handoff and data-quality rule reads. A new CRM adds a row
    to crm_sources() and the macros it names; nothing downstream changes.
-#}
{% macro crm_sources() %}
    {#- each connector source: its raw tables (Fivetran's names, in the order
        dq_load_summary lists them; the translated rows' `_raw_table`) -#}
    {{ return({
        'salesforce': ['lead_history', 'lead', 'task', 'event'],
        'hubspot': ['contact_property_history', 'contact', 'engagement_contact'],
    }) }}
{% endmacro %}


{% macro crm_source() %}
    {#- 'export' (the three-file export, the default), or a connector source -#}
    {% set chosen = var('crm_source') | string | trim | lower %}
    {% if chosen in ['', 'none'] %}{{ return('export') }}{% endif %}
    {% if chosen != 'export' and chosen not in crm_sources() %}
        {{ exceptions.raise_compiler_error(
            "crm-funnel: var crm_source='" ~ var('crm_source') ~ "'; expected 'export' (the"
            ~ " three-file export), 'salesforce' or 'hubspot' (as Fivetran or Airbyte land"
            ~ " them; docs/sources.md)") }}
    {% endif %}
    {{ return(chosen) }}
{% endmacro %}


{% macro crm_raw_tables() %}
    {#- the raw tables of the chosen source, as dq_load_summary lists them -#}
    {{ return(crm_sources().get(crm_source(), ['lead_status_history', 'leads', 'activities'])) }}
{% endmacro %}


{% macro outreach_types() %}
    {#- a connector source's outreach activity types (its var, lower case);
        none for the export, whose types the seed activity_types judges -#}
    {% set types = {
        'salesforce': var('salesforce_outreach_types'),
        'hubspot': var('hubspot_outreach_types'),
    }.get(crm_source()) %}
    {% if types is none %}{{ return(none) }}{% endif %}
    {{ return(types | map('lower') | map('trim') | list) }}
{% endmacro %}


{% macro register_crm_tables(from_tables) %}
    {#- (name, select) of the chosen connector source's raw views, then its
        translated relations; every table is checked before any is made -#}
    {% if target.type == 'spark' and crm_source() == 'salesforce' %}
        {{ exceptions.raise_compiler_error(
            "crm-funnel: the " ~ crm_source() ~ " source is read on DuckDB and PostgreSQL; on"
            ~ " Spark it has not been built and tested yet (docs/sources.md)") }}
    {% endif %}
    {% if crm_source() == 'salesforce' %}
        {% set views = register_salesforce_tables(from_tables) %}
        {% do views.extend(salesforce_raw_views('sf_event' in views | map(attribute=0) | list)) %}
    {% else %}
        {% set views = register_hubspot_tables(from_tables) %}
        {% do views.extend(hubspot_raw_views(views | map(attribute=0) | list)) %}
    {% endif %}
    {{ return(views) }}
{% endmacro %}


{% macro split_to_rows(expr, delimiter) -%}
    {#- one row per part of a delimited text (a set-returning select item) -#}
    {{ return(adapter.dispatch('split_to_rows', 'crm_funnel')(expr, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(expr, delimiter) -%}
    unnest(string_to_array({{ expr }}, {{ sql_string(delimiter) }}))
{%- endmacro %}

{% macro spark__split_to_rows(expr, delimiter) -%}
    explode(split({{ expr }}, {{ sql_string(delimiter) }}))
{%- endmacro %}

{% macro duckdb__split_to_rows(expr, delimiter) -%}
    unnest(string_split({{ expr }}, {{ sql_string(delimiter) }}))
{%- endmacro %}
