-- Per raw file (for Salesforce, per table): every raw row is clean or dropped, never lost
-- (raw_rows = clean_rows + dropped_rows, tested).
with

judged_rows as (
    select * from {{ ref('stg_crm__raw_rows') }}
),

issues as (
    select * from {{ ref('dq_issues') }}
),

sources as (
    -- every raw table of the source (macro crm_raw_tables) gets a row, even when empty
    {%- for table in crm_raw_tables() %}
    select '{{ table }}' as source
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

counted as (
    select
        sources.source,
        count(judged_rows.source) as raw_rows,
        count(judged_rows.source) filter (where judged_rows.drop_issue is null) as clean_rows,
        count(judged_rows.source) filter (where judged_rows.drop_issue is not null) as dropped_rows
    from sources
    left join judged_rows
        on sources.source = judged_rows.source
    group by sources.source
),

flagged as (
    select
        source,
        count(distinct raw_row_number) as flagged_rows
    from issues
    where action = 'flagged'
    group by source
),

final as (
    select
        counted.source,
        counted.raw_rows,
        counted.clean_rows,
        counted.dropped_rows,
        coalesce(flagged.flagged_rows, 0) as flagged_rows
    from counted
    left join flagged
        on counted.source = flagged.source
)

select * from final
