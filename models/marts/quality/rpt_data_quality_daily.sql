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
        source,
        raw_row_number,
        drop_issue,
        cast(loaded_at as date) as load_date
    from judged_rows
),

verdicts_by_day as (
    -- most rows carry no flag: they count as one group per day, file and
    -- verdict, and only the flagged rows below are looked at one by one
    select
        rows_by_day.load_date,
        rows_by_day.source,
        rows_by_day.drop_issue,
        issue_types.family as drop_family,
        rows_by_day.drop_issue is not null and issue_types.issue is null as is_unlisted_drop,
        count(*) as raw_rows
    from rows_by_day
    left join issue_types
        on
            rows_by_day.drop_issue = issue_types.issue
            and issue_types.action = 'dropped'
    group by
        rows_by_day.load_date,
        rows_by_day.source,
        rows_by_day.drop_issue,
        issue_types.family,
        issue_types.issue
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
        rows_by_day.load_date,
        rows_by_day.source,
        issue_types.family as drop_family,
        {%- for code in flagged_codes %}
        flags_by_row.flags_{{ code }},
        {%- endfor %}
        flags_by_row.timestamp_flags,
        flags_by_row.unlisted_flags
    from flags_by_row
    inner join rows_by_day
        on
            flags_by_row.source = rows_by_day.source
            and flags_by_row.raw_row_number = rows_by_day.raw_row_number
    left join issue_types
        on
            rows_by_day.drop_issue = issue_types.issue
            and issue_types.action = 'dropped'
),

counted_verdicts as (
    select
        load_date,
        source,
        {{ count_of('raw_rows') }} as raw_rows,
        {{ count_of('raw_rows', 'drop_issue is null') }} as clean_rows,
        {{ count_of('raw_rows', 'drop_issue is not null') }} as dropped_rows,
        {%- for code in dropped_codes %}
        {{ count_of('raw_rows', "drop_issue = '" ~ code ~ "'") }} as dropped_{{ code }},
        {%- endfor %}
        {{ count_of('raw_rows', 'is_unlisted_drop') }} as dropped_unlisted_rows,
        {{ count_of('raw_rows', "drop_family = 'duplicate'") }} as duplicate_rows,
        {{ count_of('raw_rows', "drop_family = 'timestamp'") }} as timestamp_drop_rows
    from verdicts_by_day
    group by load_date, source
),

counted_flags as (
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
),

counted as (
    select
        counted_verdicts.load_date,
        counted_verdicts.source,
        counted_verdicts.raw_rows,
        counted_verdicts.clean_rows,
        counted_verdicts.dropped_rows,
        coalesce(counted_flags.flagged_rows, 0) as flagged_rows,
        {%- for code in dropped_codes %}
        counted_verdicts.dropped_{{ code }},
        {%- endfor %}
        counted_verdicts.dropped_unlisted_rows,
        {%- for code in flagged_codes %}
        coalesce(counted_flags.flagged_{{ code }}, 0) as flagged_{{ code }},
        {%- endfor %}
        coalesce(counted_flags.flagged_unlisted_rows, 0) as flagged_unlisted_rows,
        counted_verdicts.duplicate_rows,
        counted_verdicts.timestamp_drop_rows
        + coalesce(counted_flags.timestamp_flag_only_rows, 0) as timestamp_failure_rows
    from counted_verdicts
    left join counted_flags
        on
            counted_verdicts.load_date is not distinct from counted_flags.load_date
            and counted_verdicts.source = counted_flags.source
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
