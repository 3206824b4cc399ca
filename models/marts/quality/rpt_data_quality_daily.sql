-- Per load day (date of _loaded_at, UTC) and raw file: how dirty was what the
-- CRM sent that day? One column per issue code (macro dq_issue_codes), so a
-- person can see at a glance which rule started firing. Rows whose _loaded_at
-- is unparseable have load_date null. The drops are counted by
-- dq_verdicts_daily, the flags by dq_flags_daily (both ephemeral).
{%- set dropped_codes = dq_issue_codes('dropped') %}
{%- set flagged_codes = dq_issue_codes('flagged') %}

with

verdicts as (
    select * from {{ ref('dq_verdicts_daily') }}
),

flags as (
    select * from {{ ref('dq_flags_daily') }}
),

counted as (
    select
        verdicts.load_date,
        verdicts.source,
        verdicts.raw_rows,
        verdicts.clean_rows,
        verdicts.dropped_rows,
        coalesce(flags.flagged_rows, 0) as flagged_rows,
        {%- for code in dropped_codes %}
        verdicts.dropped_{{ code }},
        {%- endfor %}
        verdicts.dropped_unlisted_rows,
        {%- for code in flagged_codes %}
        coalesce(flags.flagged_{{ code }}, 0) as flagged_{{ code }},
        {%- endfor %}
        coalesce(flags.flagged_unlisted_rows, 0) as flagged_unlisted_rows,
        verdicts.duplicate_rows,
        verdicts.timestamp_drop_rows
        + coalesce(flags.timestamp_flag_only_rows, 0) as timestamp_failure_rows
    from verdicts
    left join flags
        on
            verdicts.load_date is not distinct from flags.load_date
            and verdicts.source = flags.source
),

final as (
    select
        *,
        {{ ratio('dropped_rows', 'raw_rows') }} as dropped_rate,
        {{ ratio('duplicate_rows', 'raw_rows') }} as duplicate_rate,
        {{ ratio('timestamp_failure_rows', 'raw_rows') }} as timestamp_failure_rate
    from counted
)

select * from final
