{#-
    normalize_label(expr): the contract's normalized form of a raw label or
    reason: trimmed, lower case, inner whitespace collapsed to one space; blank
    becomes null. Used for status labels, reasons and lead attributes.
-#}
{% macro normalize_label(expr) -%}
    nullif(lower(trim({{ collapse_whitespace(expr) }})), '')
{%- endmacro %}


{#-
    trim_text(expr): trim(expr), the same text. DuckDB's trim() copies every
    string it is given, trimmed or not: 3.9M Salesforce history rows' four
    times 1.2 -> 0.5 s (docs/performance.md, "Issue 23: windows only where
    a row can lose; trimming only what needs it"). On DuckDB only a text
    that starts or ends with a space, or holds a character beyond ASCII
    (trim also drops the Unicode spaces), goes through trim(); any other is
    returned as it is. `expr` is written up to four times: give a column,
    not a computation.
-#}
{% macro trim_text(expr) -%}
    {{ return(adapter.dispatch('trim_text', 'crm_funnel')(expr)) }}
{%- endmacro %}

{% macro default__trim_text(expr) -%}
    trim({{ expr }})
{%- endmacro %}

{% macro duckdb__trim_text(expr) -%}
    case
        when {{ expr }} like ' %' or {{ expr }} like '% ' or strlen({{ expr }}) <> length({{ expr }})
            then trim({{ expr }})
        else {{ expr }}
    end
{%- endmacro %}


{#-
    blank_to_null(expr): trimmed text, with blank turned into null (ids).
-#}
{% macro blank_to_null(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}


{#-
    row_fingerprint(columns): md5 of the raw text of `columns`, null-safe. Two
    rows with the same fingerprint carry the same content. Used to break ties
    and to key rows with a blank id, so that no result depends on where a row
    sits in the export file (shuffling the rows changes no mart).
    as_number=true gives the same md5 as a 128-bit number (md5_number), which
    sorts much faster than the hex text: base_crm__lead_status_history breaks
    ties on 4.8M rows per 1M leads with it. Blank-id keys stay `row-` and 12
    hex digits either way.
-#}
{% macro row_fingerprint(columns, as_number=false) -%}
    {%- set text -%}
    concat_ws(
        chr(31)
        {%- for column in columns %},
        coalesce({{ column }}, chr(30))
        {%- endfor %}
    )
    {%- endset -%}
    {{ md5_sort_key(text) if as_number else 'md5(' ~ text ~ ')' }}
{%- endmacro %}


{#-
    status_labels(relation): each distinct raw status text of `relation`
    (new_status and old_status) once, as (raw_text, stage, stage_order):
    normalized, mapped by the seed status_map and ordered by funnel_stages;
    stage is null for a label the seed does not know. A row of status_map
    whose `crm` names the chosen source (var crm_source) wins over the row for
    every source (blank `crm`): HubSpot's `new` is an MQL, the export's is
    not. A few dozen texts against millions of rows, so the regex runs per
    text, not per row. The texts are grouped rather than a `union`'s: PostgreSQL
    expects as many texts from a `union` as it has rows, and planned the join
    of millions of rows to these few as a sort of both (docs/performance.md,
    "Issue 25: PostgreSQL at 1M").
-#}
{% macro status_labels(relation) -%}
    select
        texts.raw_text,
        status_map.stage,
        funnel_stages.stage_order
    from (
        select both_texts.raw_text
        from (
            select new_status as raw_text from {{ relation }}
            union all
            select old_status as raw_text from {{ relation }}
        ) as both_texts
        group by both_texts.raw_text
    ) as texts
    left join (
        select
            raw_label,
            stage,
            row_number() over (partition by raw_label order by crm nulls last) as label_rank
        from {{ ref('status_map') }}
        where crm is null or crm = {{ sql_string(crm_source()) }}
    ) as status_map
        on {{ normalize_label('texts.raw_text') }} = status_map.raw_label
        and status_map.label_rank = 1
    left join {{ ref('funnel_stages') }} as funnel_stages
        on status_map.stage = funnel_stages.stage
{%- endmacro %}
