{#-
    The cleaning rules the three raw files share (docs/contract.md, "Cleaning
    rules"), written once. Each base model states which rules apply to its
    file and in what order; these macros say what a rule means.
-#}

{#-
    latest_copy_order(first): the order in which copies of one id compete
    (a re-sent event or activity, a lead's rows): the latest load wins, then
    the greater content fingerprint, then the later raw row, so no result
    depends on where a row sits in the file. `first` puts other keys ahead
    (leads: updated_at desc). The copy that sorts first is kept.
-#}
{% macro latest_copy_order(first=none) -%}
    {%- if first %}{{ first }}, {% endif -%}
    loaded_at desc nulls last, content_key desc, raw_row_number desc
{%- endmacro %}


{#-
    load_time_issue(happened_at) and load_time_detail(happened_at, name,
    happened_at_text, loaded_at_text): the four timestamp rules, in the
    contract's order, as `when` branches of a drop_issue / drop_detail case.
    An unparseable event time, a load later than the build (future_loaded_at),
    an unparseable load time, an event time after its load (beyond
    clock_skew_minutes). `name` is the raw column's name in the detail.
-#}
{% macro load_time_issue(happened_at) -%}
    when {{ happened_at }} is null then 'invalid_timestamp'
    when is_future_load then 'future_loaded_at'
    when loaded_at is null then 'invalid_loaded_at'
    when {{ is_after_its_load(happened_at) }} then 'future_timestamp'
{%- endmacro %}

{% macro load_time_detail(happened_at, name, happened_at_text, loaded_at_text) -%}
    when {{ happened_at }} is null
        then '{{ name }}=' || coalesce('''' || {{ happened_at_text }} || '''', 'null')
    when is_future_load
        then '_loaded_at ' || {{ loaded_at_text }} || ' is later than the build'
    when loaded_at is null
        then '_loaded_at=' || coalesce('''' || {{ loaded_at_text }} || '''', 'null')
    when {{ is_after_its_load(happened_at) }}
        then '{{ name }} ' || {{ happened_at_text }} || ' is after _loaded_at ' || {{ loaded_at_text }}
{%- endmacro %}

{% macro is_after_its_load(happened_at) -%}
    {{ happened_at }} > {{ add_minutes('loaded_at', var("clock_skew_minutes")) }}
{%- endmacro %}


{#-
    raw_rows_of_affected_leads(relation, id_column): an incremental run's raw
    read, a whole select: the rows of this run's leads, and every copy of
    their ids under any other lead (a re-sent id competes with all its
    copies). Written as two reads, not one `or ... in (subquery)`: under an
    `or`, PostgreSQL cannot make the id lookup a join and, when it guesses
    the ids too many to hash, scans them for every raw row (quadratic; 100K
    leads took minutes, docs/performance.md, "Issue 25"). A full build
    reads every row.
-#}
{% macro raw_rows_of_affected_leads(relation, id_column) -%}
    {%- if is_incremental() -%}
        {%- set this_run = only_affected_leads("coalesce(trim(lead_id), '')") %}
    select * from {{ relation }}
    where {{ this_run }}
    union all
    select copies.* from {{ relation }} as copies
    where
        not ({{ only_affected_leads("coalesce(trim(copies.lead_id), '')") }})
        and {{ blank_to_null('copies.' ~ id_column) }} in (
            select {{ blank_to_null(id_column) }}
            from {{ relation }}
            where {{ this_run }}
        )
    {%- else %}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
