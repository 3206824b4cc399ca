{#-
    dq_issue_codes(action): every issue code the staging and intermediate
    models can write to dq_issues, for one action ('dropped' or 'flagged').
    rpt_data_quality_daily has one column per code. The seed dq_issue_types
    describes each code; a singular test checks both list the same codes, and
    the report's `*_unlisted_rows` columns (tested to be zero) catch a code
    written to dq_issues but listed in neither.
-#}
{% macro dq_issue_codes(action) %}
    {%- if action == 'dropped' -%}
        {{ return([
            'duplicate_event_id', 'superseded_event', 'duplicate_event_content',
            'missing_lead_id', 'invalid_loaded_at', 'future_loaded_at', 'invalid_timestamp',
            'future_timestamp', 'unknown_status', 'repeated_stage',
            'superseded_lead_row', 'duplicate_activity_id', 'deleted_in_crm', 'merged_lead',
        ]) }}
    {%- elif action == 'flagged' -%}
        {{ return([
            'sequence_gap', 'missing_event_id', 'before_lead_created', 'orphan_lead',
            'decision_without_handoff', 'unmapped_reason', 'invalid_timestamp',
            'bad_initial_status',
        ]) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("dq_issue_codes: action must be 'dropped' or 'flagged', got " ~ action) }}
    {%- endif -%}
{% endmacro %}


{#-
    count_of(counts, condition): the sum of the row counts `counts` over the
    groups where `condition` holds, 0 when none does, as bigint (a count's
    type on every engine; DuckDB's sum of bigints is a hugeint).
    rpt_data_quality_daily counts rows by day, file and verdict first, then
    adds those counts up per column.
-#}
{% macro count_of(counts, condition=none) -%}
    cast(coalesce(sum({{ counts }}){% if condition %} filter (where {{ condition }}){% endif %}, 0) as bigint)
{%- endmacro %}
