-- Every raw row of every file with its verdict: one union read by dq_issues,
-- dq_load_summary and the nothing-is-lost test, so the three agree by
-- construction. `source` is the raw table a row came from (for Salesforce,
-- its table: lead_history, lead, task, event; docs/contract.md, "Salesforce"),
-- and raw_row_number its row there.
-- A view: three cheap unions of incremental tables, read by full-rebuild marts.
{{ config(materialized='view') }}

with

judged_events as (
    select * from {{ ref('base_crm__lead_status_history') }}
),

judged_leads as (
    select * from {{ ref('base_crm__leads') }}
),

judged_activities as (
    select * from {{ ref('base_crm__activities') }}
),

final as (
    select
        raw_table as source,
        raw_row_number,
        coalesce(event_id, content_row_key) as row_key,
        loaded_at,
        drop_issue,
        drop_detail
    from judged_events
    -- an initial status Salesforce writes no row for is its lead's row,
    -- counted once, as a lead (its problems: dq_issues, bad_initial_status)
    where raw_table != 'lead'
    union all
    select
        raw_table as source,
        raw_row_number,
        coalesce(lead_id, content_row_key) as row_key,
        loaded_at,
        drop_issue,
        drop_detail
    from judged_leads
    union all
    select
        raw_table as source,
        abs(raw_row_number) as raw_row_number,
        coalesce(activity_id, content_row_key) as row_key,
        loaded_at,
        drop_issue,
        drop_detail
    from judged_activities
)

select * from final
