-- One row per raw row dropped or flagged, for every raw file (docs/contract.md,
-- "Cleaning rules"). Drops and the flags a row earns by itself come from
-- staging; flags that need another file or the timeline come from the
-- intermediate models. The tables read more than once are read again rather
-- than held: each reader takes only its few flagged rows (inlined_cte();
-- docs/performance.md, "Issue 25: the night on PostgreSQL").
{{ config(pre_hook="{{ hash_joins_only() }}") }}

with

events as {{ inlined_cte() }} (
    select * from {{ ref('stg_crm__lead_status_history') }}
),

leads as {{ inlined_cte() }} (
    select * from {{ ref('stg_crm__leads') }}
),

judged_rows as (
    select * from {{ ref('stg_crm__raw_rows') }}
),

ordered_events as {{ inlined_cte() }} (
    select * from {{ ref('int_lead_events_ordered') }}
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
        event_id as row_key,
        raw_row_number,
        'sequence_gap' as issue,
        sequence_gap_detail as detail
    from ordered_events
    where is_sequence_gap
    union all
    select
        event_id as row_key,
        raw_row_number,
        'missing_event_id' as issue,
        'event_id is blank; kept as ' || event_id as detail
    from events
    where is_missing_event_id
    union all
    select
        event_id as row_key,
        raw_row_number,
        'before_lead_created' as issue,
        'changed_at ' || changed_at || ' is before the lead was created' as detail
    from ordered_events
    where is_before_lead_created
    union all
    select
        event_id as row_key,
        raw_row_number,
        'orphan_lead' as issue,
        'lead ' || lead_id || ' is not in leads' as detail
    from ordered_events
    where is_orphan_lead
    union all
    select
        event_id as row_key,
        raw_row_number,
        'decision_without_handoff' as issue,
        stage || ' while no handoff was open' as detail
    from ordered_events
    where is_decision_without_handoff
    union all
    select
        ordered_events.event_id as row_key,
        ordered_events.raw_row_number,
        'unmapped_reason' as issue,
        'reason ''' || handoffs.raw_reason || ''' is not in rejection_reason_map' as detail
    from handoffs
    inner join ordered_events
        on handoffs.decision_event_id = ordered_events.event_id
    where handoffs.is_unmapped_reason
),

lead_flags as (
    select
        raw_table as source,
        lead_id as row_key,
        raw_row_number,
        'bad_initial_status' as issue,
        bad_initial_status_detail as detail
    from leads
    where bad_initial_status_detail is not null
    union all
    select
        raw_table as source,
        lead_id as row_key,
        raw_row_number,
        'invalid_timestamp' as issue,
        'created_at=' || coalesce('''' || invalid_created_at_text || '''', 'null')
        || ' is unparseable; lead kept with created_at null' as detail
    from leads
    where is_invalid_created_at
),

final as (
    select * from drops
    union all
    select
        events.raw_table as source,
        event_flags.row_key,
        abs(event_flags.raw_row_number) as raw_row_number,
        event_flags.issue,
        'flagged' as action,
        event_flags.detail
    from event_flags
    inner join events on event_flags.row_key = events.event_id
    union all
    select
        source,
        row_key,
        raw_row_number,
        issue,
        'flagged' as action,
        detail
    from lead_flags
)

select * from final
