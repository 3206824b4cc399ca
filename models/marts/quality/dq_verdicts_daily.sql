-- Part of rpt_data_quality_daily (ephemeral: it lives in that model's SQL):
-- per load day (date of _loaded_at, UTC) and raw file, the raw rows, how many
-- were kept and how many were dropped for each issue code (macro
-- dq_issue_codes). Rows whose _loaded_at is unparseable have load_date null.
{{ config(materialized='ephemeral', contract={'enforced': false}) }}
{%- set dropped_codes = dq_issue_codes('dropped') %}

with

judged_rows as (
    select * from {{ ref('stg_crm__raw_rows') }}
),

issue_types as (
    select * from {{ ref('dq_issue_types') }}
),

rows_by_load as (
    -- the raw rows are read once, grouped by their load time as it is: a
    -- column's few hundred values, where a group by its date was a sort of
    -- every raw row on PostgreSQL
    select
        loaded_at,
        source,
        drop_issue,
        count(*) as raw_rows
    from judged_rows
    group by loaded_at, source, drop_issue
),

verdicts_by_day as (
    -- one group per day, file and verdict
    select
        cast(rows_by_load.loaded_at as date) as load_date,
        rows_by_load.source,
        rows_by_load.drop_issue,
        issue_types.family as drop_family,
        rows_by_load.drop_issue is not null and issue_types.issue is null as is_unlisted_drop,
        sum(rows_by_load.raw_rows) as raw_rows
    from rows_by_load
    left join issue_types
        on
            rows_by_load.drop_issue = issue_types.issue
            and issue_types.action = 'dropped'
    group by
        cast(rows_by_load.loaded_at as date),
        rows_by_load.source,
        rows_by_load.drop_issue,
        issue_types.family,
        issue_types.issue
),

final as (
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
)

select * from final
