{#-
    HubSpot as Fivetran or Airbyte land it (docs/sources.md; the rules:
    docs/contract.md, "HubSpot"). With var crm_source 'hubspot',
    register_crm_tables() registers the HubSpot tables as views
    raw.hs_<table> in Fivetran's shape, whichever connector wrote them
    (register_hubspot_tables), and then builds the contract's three raw
    relations from them (hubspot_raw_views, macros/sources/hubspot_views.sql).
-#}
{% macro hubspot_airbyte_names() %}
    {#- Fivetran's table name: Airbyte's stream name. Airbyte has no
        engagement_contact: its engagements list their contacts in
        associations_contactIds, one row per pair here. -#}
    {{ return({
        'contact': 'contacts',
        'contact_property_history': 'contacts_property_history',
        'engagement': 'engagements',
        'engagement_contact': none,
        'contact_merge_audit': 'contacts_merged_audit',
    }) }}
{% endmacro %}


{% macro hubspot_column_name(name) %}
    {#- Fivetran's name of an Airbyte column: properties_<p> is property_<p>,
        archived is the delete flag, the load time is Fivetran's -#}
    {% set fixed = {
        '_airbyte_extracted_at': '_fivetran_synced', 'archived': '_fivetran_deleted',
        'vid': 'contact_id', 'property': 'name', 'source-type': 'source', 'source-id': 'source_id',
        'ownerId': 'owner_id', 'associations_contactIds': 'contact_ids',
        'canonical-vid': 'canonical_vid', 'vid-to-merge': 'vid_to_merge',
    } %}
    {% if name in fixed %}{{ return(fixed[name]) }}{% endif %}
    {% if name.startswith('properties_') %}{{ return('property_' ~ name[11:]) }}{% endif %}
    {{ return(name) }}
{% endmacro %}


{% macro hubspot_renames(columns) %}
    {#- {present column: its Fivetran name} -#}
    {% set renames = {} %}
    {% for column in columns %}{% do renames.update({column: hubspot_column_name(column)}) %}{% endfor %}
    {{ return(renames) }}
{% endmacro %}


{% macro hubspot_required_columns(table) %}
    {#- the declared columns of source hubspot (_hubspot__sources.yml), and on
        contact the properties of var hubspot_contact_properties -#}
    {% set columns = [] %}
    {% for node in graph.sources.values() if node.source_name == 'hubspot' and node.name == table %}
        {% for name, column in node.columns.items() if not (column.meta or {}).get('optional') %}
            {% do columns.append(name) %}
        {% endfor %}
    {% endfor %}
    {% if table == 'contact' %}
        {% for property in var('hubspot_contact_properties').values() if property %}
            {% if 'property_' ~ property not in columns %}{% do columns.append('property_' ~ property) %}{% endif %}
        {% endfor %}
    {% endif %}
    {{ return(columns) }}
{% endmacro %}


{% macro hubspot_optional_columns(table) %}
    {#- declared columns read where present (meta optional: the older merge forms) -#}
    {% set columns = [] %}
    {% for node in graph.sources.values() if node.source_name == 'hubspot' and node.name == table %}
        {% for name, column in node.columns.items() if (column.meta or {}).get('optional') %}
            {% do columns.append(name) %}
        {% endfor %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{% macro find_hubspot_file(table) %}
    {#- (path, is_airbyte): Fivetran's name or Airbyte's, never both; none for
        a table that is optional (contact_merge_audit) or that Airbyte's
        engagements replace (engagement_contact) -#}
    {% set airbyte_name = hubspot_airbyte_names()[table] %}
    {% set found = [] %}
    {% for name in [table, airbyte_name] if name %}
        {% set pattern = glob_literal(raw_dir() ~ '/' ~ name) ~ '.*' %}
        {% for row in run_query("select file from glob(" ~ sql_string(pattern) ~ ")").rows %}
            {% if row[0].split('.')[-1] | lower in ['csv', 'parquet'] %}
                {% do found.append((row[0], name != table)) %}
            {% endif %}
        {% endfor %}
    {% endfor %}
    {% if found | length > 1 %}
        {{ raw_error(found | map(attribute=0) | join(' and '), "found more than one file for HubSpot"
            ~ " table " ~ table ~ "; keep one (Fivetran's " ~ table ~ " or Airbyte's "
            ~ airbyte_name ~ ", .csv or .parquet)") }}
    {% elif found | length == 0 and table in ['contact', 'contact_property_history', 'engagement'] %}
        {{ raw_error(raw_dir() ~ '/' ~ table ~ '.csv', "file is missing; expected HubSpot table "
            ~ table ~ " as " ~ table ~ ".csv or .parquet (Fivetran) or " ~ airbyte_name
            ~ ".csv or .parquet (Airbyte)") }}
    {% endif %}
    {{ return(found[0] if found else none) }}
{% endmacro %}


{% macro hubspot_present_columns(path) %}
    {#- a file's columns under Fivetran's names -#}
    {% set present = csv_header(path) if path.lower().endswith('.csv') else parquet_columns(path).keys() | list %}
    {{ return(hubspot_renames(present).values() | list) }}
{% endmacro %}


{% macro register_hubspot_tables(from_tables) %}
    {#- (name, select) of each raw.hs_<table> view, in Fivetran's shape -#}
    {% set views = [] %}
    {% set airbyte_engagements = namespace(path=none) %}
    {% for table in hubspot_airbyte_names() %}
        {% set required = hubspot_required_columns(table) %}
        {% if from_tables %}
            {% set relation = raw_table_relation(table) %}
            {% set present = hubspot_renames(raw_table_columns(relation).keys() | list).values() | list %}
            {% if table in ['contact', 'contact_property_history', 'engagement', 'engagement_contact']
                or present | length > 0 %}
                {% do views.append(('hs_' ~ table, hubspot_view_sql(table, required, present,
                    raw_table_view_sql))) %}
            {% endif %}
        {% else %}
            {% set found = find_hubspot_file(table) if table != 'engagement_contact' else none %}
            {% if table == 'engagement_contact' and airbyte_engagements.path is none %}
                {% set found = find_hubspot_file(table) %}
                {% if found is none %}
                    {{ raw_error(raw_dir() ~ '/engagement_contact.csv', "file is missing; expected"
                        ~ " HubSpot table engagement_contact (Fivetran) beside engagement, or"
                        ~ " Airbyte's engagements with associations_contactIds") }}
                {% endif %}
            {% endif %}
            {% if found is not none %}
                {% set path, is_airbyte = found %}
                {% if table == 'engagement' and is_airbyte %}
                    {% set airbyte_engagements.path = path %}
                    {% do required.append('contact_ids') %}
                {% endif %}
                {% set present = hubspot_present_columns(path) %}
                {% do views.append(('hs_' ~ table, hubspot_view_sql(table, required, present,
                    raw_file_view_sql, path))) %}
            {% elif table == 'engagement_contact' %}
                {% do views.append(('hs_engagement_contact', hubspot_airbyte_associations())) %}
            {% endif %}
        {% endif %}
    {% endfor %}
    {{ return(views) }}
{% endmacro %}


{% macro hubspot_view_sql(table, required, present, view_sql, path=none) %}
    {#- the view of one table: its required columns, and each optional one,
        null where the table lacks it -#}
    {% set optional = hubspot_optional_columns(table) %}
    {% set wanted = required + optional | select('in', present) | list %}
    {% if path is none %}
        {% set select_sql = view_sql(table, wanted, renames=hubspot_renames) %}
    {% else %}
        {% set select_sql = view_sql(table, path, wanted, renames=hubspot_renames) %}
    {% endif %}
    {% set missing = [] %}
    {% for column in optional if column not in present %}
        {% do missing.append(", cast(null as " ~ dbt.type_string() ~ ") as " ~ column) %}
    {% endfor %}
    {{ return("select present.*" ~ missing | join('') ~ " from (" ~ select_sql ~ ") as present") }}
{% endmacro %}


{% macro hubspot_airbyte_associations() %}
    {#- Airbyte's engagements name their contacts in a JSON list: one
        engagement_contact row per (engagement, contact), numbered in file
        order (DuckDB files only; tables are read under Fivetran's names) -#}
    {% set ids = "case when json_valid(contact_ids) then json_extract_string(contact_ids, '$[*]') end" %}
    {{ return("select engagement_id, contact_id, _fivetran_synced,"
        ~ " cast(row_number() over (order by _raw_row_number, position) as integer) as _raw_row_number"
        ~ " from (select id as engagement_id, _fivetran_synced, _raw_row_number,"
        ~ " unnest(" ~ ids ~ ") as contact_id, generate_subscripts(" ~ ids ~ ", 1) as position"
        ~ " from raw.hs_engagement) as pairs") }}
{% endmacro %}


{% macro hs_time(expr) -%}
    {#- Airbyte writes HubSpot's times as epoch milliseconds: those become
        ISO 8601 UTC text; anything else is left to the contract's parser -#}
    case
        when {{ is_epoch_ms('trim(' ~ expr ~ ')') }}
            then {{ epoch_ms_as_iso_text('trim(' ~ expr ~ ')') }}
        else trim({{ expr }})
    end
{%- endmacro %}


{% macro is_epoch_ms(expr) -%}
    {{ return(adapter.dispatch('is_epoch_ms', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro default__is_epoch_ms(expr) -%}
    {{ expr }} similar to '[0-9]{10,14}'
{%- endmacro %}

{% macro spark__is_epoch_ms(expr) -%}
    {{ expr }} rlike '^[0-9]{10,14}$'
{%- endmacro %}


{% macro epoch_ms_as_iso_text(expr) -%}
    {{ return(adapter.dispatch('epoch_ms_as_iso_text', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro duckdb__epoch_ms_as_iso_text(expr) -%}
    strftime(epoch_ms(cast({{ expr }} as bigint)), '%Y-%m-%dT%H:%M:%S.%gZ')
{%- endmacro %}

{% macro spark__epoch_ms_as_iso_text(expr) -%}
    date_format(timestamp_millis(cast({{ expr }} as bigint)), "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
{%- endmacro %}

{% macro default__epoch_ms_as_iso_text(expr) -%}
    to_char(to_timestamp(cast({{ expr }} as bigint) / 1000.0) at time zone 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
{%- endmacro %}
