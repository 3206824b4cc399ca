-- rpt_data_quality_daily loses no row: summed over load days, each file's
-- raw, clean, dropped and flagged rows equal dq_load_summary's.
with

daily as (
    select
        source,
        sum(raw_rows) as raw_rows,
        sum(clean_rows) as clean_rows,
        sum(dropped_rows) as dropped_rows,
        sum(flagged_rows) as flagged_rows
    from {{ ref('rpt_data_quality_daily') }}
    group by source
),

summary as (
    select * from {{ ref('dq_load_summary') }}
)

select
    summary.source,
    summary.raw_rows,
    daily.raw_rows as daily_raw_rows
from summary
left join daily
    on summary.source = daily.source
where
    coalesce(daily.raw_rows, 0) != summary.raw_rows
    or coalesce(daily.clean_rows, 0) != summary.clean_rows
    or coalesce(daily.dropped_rows, 0) != summary.dropped_rows
    or coalesce(daily.flagged_rows, 0) != summary.flagged_rows
