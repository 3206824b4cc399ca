"""A HubSpot-shaped export, as Fivetran lands it (docs/sources.md).

`crm-funnel generate --crm hubspot` writes the generator's export (the same
leads, statuses, reasons and touches) and rewrites it the way HubSpot and its
connector would hold it:

- `contact_property_history`: one `hs_lead_status` row per change, new value
  only, in HubSpot's values (NEW is an MQL, OPEN assigned, IN_PROGRESS
  accepted, CONNECTED contacted, BAD_TIMING recycled, UNQUALIFIED
  disqualified, OPEN_DEAL opportunity; HubSpot's lead status has no value for
  a new contact or an SQL, so those changes write none); a decision's reason
  as a `rejection_reason` row of the same contact and time (a team's custom
  property: var hubspot_reason_property); about 1 row in 50 sent twice, as
  a connector re-sends rows;
- `contact`: one row per contact, numeric ids, the lead attributes as
  properties; about 1 contact in 100 has a duplicate that became an MQL a day
  earlier and was merged into it (`hs_merged_object_ids`; half the
  duplicates keep a contact row that is not marked deleted, half have none),
  and 1 in 100 is deleted (`_fivetran_deleted`);
- `engagement` and `engagement_contact`: the touches (CALL, EMAIL, MEETING,
  LINKEDIN_MESSAGE, NOTE), `timestamp` when it happened, `created_at` five
  minutes later;
- times as ISO 8601 UTC, `_fivetran_synced` the export's load time.

HubSpot writes no unreadable times: export rows whose time does not parse,
and rows of leads that are not in the contact table, are left out; a
re-sent export row keeps its latest copy.
"""

from __future__ import annotations

from pathlib import Path

from crm_funnel.generate import LABELS
from crm_funnel.generate_salesforce import rewrite_export

# each funnel stage's hs_lead_status value (seeds/status_map.csv, crm hubspot)
HUBSPOT_STATUS = {
    "mql": "NEW",
    "remql": "NEW",
    "assigned": "OPEN",
    "accepted": "IN_PROGRESS",
    "contacted": "CONNECTED",
    "recycled": "BAD_TIMING",
    "disqualified": "UNQUALIFIED",
    "opportunity": "OPEN_DEAL",
}
ENGAGEMENT_TYPES = {
    "call": "CALL",
    "email": "EMAIL",
    "meeting": "MEETING",
    "linkedin": "LINKEDIN_MESSAGE",
    "note": "NOTE",
}


def _iso(expr: str) -> str:
    """SQL: a timestamptz as ISO 8601 UTC text with milliseconds."""
    return f"strftime(({expr}) at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')"


def _parsed(column: str) -> str:
    return f"try_cast(trim({column}) as timestamptz)"


def _stage_labels() -> tuple[dict[str, str], list[str]]:
    """{generated status label (normalized): its HubSpot value}, and the
    labels of stages HubSpot's lead status has no value for (new, sql)."""
    values, skipped = {}, []
    for stage, labels in LABELS.items():
        for label in labels:
            normalized = " ".join(label.lower().split())
            if stage in HUBSPOT_STATUS:
                values[normalized] = HUBSPOT_STATUS[stage]
            else:
                skipped.append(normalized)
    return values, skipped


def _status_value(expr: str) -> str:
    """SQL: HubSpot's value of a generated label; an unknown label stays."""
    values, _ = _stage_labels()
    cases = " ".join(f"when '{label}' then '{value}'" for label, value in values.items())
    return f"case {_normalized(expr)} {cases} else trim({expr}) end"


def _normalized(expr: str) -> str:
    return f"lower(trim(regexp_replace({expr}, '\\s+', ' ', 'g')))"


def _views(export: str) -> str:
    _, skipped = _stage_labels()
    no_value = ", ".join(f"'{label}'" for label in skipped)
    return f"""
    create temp view ex_leads as
        select * from {export.format(name="leads")}
        qualify row_number() over (partition by lead_id order by _loaded_at desc) = 1;
    create temp view ex_events as
        select *, {_parsed("changed_at")} as happened, {_parsed("_loaded_at")} as synced
        from {export.format(name="lead_status_history")}
        where {_parsed("changed_at")} is not null and {_parsed("_loaded_at")} is not null
            and trim(lead_id) in (select lead_id from ex_leads)
            and {_normalized("new_status")} not in ({no_value})
        qualify row_number() over (partition by event_id order by _loaded_at desc) = 1;
    create temp view ex_activities as
        select *, {_parsed("occurred_at")} as happened, {_parsed("_loaded_at")} as synced
        from {export.format(name="activities")}
        where {_parsed("occurred_at")} is not null and {_parsed("_loaded_at")} is not null
            and lead_id in (select lead_id from ex_leads)
        qualify row_number() over (partition by activity_id order by _loaded_at desc) = 1;
    create temp view lead_facts as
        select
            ex_leads.lead_id,
            100000 + row_number() over (order by ex_leads.lead_id) as id,
            900000000 + row_number() over (order by ex_leads.lead_id) as duplicate_id,
            hash(ex_leads.lead_id) % 200 as pick,
            coalesce({_parsed("ex_leads.created_at")}, min(ex_events.happened)) as created,
            coalesce(max(ex_events.synced), {_parsed("ex_leads._loaded_at")}) as synced
        from ex_leads
        left join ex_events on ex_leads.lead_id = ex_events.lead_id
        group by ex_leads.lead_id, ex_leads.created_at, ex_leads._loaded_at;
    """


def _contact_sql() -> str:
    columns = """
        id, _fivetran_deleted, _fivetran_synced, property_email, property_company,
        property_createdate, property_lastmodifieddate, property_hs_merged_object_ids,
        property_hs_analytics_source, property_segment, property_channel, property_region,
        property_industry, property_is_existing_customer, property_hubspot_owner_id"""
    return f"""
    select {columns} from (
        select
            lead_facts.id, lead_facts.pick in (3, 4) as _fivetran_deleted,
            {_iso("lead_facts.synced")} as _fivetran_synced,
            ex_leads.email as property_email, ex_leads.company as property_company,
            {_iso("lead_facts.created")} as property_createdate,
            {_iso("lead_facts.synced")} as property_lastmodifieddate,
            case when lead_facts.pick in (1, 2) and lead_facts.created is not null
                then cast(lead_facts.duplicate_id as varchar) end as property_hs_merged_object_ids,
            ex_leads.lead_source as property_hs_analytics_source,
            ex_leads.segment as property_segment, ex_leads.channel as property_channel,
            ex_leads.region as property_region, ex_leads.industry as property_industry,
            ex_leads.is_existing_customer as property_is_existing_customer,
            ex_leads.owner_id as property_hubspot_owner_id,
            lead_facts.synced as order_key
        from lead_facts join ex_leads using (lead_id)
        union all
        -- a duplicate contact of the same person, merged into the lead and,
        -- as HubSpot often leaves it, not marked deleted
        select
            lead_facts.duplicate_id, false, {_iso("lead_facts.synced")}, ex_leads.email,
            ex_leads.company, {_iso("lead_facts.created - interval 1 day")},
            {_iso("lead_facts.synced")}, null, ex_leads.lead_source, ex_leads.segment,
            ex_leads.channel, ex_leads.region, ex_leads.industry,
            ex_leads.is_existing_customer, ex_leads.owner_id, lead_facts.synced
        from lead_facts join ex_leads using (lead_id)
        where lead_facts.pick = 1 and lead_facts.created is not null
    )
    order by order_key, id
    """


def _history_sql() -> str:
    columns = "contact_id, name, value, timestamp, source, source_id, _fivetran_synced"
    return f"""
    select {columns} from (
        select
            lead_facts.id as contact_id, 'hs_lead_status' as name,
            {_status_value("ex_events.new_status")} as value,
            {_iso("ex_events.happened")} as timestamp,
            case when ex_events.changed_by = 'system' then 'WORKFLOW' else 'CRM_UI' end as source,
            ex_events.changed_by as source_id, {_iso("ex_events.synced")} as _fivetran_synced,
            ex_events.synced as order_key, ex_events.event_id as order_id, 0 as part
        from ex_events join lead_facts using (lead_id)
        union all
        -- a connector's re-sent row
        select
            lead_facts.id, 'hs_lead_status', {_status_value("ex_events.new_status")},
            {_iso("ex_events.happened")},
            case when ex_events.changed_by = 'system' then 'WORKFLOW' else 'CRM_UI' end,
            ex_events.changed_by, {_iso("ex_events.synced")}, ex_events.synced,
            ex_events.event_id, 1
        from ex_events join lead_facts using (lead_id)
        where hash(ex_events.event_id) % 50 = 7
        union all
        select
            lead_facts.id, 'rejection_reason', trim(ex_events.reason),
            {_iso("ex_events.happened")}, 'CRM_UI', ex_events.changed_by,
            {_iso("ex_events.synced")}, ex_events.synced, ex_events.event_id, 2
        from ex_events join lead_facts using (lead_id)
        where nullif(trim(ex_events.reason), '') is not null
        union all
        -- the duplicate contact's own MQL, a day before the kept one's creation
        select
            lead_facts.duplicate_id, 'hs_lead_status', 'NEW',
            {_iso("lead_facts.created - interval 1 day + interval 1 hour")}, 'WORKFLOW',
            'system', {_iso("lead_facts.synced")}, lead_facts.synced, '', 3
        from lead_facts
        where lead_facts.pick in (1, 2) and lead_facts.created is not null
    )
    order by order_key, order_id, part, contact_id
    """


def _engagement_sql() -> str:
    kinds = " ".join(f"when '{k}' then '{v}'" for k, v in ENGAGEMENT_TYPES.items())
    return f"""
    select
        'E' || ex_activities.activity_id as id,
        case lower(trim(ex_activities.activity_type)) {kinds} else 'TASK' end as type,
        {_iso("ex_activities.happened")} as timestamp,
        {_iso("ex_activities.happened + interval 5 minute")} as created_at,
        ex_activities.performed_by as owner_id,
        {_iso("ex_activities.synced")} as _fivetran_synced
    from ex_activities
    order by ex_activities.synced, id
    """


def _association_sql() -> str:
    return f"""
    select
        'E' || ex_activities.activity_id as engagement_id,
        lead_facts.id as contact_id,
        {_iso("ex_activities.synced")} as _fivetran_synced
    from ex_activities join lead_facts using (lead_id)
    order by ex_activities.synced, engagement_id
    """


def to_hubspot(export: Path, out: Path, fmt: str) -> dict[str, int]:
    """Rewrite the generated export in `export` as HubSpot tables in `out`;
    returns each table's row count."""
    tables = {
        "contact": _contact_sql(),
        "contact_property_history": _history_sql(),
        "engagement": _engagement_sql(),
        "engagement_contact": _association_sql(),
    }
    return rewrite_export(export, out, fmt, _views, tables)
