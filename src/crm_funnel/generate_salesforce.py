"""A Salesforce-shaped export, as Fivetran lands it (docs/sources.md).

`crm-funnel generate --crm salesforce` writes the generator's export (the
same leads, statuses, reasons and touches) and rewrites it the way Salesforce
and its connector would hold it:

- `lead_history`: one `Status` row per change, with the old value; no row for
  a lead's initial status (it is the first row's old value, or `lead.status`);
  a decision's reason as a second row (`Disqualification_Reason__c`) with the
  same `created_date`;
- `lead`: one row per lead (Fivetran keeps the latest), with the custom fields
  segment_c, channel_c, region_c, existing_customer_c; about 1 lead in 100 has
  a duplicate record that became an MQL a day earlier and was merged into it
  (deleted, `master_record_id`), 1 in 100 is deleted outright, and a lead
  that reached an opportunity is converted into a contact;
- `task`: the touches; a converted lead's tasks moved to its contact (`who_id`
  003..., as Salesforce re-parents them on conversion); `completed_date_time`
  set on 9 in 10; 1 in 100 deleted;
- every time in Salesforce's API format (2026-03-02T15:00:00.000+0000),
  `_fivetran_synced` the export's load time.

Salesforce writes no unreadable times: export rows whose time does not parse,
and rows of leads that are not in the lead table, are left out; a re-sent row
keeps its latest copy, as Fivetran's upsert does.
"""

from __future__ import annotations

from pathlib import Path

from crm_funnel.generate import LABELS


def _api(expr: str) -> str:
    """SQL: a timestamptz in Salesforce's API format."""
    return f"strftime(({expr}) at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%g+0000')"


def _sf_id(prefix: str, expr: str) -> str:
    """SQL: an 18-character id with Salesforce's key prefix."""
    return f"'{prefix}' || lpad(regexp_replace({expr}, '[^0-9A-Za-z]', '', 'g'), 15, '0')"


def _parsed(column: str) -> str:
    return f"try_cast(trim({column}) as timestamptz)"


def _views(export: str) -> str:
    opportunity = ", ".join("'" + label.lower() + "'" for label in LABELS["opportunity"])
    return f"""
    create temp view ex_leads as
        select * from {export.format(name="leads")}
        qualify row_number() over (partition by lead_id order by _loaded_at desc) = 1;
    create temp view ex_events as
        select *, {_parsed("changed_at")} as happened, {_parsed("_loaded_at")} as synced
        from {export.format(name="lead_status_history")}
        where {_parsed("changed_at")} is not null and {_parsed("_loaded_at")} is not null
            and trim(lead_id) in (select lead_id from ex_leads)
        qualify row_number() over (partition by event_id order by _loaded_at desc) = 1;
    create temp view ex_activities as
        select *, {_parsed("occurred_at")} as happened, {_parsed("_loaded_at")} as synced
        from {export.format(name="activities")}
        where {_parsed("occurred_at")} is not null and {_parsed("_loaded_at")} is not null
            and lead_id in (select lead_id from ex_leads)
        qualify row_number() over (partition by activity_id order by _loaded_at desc) = 1;
    create temp view ranked_events as
        select *,
            row_number() over lead_order as change_number,
            lag(new_status) over lead_order as previous_status
        from ex_events
        window lead_order as (partition by lead_id order by happened, event_id);
    create temp view lead_facts as
        select
            ex_leads.lead_id,
            {_sf_id("00Q", "ex_leads.lead_id")} as id,
            hash(ex_leads.lead_id) % 200 as pick,
            coalesce({_parsed("ex_leads.created_at")}, min(ranked_events.happened)) as created,
            coalesce(max(ranked_events.synced), {_parsed("ex_leads._loaded_at")}) as synced,
            arg_max(ranked_events.new_status, ranked_events.happened) as status,
            min(ranked_events.happened) filter (
                where lower(trim(ranked_events.new_status)) in ({opportunity})
            ) as converted
        from ex_leads
        left join ranked_events on ex_leads.lead_id = ranked_events.lead_id
        group by ex_leads.lead_id, ex_leads.created_at, ex_leads._loaded_at;
    """


def _lead_sql() -> str:
    columns = """
        id, email, company, lead_source, status, industry, owner_id, created_date,
        last_modified_date, is_converted, converted_date, converted_contact_id,
        converted_opportunity_id, master_record_id, is_deleted, _fivetran_synced,
        segment_c, channel_c, region_c, existing_customer_c"""
    return f"""
    select {columns} from (
        select
            lead_facts.id, ex_leads.email, ex_leads.company, ex_leads.lead_source,
            coalesce(lead_facts.status, 'Open') as status, ex_leads.industry, ex_leads.owner_id,
            {_api("lead_facts.created")} as created_date,
            {_api("lead_facts.synced")} as last_modified_date,
            lead_facts.converted is not null as is_converted,
            {_api("lead_facts.converted")} as converted_date,
            case when lead_facts.converted is not null
                then {_sf_id("003", "ex_leads.lead_id")} end as converted_contact_id,
            case when lead_facts.converted is not null
                then {_sf_id("006", "ex_leads.lead_id")} end as converted_opportunity_id,
            null as master_record_id,
            lead_facts.pick in (3, 4) as is_deleted,
            {_api("lead_facts.synced")} as _fivetran_synced,
            ex_leads.segment as segment_c, ex_leads.channel as channel_c,
            ex_leads.region as region_c, ex_leads.is_existing_customer as existing_customer_c,
            lead_facts.synced as order_key
        from lead_facts join ex_leads using (lead_id)
        union all
        -- a duplicate record of the same person, merged into the lead
        select
            {_sf_id("00Q", "'D' || ex_leads.lead_id")}, ex_leads.email, ex_leads.company,
            ex_leads.lead_source, 'MQL', ex_leads.industry, ex_leads.owner_id,
            {_api("lead_facts.created - interval 1 day")},
            {_api("lead_facts.synced")}, false, null, null, null, lead_facts.id, true,
            {_api("lead_facts.synced")},
            ex_leads.segment, ex_leads.channel, ex_leads.region, ex_leads.is_existing_customer,
            lead_facts.synced
        from lead_facts join ex_leads using (lead_id)
        where lead_facts.pick in (1, 2) and lead_facts.created is not null
    )
    order by order_key, id
    """


def _history_sql() -> str:
    columns = """id, lead_id, field, data_type, old_value, new_value, created_date,
        created_by_id, is_deleted, _fivetran_synced"""
    return f"""
    select {columns} from (
        select
            {_sf_id("017", "event_id")} as id, {_sf_id("00Q", "lead_id")} as lead_id,
            'Status' as field, 'DynamicEnum' as data_type,
            previous_status as old_value, new_status as new_value,
            {_api("happened")} as created_date, changed_by as created_by_id, false as is_deleted,
            {_api("synced")} as _fivetran_synced, synced as order_key, 0 as part
        from ranked_events
        where change_number > 1
        union all
        select
            {_sf_id("017", "'R' || event_id")}, {_sf_id("00Q", "lead_id")},
            'Disqualification_Reason__c', 'DynamicEnum', null, reason,
            {_api("happened")}, changed_by, false, {_api("synced")}, synced, 1
        from ranked_events
        where change_number > 1 and nullif(trim(reason), '') is not null
        union all
        -- the duplicate record's own MQL, a day before the kept lead's creation
        select
            {_sf_id("017", "'D' || lead_facts.lead_id")},
            {_sf_id("00Q", "'D' || lead_facts.lead_id")}, 'Status', 'DynamicEnum', 'Open',
            'MQL', {_api("lead_facts.created - interval 1 day + interval 1 hour")}, 'system',
            false, {_api("lead_facts.synced")}, lead_facts.synced, 2
        from lead_facts
        where lead_facts.pick in (1, 2) and lead_facts.created is not null
    )
    order by order_key, part, id
    """


def _task_sql() -> str:
    kinds = "map {'call': 'Call', 'email': 'Email', 'meeting': 'Meeting', 'linkedin': 'LinkedIn'}"
    columns = """id, who_id, type, subject, status, created_date, completed_date_time,
        activity_date, owner_id, is_deleted, _fivetran_synced"""
    return f"""
    select {columns} from (
        select
            {_sf_id("00T", "activity_id")} as id,
            case when lead_facts.converted is not null
                then {_sf_id("003", "ex_activities.lead_id")}
                else lead_facts.id end as who_id,
            coalesce({kinds}[lower(trim(activity_type))], 'Other') as type,
            'Touch' as subject, 'Completed' as status,
            {_api("ex_activities.happened + interval 5 minute")} as created_date,
            case when hash(activity_id) % 10 != 0 then {_api("ex_activities.happened")} end
                as completed_date_time,
            strftime(ex_activities.happened at time zone 'UTC', '%Y-%m-%d') as activity_date,
            performed_by as owner_id,
            hash(activity_id) % 100 = 1 as is_deleted,
            {_api("ex_activities.synced")} as _fivetran_synced,
            ex_activities.synced as order_key
        from ex_activities join lead_facts using (lead_id)
    )
    order by order_key, id
    """


def rewrite_export(
    export: Path, out: Path, fmt: str, views, tables: dict[str, str]
) -> dict[str, int]:
    """Write each of `tables` ({name: select}) to `out` as a .csv or .parquet
    file, after `views(source)` has made the temp views the selects read over
    the generated export in `export`; returns each table's row count. The
    connector-shaped generators (Salesforce, HubSpot) share it."""
    import duckdb

    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    options = "(header, delimiter ',')" if fmt == "csv" else "(format parquet)"
    source = f"{reader}('{export}/{{name}}.{fmt}'" + (
        ", all_varchar = true)" if fmt == "csv" else ")"
    )
    out.mkdir(parents=True, exist_ok=True)
    for name in tables:
        for stale in out.glob(f"{name}.*"):
            stale.unlink()
    counts = {}
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        connection.execute(views(source))
        for name, sql in tables.items():
            path = out / f"{name}.{fmt}"
            connection.execute(f"copy ({sql}) to '{path}' {options}")
            counts[name] = connection.execute(f"select count(*) from '{path}'").fetchone()[0]
    return counts


def to_salesforce(export: Path, out: Path, fmt: str) -> dict[str, int]:
    """Rewrite the generated export in `export` as Salesforce tables in `out`;
    returns each table's row count."""
    tables = {"lead": _lead_sql(), "lead_history": _history_sql(), "task": _task_sql()}
    return rewrite_export(export, out, fmt, _views, tables)
