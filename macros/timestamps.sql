{#-
    parse_iso_timestamp(expr): raw ISO 8601 text -> UTC timestamp, or null when
    the text is not one (docs/contract.md, "Raw inputs": `T` or space separator, optional
    fractional seconds, optional `Z`, +-HH:MM or +-HHMM offset; no offset means UTC;
    anything else is unparseable). Surrounding spaces are tolerated.
-#}
{% macro parse_iso_timestamp(expr) -%}
    {{ return(adapter.dispatch('parse_iso_timestamp', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro has_offset(text) -%}
    {#- text that passed the pattern ends in +-HH:MM or +-HHMM: its sign is
        the sixth or fifth character from the end (no other form has one there) -#}
    (substr({{ text }}, length({{ text }}) - 5, 1) in ('+', '-')
        or substr({{ text }}, length({{ text }}) - 4, 1) in ('+', '-'))
{%- endmacro %}

{% macro duckdb__parse_iso_timestamp(expr) -%}
    {#- one regex; then `Z`, a zero offset (Salesforce writes +0000 on every
        time) and no offset take the plain (fast) timestamp cast, only other
        offsets need the time-zone-aware cast -#}
    case
        when regexp_full_match(
            trim({{ expr }}),
            '\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?'
        )
            then case
                when right(trim({{ expr }}), 1) = 'Z'
                    then try_cast(left(trim({{ expr }}), -1) as timestamp)
                when right(trim({{ expr }}), 5) in ('+0000', '-0000')
                    then try_cast(left(trim({{ expr }}), -5) as timestamp)
                when right(trim({{ expr }}), 6) in ('+00:00', '-00:00')
                    then try_cast(left(trim({{ expr }}), -6) as timestamp)
                when {{ has_offset('trim(' ~ expr ~ ')') }}
                    then try_cast(trim({{ expr }}) as timestamptz) at time zone 'UTC'
                else try_cast(trim({{ expr }}) as timestamp)
            end
    end
{%- endmacro %}


{% macro postgres__parse_iso_timestamp(expr) -%}
    {#- PostgreSQL has no try_cast and its cast fails on a date that does not
        exist: the pattern is strict (month 01-12, hour 00-23, offset within
        +-15:59) and the day is checked against its month's length before any
        cast (docs/engines.md, "Timestamps") -#}
    case
        when trim({{ expr }}) ~ (
            '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d'
            || '(\.\d+)?(Z|[+-](0\d|1[0-5]):?[0-5]\d)?$'
        ) and left(trim({{ expr }}), 4) != '0000'
            then case
                when cast(substr(trim({{ expr }}), 9, 2) as integer) <= extract(day from
                    make_date(
                        cast(left(trim({{ expr }}), 4) as integer),
                        cast(substr(trim({{ expr }}), 6, 2) as integer),
                        1
                    ) + interval '1 month - 1 day'
                )
                    then case
                        when right(trim({{ expr }}), 1) = 'Z'
                            then cast(left(trim({{ expr }}), -1) as timestamp)
                        when {{ has_offset('trim(' ~ expr ~ ')') }}
                            then cast(trim({{ expr }}) as timestamptz) at time zone 'UTC'
                        else cast(trim({{ expr }}) as timestamp)
                    end
            end
    end
{%- endmacro %}

{% macro spark__parse_iso_timestamp(expr) -%}
    {#- the session time zone is UTC (profiles.yml), so a time without an
        offset is UTC and one with an offset is converted to UTC -#}
    case
        when trim({{ expr }}) rlike
            '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:?\\d{2})?$'
            then try_cast(trim({{ expr }}) as timestamp)
    end
{%- endmacro %}


{#-
    hours_between(start, finish): decimal hours from start to finish (double),
    exact to the microsecond (dbt.datediff counts whole boundaries instead).
-#}
{% macro hours_between(start, finish) -%}
    {{ return(adapter.dispatch('hours_between', 'crm_funnel')(start, finish)) }}
{%- endmacro %}

{% macro duckdb__hours_between(start, finish) -%}
    (epoch_us({{ finish }}) - epoch_us({{ start }})) / 3600000000.0
{%- endmacro %}

{% macro default__hours_between(start, finish) -%}
    cast(extract(epoch from ({{ finish }}) - ({{ start }})) as double precision) / 3600.0
{%- endmacro %}

{% macro spark__hours_between(start, finish) -%}
    cast(unix_micros({{ finish }}) - unix_micros({{ start }}) as double) / 3600000000.0
{%- endmacro %}


{#-
    as_local_time(expr): a UTC timestamp as wall-clock time in the business
    time zone (var business_timezone), for the business-hours calendar.
-#}
{% macro as_local_time(expr) -%}
    {{ in_time_zone(expr, var('business_timezone')) }}
{%- endmacro %}


{#-
    as_reporting_time(expr): a UTC timestamp as wall-clock time in the
    reporting time zone (var reporting_timezone), where the reports' weeks and
    months begin (docs/semantic-layer.md, "Reporting time zone").
-#}
{% macro as_reporting_time(expr) -%}
    {{ in_time_zone(expr, var('reporting_timezone')) }}
{%- endmacro %}


{#-
    in_time_zone(expr, zone): a UTC timestamp (without time zone) as the
    wall-clock time in `zone`, an IANA name; UTC is returned as it is. The
    offset is the one in force at that instant, so daylight-saving changes
    are honoured.
-#}
{% macro in_time_zone(expr, zone) -%}
    {%- if zone | upper == 'UTC' -%}
        {{ expr }}
    {%- else -%}
        {{ return(adapter.dispatch('in_time_zone', 'crm_funnel')(expr, zone)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__in_time_zone(expr, zone) -%}
    (({{ expr }}) at time zone 'UTC') at time zone '{{ zone }}'
{%- endmacro %}

{% macro spark__in_time_zone(expr, zone) -%}
    from_utc_timestamp({{ expr }}, '{{ zone }}')
{%- endmacro %}


{#-
    load_clock(): the latest `_loaded_at` a build accepts: the time this dbt
    run started (UTC) plus var clock_skew_minutes. A later load time cannot
    be true (a clock error upstream); such rows are dropped as
    `future_loaded_at` and never move the watermark or `as_of`
    (docs/decisions.md 25). The only wall-clock input of a build.
-#}
{% macro load_clock() -%}
    (
        {{ add_minutes(
            "cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)",
            var("clock_skew_minutes"),
        ) }}
    )
{%- endmacro %}


{#-
    load_times(relation): each distinct `_loaded_at` text of `relation` once,
    as (raw_text, parsed_at, is_future_load). parsed_at is null when the text
    is not ISO 8601 or is a future load (after load_clock()): either way the
    row has no place in time. A raw file has a few hundred distinct
    `_loaded_at` texts (one per load) against millions of rows, so parsing them
    here and joining back on the text is about 25x cheaper than the regex on
    every row (docs/performance.md). A null text matches nothing and stays
    null, as parse_iso_timestamp(null).
-#}
{% macro load_times(relation) -%}
    select
        texts.raw_text,
        case
            when texts.parsed_at <= {{ load_clock() }} then texts.parsed_at
        end as parsed_at,
        coalesce(texts.parsed_at > {{ load_clock() }}, false) as is_future_load
    from (
        {{ parsed_load_texts(relation) }}
    ) as texts
{%- endmacro %}


{#-
    parsed_load_texts(relation, text='_loaded_at'): each distinct load text
    of `relation` (the SQL text expression `text`) once, with its parse, as
    (raw_text, parsed_at): a few hundred parses instead of one per row. Read by
    load_times and by the raw tables' numbering (raw_table_view_sql).
-#}
{% macro parsed_load_texts(relation, text='_loaded_at') -%}
    select
        distinct_texts.raw_text,
        {{ parse_iso_timestamp('distinct_texts.raw_text') }} as parsed_at
    from (select distinct {{ text }} as raw_text from {{ relation }}) as distinct_texts
{%- endmacro %}
