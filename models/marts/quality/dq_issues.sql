-- One row per raw row dropped or flagged, for every raw file (docs/contract.md,
-- "Cleaning rules"). Drops come from the staging base models, which judge each
-- row by its own file; flags that need another file or the handoff model come
-- from the intermediate models.
with

judged_events as (
    select * from {{ ref('base_crm__lead_status_history') }}
),

judged_leads as (
    select * from {{ ref('base_crm__leads') }}
),

judged_rows as (
    select * from {{ ref('int_raw_rows_judged') }}
),

cycled_events as (
    select * from {{ ref('int_lead_events_cycled') }}
),

handoffs as (
    select * from {{ ref('int_lead_handoffs') }}
),

drops as (
    select
        source,
        row_key,
        raw_row_number,
        drop_issue as issue,
        'dropped' as action,
        drop_detail as detail
    from judged_rows
    where drop_issue is not null
),

event_flags as (
    select
        row_key,
        raw_row_number,
        'sequence_gap' as issue,
        'old_status ' || coalesce('''' || old_status || '''', 'null')
        || ' but the previous event is ' || previous_stage as detail
    from judged_events
    where is_sequence_gap
    union all
    select
        row_key,
        raw_row_number,
        'missing_event_id' as issue,
        'event_id is blank; kept as ' || row_key as detail
    from judged_events
    where is_missing_event_id
    union all
    select
        event_id as row_key,
        raw_row_number,
        'before_lead_created' as issue,
        'changed_at ' || changed_at || ' is before the lead was created' as detail
    from cycled_events
    where is_before_lead_created
    union all
    select
        event_id as row_key,
        raw_row_number,
        'orphan_lead' as issue,
        'lead ' || lead_id || ' is not in leads' as detail
    from cycled_events
    where is_orphan_lead
    union all
    select
        event_id as row_key,
        raw_row_number,
        'decision_without_handoff' as issue,
        stage || ' while no handoff was open' as detail
    from cycled_events
    where is_decision_without_handoff
    union all
    select
        cycled_events.event_id as row_key,
        cycled_events.raw_row_number,
        'unmapped_reason' as issue,
        'reason ''' || handoffs.raw_reason || ''' is not in rejection_reason_map' as detail
    from handoffs
    inner join cycled_events
        on handoffs.decision_event_id = cycled_events.event_id
    where handoffs.is_unmapped_reason
),

lead_flags as (
    select
        row_key,
        raw_row_number,
        'invalid_timestamp' as issue,
        'created_at=' || coalesce('''' || created_at_text || '''', 'null')
        || ' is unparseable; lead kept with created_at null' as detail
    from judged_leads
    where is_invalid_created_at
),

final as (
    select * from drops
    union all
    select
        'lead_status_history' as source,
        row_key,
        raw_row_number,
        issue,
        'flagged' as action,
        detail
    from event_flags
    union all
    select
        'leads' as source,
        row_key,
        raw_row_number,
        issue,
        'flagged' as action,
        detail
    from lead_flags
)

select * from final
