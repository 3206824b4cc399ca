{#-
    register_raw_files(): runs on-run-start (dbt_project.yml).

    Finds the three raw files of the CRM export in the folder named by the
    environment variable CRM_RAW_DIR (default: the bundled sample), checks that
    each one is there and has every column that `_crm__sources.yml` declares,
    and exposes each as a view `raw.<name>` with every column as text. Staging
    reads these views through source('crm', ...).

    Any problem stops the build before a model runs, with one message naming the
    file, the column and what was expected (docs/contract.md, "Empty, partial and bad
    input"). The views of an earlier run are dropped first, so a failed
    registration never leaves a view reading the previous export, and
    drop_raw_files() (on-run-end) drops them again: the views read the raw
    file, PII included, and the published warehouse must hold none.
-#}
{% macro raw_dir() -%}
    {#- taken as given: a folder name may end in a space -#}
    {{ return(env_var('CRM_RAW_DIR', 'data/sample')) }}
{%- endmacro %}


{% macro glob_literal(path) -%}
    {#- a path matched literally by DuckDB's glob: its wildcards in brackets -#}
    {{ return(path | replace('[', '[[]') | replace('*', '[*]') | replace('?', '[?]')) }}
{%- endmacro %}


{% macro raw_error(path, message) -%}
    {{ exceptions.raise_compiler_error(
        "crm-funnel raw input error in " ~ path ~ ": " ~ message
        ~ " (raw folder: CRM_RAW_DIR=" ~ raw_dir() ~ ")"
    ) }}
{%- endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{% macro crm_source_columns() %}
    {#- The declared columns of every source of `crm`, in declared order. -#}
    {% set tables = {} %}
    {% for node in graph.sources.values() if node.source_name == 'crm' %}
        {% do tables.update({node.name: node.columns.keys() | list}) %}
    {% endfor %}
    {{ return(tables) }}
{% endmacro %}


{% macro find_raw_file(name) %}
    {% set pattern = glob_literal(raw_dir() ~ '/' ~ name) ~ '.*' %}
    {% set found = run_query("select file from glob(" ~ sql_string(pattern) ~ ") order by file") %}
    {% set candidates = [] %}
    {% set others = [] %}
    {% for row in found.rows %}
        {% set ext = row[0].split('.')[-1] | lower %}
        {% if ext in ['csv', 'parquet'] %}
            {% do candidates.append(row[0]) %}
        {% else %}
            {% do others.append(row[0]) %}
        {% endif %}
    {% endfor %}
    {% if candidates | length == 0 and others %}
        {{ raw_error(others | join(' and '),
            "not a CSV or Parquet file; expected " ~ name ~ ".csv or " ~ name ~ ".parquet") }}
    {% elif candidates | length == 0 %}
        {{ raw_error(raw_dir() ~ '/' ~ name ~ '.csv',
            "file is missing; expected " ~ name ~ ".csv or " ~ name ~ ".parquet") }}
    {% elif candidates | length > 1 %}
        {{ raw_error(candidates | join(' and '),
            "found more than one file for " ~ name ~ "; keep only the .csv or the .parquet") }}
    {% endif %}
    {{ return(candidates[0]) }}
{% endmacro %}


{% macro csv_header(path) %}
    {#- The header line, read as one text column so that no sniffing can fail.
        Lines that are not UTF-8 are skipped (ignore_errors), so a byte
        further down the file is no concern of the header (DuckDB's latin-1
        reading, used before, refused any UTF-8 text with a byte from 0x80 to
        0x9F: a ’ or an €); a spreadsheet renamed .csv shows its control
        bytes, or has no UTF-8 line at all. strict_mode off lets a quoted line
        break further down (valid RFC 4180) be no concern of the header. -#}
    {% set header = run_query(
        "select line from read_csv(" ~ sql_string(path) ~ ", header = false, auto_detect = false,"
        ~ " delim = '\x1f', quote = '', escape = '', strict_mode = false, encoding = 'utf-8',"
        ~ " ignore_errors = true, columns = {'line': 'VARCHAR'}) limit 1"
    ) %}
    {% if header.rows | length == 0 %}
        {% set size = run_query("select size from read_blob(" ~ sql_string(path) ~ ")").rows[0][0] %}
        {% if size > 0 %}
            {{ raw_error(path, "is not a text CSV (a spreadsheet? no line of it is UTF-8 text);"
                ~ " expected a UTF-8 CSV with a header row") }}
        {% endif %}
    {% endif %}
    {% if header.rows | length == 0 or header.rows[0][0] is none %}
        {{ raw_error(path, "file is empty; expected a header row") }}
    {% endif %}
    {#- the UTF-8 byte order mark -#}
    {% set line = header.rows[0][0] | replace('\ufeff', '') | replace('\r', '') %}
    {% if modules.re.search('[\x00-\x08\x0e-\x1f]', line) %}
        {{ raw_error(path, "is not a text CSV (a spreadsheet? binary bytes in the first line);"
            ~ " expected a UTF-8 CSV with a header row") }}
    {% endif %}
    {% if ',' not in line %}
        {% for delim in [';', '\t', '|'] %}
            {% if delim in line %}
                {{ raw_error(path, "header is not comma-separated (found " ~ (delim | tojson)
                    ~ "); expected a CSV with ',' between columns") }}
            {% endif %}
        {% endfor %}
    {% endif %}
    {% set columns = [] %}
    {% for cell in line.split(',') %}
        {% do columns.append(cell | trim | replace('"', '')) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{% macro parquet_columns(path) %}
    {% set described = run_query("describe select * from read_parquet(" ~ sql_string(path) ~ ")") %}
    {% set columns = {} %}
    {% for row in described.rows %}
        {% do columns.update({row[0]: row[1]}) %}
    {% endfor %}
    {{ return(columns) }}
{% endmacro %}


{% macro check_columns(path, name, present, required, on_error=none) %}
    {#- on_error(where, message) raises; default: raw_error, for a file -#}
    {% set on_error = on_error or raw_error %}
    {% set repeated = [] %}
    {% for column in present if present.count(column) > 1 and column not in repeated %}
        {% do repeated.append(column) %}
    {% endfor %}
    {% if repeated %}
        {{ on_error(path, "column" ~ ('s ' if repeated | length > 1 else ' ')
            ~ repeated | join(', ') ~ " appear" ~ ('' if repeated | length > 1 else 's')
            ~ " more than once in the header; expected each column of " ~ name ~ " once: "
            ~ required | join(', ')) }}
    {% endif %}
    {% set missing = [] %}
    {% for column in required if column not in present %}
        {% do missing.append(column) %}
    {% endfor %}
    {% set unexpected = [] %}
    {% for column in present if column not in required %}
        {% do unexpected.append(column) %}
    {% endfor %}
    {% if missing %}
        {{ on_error(path, "missing required column" ~ ('s' if missing | length > 1 else '') ~ " "
            ~ missing | join(', ')
            ~ ("; unexpected column" ~ ('s' if unexpected | length > 1 else '') ~ " "
                ~ unexpected | join(', ') ~ " (misspelled?)" if unexpected else "")
            ~ "; expected columns of " ~ name ~ ": " ~ required | join(', ')
            ~ "; found: " ~ present | join(', ')) }}
    {% endif %}
{% endmacro %}


{% macro present_columns(present, renames) %}
    {#- {name the rules read: name in the file}; renames(columns) gives a
        connector's names their contract name (a Salesforce source) -#}
    {% set names = renames(present) if renames else {} %}
    {% set original = {} %}
    {% for column in present %}{% do original.update({names.get(column, column): column}) %}{% endfor %}
    {{ return(original) }}
{% endmacro %}


{% macro raw_file_view_sql(name, path, required, renames=none) %}
    {% set row_number = "row_number() over ()" %}
    {% if path.lower().endswith('.csv') %}
        {% set header = csv_header(path) %}
        {% set original = present_columns(header, renames) %}
        {% do check_columns(path, name, renames(header).values() | list if renames else header, required) %}
        {% set column_types = [] %}
        {% for column in header %}
            {% do column_types.append(sql_string(column) ~ ": 'VARCHAR'") %}
        {% endfor %}
        {% set select_list = [] %}
        {% for column in required %}
            {% do select_list.append(adapter.quote(original[column]) ~ " as " ~ adapter.quote(column)) %}
        {% endfor %}
        {% set reader = "read_csv(" ~ sql_string(path) ~ ", header = true, auto_detect = false,"
            ~ " delim = ',', quote = '\"', escape = '\"', columns = {" ~ column_types | join(', ') ~ "})" %}
    {% else %}
        {% set present = parquet_columns(path) %}
        {% set original = present_columns(present.keys() | list, renames) %}
        {% do check_columns(path, name, original.keys() | list, required) %}
        {% set select_list = [] %}
        {% for column in required %}
            {% set quoted = adapter.quote(original[column]) %}
            {% if 'TIMESTAMP' in present[original[column]] | upper %}
                {#- typed timestamps become ISO 8601 UTC text, like the CSV export -#}
                {% do select_list.append("strftime(cast(" ~ quoted ~ " as timestamptz) at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') as " ~ adapter.quote(column)) %}
            {% else %}
                {% do select_list.append("cast(" ~ quoted ~ " as varchar) as " ~ adapter.quote(column)) %}
            {% endif %}
        {% endfor %}
        {#- the row's place in the file, 1-based: the same number as
            row_number() over () in file order, without its single-threaded
            pass over the file on every read -#}
        {% set reader = "read_parquet(" ~ sql_string(path) ~ ", file_row_number = true)" %}
        {% set row_number = "file_row_number + 1" %}
    {% endif %}
    {{ return("select " ~ select_list | join(', ') ~ ", cast(" ~ row_number ~ " as integer) as _raw_row_number from " ~ reader) }}
{% endmacro %}


{% macro export_view_sql(name, view_sql) %}
    {#- an export file's rows come from that file, with no connector verdict,
        no merged records and no row a merge moved from another lead (the columns a Salesforce source fills:
        macros/sources/salesforce.sql) -#}
    {% set no_text = "cast(null as " ~ dbt.type_string() ~ ")" %}
    {{ return("select raw_rows.*, " ~ sql_string(name) ~ " as _raw_table, " ~ no_text
        ~ " as _source_issue, " ~ no_text ~ " as _source_detail"
        ~ (", " ~ no_text ~ " as _merged_lead_ids" if name == 'leads' else ", " ~ no_text ~ " as _moved_from")
        ~ " from (" ~ view_sql ~ ") as raw_rows") }}
{% endmacro %}


{% macro register_raw_files() %}
    {% if not execute %}{{ return('') }}{% endif %}
    {% do drop_raw_relations() %}
    {% set from_tables = raw_source() == 'tables' %}
    {% if not from_tables %}{% do warn_sample_salt() %}{% endif %}
    {#- every file or table is checked before any view is created -#}
    {% set views = [] %}
    {% if crm_source() != 'export' %}
        {% do views.extend(register_crm_tables(from_tables)) %}
    {% else %}
        {% for name, required in crm_source_columns().items() %}
            {% set required = required | reject('equalto', '_raw_row_number') | list %}
            {% if from_tables %}
                {% set view_sql = raw_table_view_sql(name, required) %}
            {% else %}
                {% set view_sql = raw_file_view_sql(name, find_raw_file(name), required) %}
            {% endif %}
            {% do views.append((name, export_view_sql(name, view_sql))) %}
        {% endfor %}
    {% endif %}
    {% do run_query("create schema raw") %}
    {% for name, view_sql in views %}
        {#- a connector source's translated relations (and its groups of
            merged records) are tables: computed once, where a view is
            computed again by every reader -#}
        {% set kind = raw_relation_kind() if from_tables else 'view' %}
        {% if crm_source() != 'export' and (name in ['lead_status_history', 'leads', 'activities'] or name.endswith('_groups')) %}
            {% set kind = 'table' %}
        {% endif %}
        {% if kind == 'table' %}
            {% do create_scratch_table(name, view_sql) %}
        {% else %}
            {% do run_query("create view raw." ~ name ~ " as " ~ view_sql) %}
        {% endif %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}


{#-
    raw_relation_kind(): what on-run-start makes of a raw table (raw_source
    tables): a view, or on PostgreSQL a table of its own for the run. The
    view numbers the rows with a window over the whole table, and PostgreSQL
    runs that sort again for every read (a build reads each raw table five to
    seven times), with no statistics for its plans; the table numbers them
    once and is analyzed. It is dropped with the schema at the end of the run,
    as the views are (docs/engines.md, "Raw input"; docs/performance.md,
    "Issue 25").
-#}
{% macro raw_relation_kind() %}
    {{ return(adapter.dispatch('raw_relation_kind', 'crm_funnel')()) }}
{% endmacro %}

{% macro default__raw_relation_kind() %}
    {{ return('view') }}
{% endmacro %}

{% macro postgres__raw_relation_kind() %}
    {{ return('table') }}
{% endmacro %}


{#-
    create_scratch_table(name, sql): raw.<name> as a table for one run (a raw
    table's numbered copy on PostgreSQL, a connector's translated relations),
    dropped with schema raw at the run's end.
    - PostgreSQL: an unlogged table, no write-ahead log for millions of rows
      no one could want back after a crash (the status log's copy at 1M leads
      9.0 -> 7.7 s), analyzed, since PostgreSQL plans with statistics.
    - DuckDB: a table in an in-memory database attached for the run
      (crm_funnel_scratch), read through the view raw.<name>. In the
      warehouse file DuckDB compressed and wrote rows that are dropped when
      the run ends (Salesforce at 1M leads: the four tables 10.8 -> 8.3 s).
      Beyond memory_limit DuckDB spills them to its temporary files.
    - Spark: a table.
    docs/performance.md, "Issue 25: the night on PostgreSQL" and "Issue 23:
    the translated relations in memory".
-#}
{% macro create_scratch_table(name, sql) %}
    {{ return(adapter.dispatch('create_scratch_table', 'crm_funnel')(name, sql)) }}
{% endmacro %}

{% macro default__create_scratch_table(name, sql) %}
    {% do run_query("create table raw." ~ name ~ " as " ~ sql) %}
{% endmacro %}

{% macro postgres__create_scratch_table(name, sql) %}
    {% do run_query("create unlogged table raw." ~ name ~ " as " ~ sql) %}
    {% do run_query("analyze raw." ~ name) %}
{% endmacro %}

{% macro duckdb__create_scratch_table(name, sql) %}
    {% do run_query("attach if not exists ':memory:' as crm_funnel_scratch") %}
    {% do run_query("create schema if not exists crm_funnel_scratch.raw") %}
    {% do run_query("create or replace table crm_funnel_scratch.raw." ~ name ~ " as " ~ sql) %}
    {% do run_query("create view raw." ~ name ~ " as select * from crm_funnel_scratch.raw." ~ name) %}
{% endmacro %}


{% macro drop_raw_relations() %}
    {#- schema raw, and on DuckDB the in-memory database of its tables -#}
    {% do run_query("drop schema if exists raw cascade") %}
    {% if target.type == 'duckdb' %}
        {% do run_query("detach database if exists crm_funnel_scratch") %}
    {% endif %}
{% endmacro %}


{% macro drop_raw_files() %}
    {#- on-run-end: the raw views read the export, PII included; none may
        stay in the warehouse that BI users open -#}
    {% if execute %}{% do drop_raw_relations() %}{% endif %}
    {{ return('') }}
{% endmacro %}


{% macro warn_sample_salt() %}
    {#- the sample's documented salt protects nothing on a real export -#}
    {% set is_default = run_query("select getvariable('crm_email_salt_is_default')") %}
    {% if is_default.rows[0][0] and not raw_dir().rstrip('/').endswith('data/sample') %}
        {{ exceptions.warn(
            "crm-funnel warning: CRM_EMAIL_SALT is not set, so dim_leads.email_hash uses the bundled"
            ~ " sample's public salt on " ~ raw_dir() ~ "; set a secret CRM_EMAIL_SALT") }}
    {% endif %}
{% endmacro %}
