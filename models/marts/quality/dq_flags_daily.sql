-- Part of rpt_data_quality_daily (ephemeral: it lives in that model's SQL):
-- per load day (date of _loaded_at, UTC) and raw file, the raw rows flagged
-- for each flag code (macro dq_issue_codes), each row counted once per code.
-- Only the few flagged rows are read one by one; days without flags are absent.
{{ config(materialized='ephemeral', contract={'enforced': false}) }}
{%- set flagged_codes = dq_issue_codes('flagged') %}

with

judged_rows as (
    select * from {{ ref('stg_crm__raw_rows') }}
),

issues as (
    select * from {{ ref('dq_issues') }}
),

issue_types as (
    select * from {{ ref('dq_issue_types') }}
),

flags_by_row as (
    select
        issues.source,
        issues.raw_row_number,
        {%- for code in flagged_codes %}
        count(*) filter (where issues.issue = '{{ code }}') as flags_{{ code }},
        {%- endfor %}
        count(*) filter (where issue_types.family = 'timestamp') as timestamp_flags,
        count(*) filter (where issue_types.issue is null) as unlisted_flags
    from issues
    left join issue_types
        on
            issues.issue = issue_types.issue
            and issue_types.action = 'flagged'
    where issues.action = 'flagged'
    group by issues.source, issues.raw_row_number
),

flagged_rows as (
    -- each flagged raw row once, with its load day and the family of its
    -- drop, if it was dropped too
    select
        cast(judged_rows.loaded_at as date) as load_date,
        judged_rows.source,
        issue_types.family as drop_family,
        {%- for code in flagged_codes %}
        flags_by_row.flags_{{ code }},
        {%- endfor %}
        flags_by_row.timestamp_flags,
        flags_by_row.unlisted_flags
    from flags_by_row
    inner join judged_rows
        on
            flags_by_row.source = judged_rows.source
            and flags_by_row.raw_row_number = judged_rows.raw_row_number
    left join issue_types
        on
            judged_rows.drop_issue = issue_types.issue
            and issue_types.action = 'dropped'
),

final as (
    select
        load_date,
        source,
        count(*) as flagged_rows,
        {%- for code in flagged_codes %}
        count(*) filter (where flags_{{ code }} > 0) as flagged_{{ code }},
        {%- endfor %}
        count(*) filter (where unlisted_flags > 0) as flagged_unlisted_rows,
        -- a row dropped for a timestamp rule already counts as a failure
        count(*) filter (
            where timestamp_flags > 0 and drop_family is distinct from 'timestamp'
        ) as timestamp_flag_only_rows
    from flagged_rows
    group by load_date, source
)

select * from final
