{#-
    Salesforce as Fivetran or Airbyte land it (docs/sources.md; the rules:
    docs/contract.md, "Salesforce"). With var crm_source 'salesforce',
    register_raw_files() registers the Salesforce tables as views raw.sf_<table>
    (register_salesforce_tables) and then builds the contract's three raw
    views from them (salesforce_raw_views): raw.lead_status_history,
    raw.leads and raw.activities, with the export's columns. Every cleaning,
    handoff and data-quality rule downstream reads those and cannot tell the
    two sources apart.

    Each row of the three views also says where it came from (`_raw_table`,
    the Salesforce table; `_raw_row_number`, its row there, negative for a
    row of the second table of a view: an initial status, derived from its
    lead's row, or an Event) and carries the connector's own verdict
    (`_source_issue`, `_source_detail`: deleted or merged in Salesforce).
-#}
{% macro salesforce_api_names() %}
    {#- Fivetran's table name: Airbyte's stream name (Salesforce's API name) -#}
    {{ return({'lead_history': 'LeadHistory', 'lead': 'Lead', 'task': 'Task', 'event': 'Event'}) }}
{% endmacro %}


{% macro salesforce_column_name(api_name) %}
    {#- Fivetran's snake case of a Salesforce API name: LeadId -> lead_id,
        CompletedDateTime -> completed_date_time, Segment__c -> segment_c;
        Airbyte's load time is Fivetran's -#}
    {% if api_name == '_airbyte_extracted_at' %}{{ return('_fivetran_synced') }}{% endif %}
    {% set name = modules.re.sub('(?<=[a-z0-9])(?=[A-Z])', '_', api_name | replace('__c', '_c')) %}
    {{ return(name | lower) }}
{% endmacro %}


{% macro salesforce_required_columns(table) %}
    {#- the declared columns of source salesforce (_salesforce__sources.yml),
        and on lead the custom fields named by var salesforce_lead_fields -#}
    {% set columns = [] %}
    {% for node in graph.sources.values() if node.source_name == 'salesforce' and node.name == table %}
        {% do columns.extend(node.columns.keys() | reject('equalto', '_raw_row_number') | list) %}
    {% endfor %}
    {% if table == 'lead' %}
        {% for column in var('salesforce_lead_fields').values() if column and column not in columns %}
            {% do columns.append(column) %}
        {% endfor %}
    {% endif %}
    {{ return(columns) }}
{% endmacro %}


{% macro find_salesforce_file(table) %}
    {#- Fivetran's name (lead_history.csv) or Airbyte's (LeadHistory.csv),
        never both; none for the optional event table -#}
    {% set api_name = salesforce_api_names()[table] %}
    {% set found = [] %}
    {% for name in [table, api_name] %}
        {% set pattern = glob_literal(raw_dir() ~ '/' ~ name) ~ '.*' %}
        {% for row in run_query("select file from glob(" ~ sql_string(pattern) ~ ")").rows %}
            {% if row[0].split('.')[-1] | lower in ['csv', 'parquet'] %}{% do found.append(row[0]) %}{% endif %}
        {% endfor %}
    {% endfor %}
    {% if found | length > 1 %}
        {{ raw_error(found | join(' and '), "found more than one file for Salesforce table " ~ table
            ~ "; keep one (Fivetran's " ~ table ~ " or Airbyte's " ~ api_name ~ ", .csv or .parquet)") }}
    {% elif found | length == 0 and table != 'event' %}
        {{ raw_error(raw_dir() ~ '/' ~ table ~ '.csv', "file is missing; expected Salesforce table "
            ~ table ~ " as " ~ table ~ ".csv or .parquet (Fivetran) or " ~ api_name
            ~ ".csv or .parquet (Airbyte)") }}
    {% endif %}
    {{ return(found[0] if found else none) }}
{% endmacro %}


{% macro register_salesforce_tables(from_tables) %}
    {#- (name, select) of each raw.sf_<table> view; checked before any is made -#}
    {% set views = [] %}
    {% for table in salesforce_api_names() %}
        {% set required = salesforce_required_columns(table) %}
        {% if from_tables %}
            {% set relation = raw_table_relation(table) %}
            {% if table != 'event' or raw_table_columns(relation) | length > 0 %}
                {% do views.append(('sf_' ~ table, raw_table_view_sql(table, required,
                    renames=salesforce_renames))) %}
            {% endif %}
        {% else %}
            {% set path = find_salesforce_file(table) %}
            {% if path is not none %}
                {% do views.append(('sf_' ~ table, raw_file_view_sql(table, path, required,
                    renames=salesforce_renames))) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return(views) }}
{% endmacro %}


{% macro salesforce_renames(columns) %}
    {#- {present column: its Fivetran name} -#}
    {% set renames = {} %}
    {% for column in columns %}{% do renames.update({column: salesforce_column_name(column)}) %}{% endfor %}
    {{ return(renames) }}
{% endmacro %}


{% macro connector_truthy(expr) -%}
    coalesce(lower({{ trim_text(expr) }}) in ('true', 't', '1', 'yes'), false)
{%- endmacro %}


{% macro sf_list(values) -%}
    {%- for value in values %}{{ sql_string(value | lower) }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}


{% macro salesforce_has_event() %}
    {#- the optional event table was found (its view raw.sf_event exists) -#}
    {% if not execute %}{{ return(false) }}{% endif %}
    {% set found = run_query("select count(*) from information_schema.tables"
        ~ " where table_schema = 'raw' and table_name = 'sf_event'") %}
    {{ return(found.rows[0][0] > 0) }}
{% endmacro %}
