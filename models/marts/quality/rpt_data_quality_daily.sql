-- Per load day (date of _loaded_at, UTC) and raw file: how dirty was what the
-- CRM sent that day? One column per issue code (macro dq_issue_codes), so a
-- person can see at a glance which rule started firing. Rows whose _loaded_at
-- is unparseable have load_date null.
{%- set dropped_codes = dq_issue_codes('dropped') %}
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

rows_by_day as (
    select
        judged_rows.source,
        judged_rows.raw_row_number,
        judged_rows.drop_issue,
        issue_types.family as drop_family,
        cast(judged_rows.loaded_at as date) as load_date,
        judged_rows.drop_issue is not null and issue_types.issue is null as is_unlisted_drop
    from judged_rows
    left join issue_types
        on
            judged_rows.drop_issue = issue_types.issue
            and issue_types.action = 'dropped'
),

flags_by_row as (
    select
        issues.source,
        issues.raw_row_number,
        count(*) as flags,
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

rows_with_flags as (
    select
        rows_by_day.load_date,
        rows_by_day.source,
        rows_by_day.drop_issue,
        rows_by_day.drop_family,
        rows_by_day.is_unlisted_drop,
        coalesce(flags_by_row.flags, 0) as flags,
        {%- for code in flagged_codes %}
        coalesce(flags_by_row.flags_{{ code }}, 0) as flags_{{ code }},
        {%- endfor %}
        coalesce(flags_by_row.timestamp_flags, 0) as timestamp_flags,
        coalesce(flags_by_row.unlisted_flags, 0) as unlisted_flags
    from rows_by_day
    left join flags_by_row
        on
            rows_by_day.source = flags_by_row.source
            and rows_by_day.raw_row_number = flags_by_row.raw_row_number
),

counted as (
    select
        load_date,
        source,
        count(*) as raw_rows,
        count(*) filter (where drop_issue is null) as clean_rows,
        count(*) filter (where drop_issue is not null) as dropped_rows,
        count(*) filter (where flags > 0) as flagged_rows,
        {%- for code in dropped_codes %}
        count(*) filter (where drop_issue = '{{ code }}') as dropped_{{ code }},
        {%- endfor %}
        count(*) filter (where is_unlisted_drop) as dropped_unlisted_rows,
        {%- for code in flagged_codes %}
        count(*) filter (where flags_{{ code }} > 0) as flagged_{{ code }},
        {%- endfor %}
        count(*) filter (where unlisted_flags > 0) as flagged_unlisted_rows,
        count(*) filter (where drop_family = 'duplicate') as duplicate_rows,
        count(*) filter (
            where drop_family = 'timestamp' or timestamp_flags > 0
        ) as timestamp_failure_rows
    from rows_with_flags
    group by load_date, source
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
