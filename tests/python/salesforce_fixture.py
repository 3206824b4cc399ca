"""The hand-made Salesforce export of the golden tests (test_salesforce.py,
test_salesforce_tables.py) and the answers derived from it by hand.

Eight leads as Fivetran lands them; the comments beside the data say how each
expected value follows from docs/contract.md, "Salesforce". Times are
Salesforce's API format, UTC. Statuses map through seeds/status_map.csv: Raw
= new, MQL = mql, Sales Accepted = accepted, Disqualified = disqualified,
Converted = opportunity.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

SYNCED = "2026-03-07T00:00:00.000+0000"


def t(day: int, hour: int, minute: int = 0) -> str:
    """A Salesforce API time on 2026-03-<day>."""
    return f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00.000+0000"


LEAD_COLUMNS = (
    "id,email,company,lead_source,status,industry,owner_id,created_date,last_modified_date,"
    "is_converted,converted_date,converted_contact_id,converted_opportunity_id,master_record_id,"
    "is_deleted,_fivetran_synced,segment_c,channel_c,region_c,existing_customer_c"
).split(",")
HISTORY_COLUMNS = (
    "id,lead_id,field,data_type,old_value,new_value,created_date,created_by_id,is_deleted,"
    "_fivetran_synced"
).split(",")
TASK_COLUMNS = (
    "id,who_id,type,subject,status,created_date,completed_date_time,activity_date,owner_id,"
    "is_deleted,_fivetran_synced"
).split(",")


def lead(lead_id, status, created, modified, *, master="", deleted="false", contact=""):
    converted = "true" if contact else "false"
    return [
        lead_id, f"{lead_id}@x.com", "X", "Webinar", status, "SaaS", "005A", created, modified,
        converted, modified if contact else "", contact, "", master, deleted, SYNCED,
        "SMB", "Inbound", "NA", "false",
    ]  # fmt: skip


def change(row_id, lead_id, old, new, at, *, field="Status", deleted="false"):
    return [row_id, lead_id, field, "DynamicEnum", old, new, at, "005A", deleted, SYNCED]


def task(row_id, who, kind, created, completed, *, deleted="false"):
    return [row_id, who, kind, "s", "Completed", created, completed, created[:10], "005A",
            deleted, SYNCED]  # fmt: skip


LEADS = [
    # 00Q1: created Raw (its first status row's old value), MQL 10:00,
    # accepted 14:00 (TTA 4 h); first touch the call completed 15:00 (TTFT 1 h)
    lead("00Q1", "Sales Accepted", t(2, 9), t(2, 14)),
    # 00Q2: no status row, so created with Lead.status MQL at 08:00: pending
    lead("00Q2", "MQL", t(3, 8), t(3, 8)),
    # 00Q3: MQL 11:00, disqualified 03-03 12:00 (TTA 25 h) for the reason row
    # saved with it, "No budget" (reason_code budget)
    lead("00Q3", "Disqualified", t(2, 9), t(3, 12)),
    # a merge group: 00Q6 merged into 00Q5, merged into 00Q4 (a chain).
    # Created once, at its earliest created_date: 00Q5's 08:00, as Raw (00Q5's
    # first old value). 00Q5's MQL at 09:00 opens the one handoff; 00Q4's own
    # creation as MQL at 12:00 is no status change (no second handoff); its
    # acceptance at 15:00 decides it (TTA 6 h); 00Q6's email at 16:00 is the
    # first touch (TTFT 1 h). dim_leads: 00Q4 created 08:00; 00Q5, 00Q6 absent.
    lead("00Q4", "Sales Accepted", t(4, 12), t(4, 15)),
    lead("00Q5", "MQL", t(4, 8), t(4, 17), master="00Q4", deleted="true"),
    lead("00Q6", "MQL", t(4, 10), t(4, 16, 30), master="00Q5", deleted="true"),
    # 00Q7: deleted without a master: it, its history and its task leave
    lead("00Q7", "MQL", t(2, 9), t(5, 9), deleted="true"),
    # 00Q8: MQL 10:00, accepted 11:00 (TTA 1 h), converted 03-06 10:00 into
    # contact 0038 (reached_opportunity); its touches moved to that contact:
    # the meeting (an Event) at 12:00 is its first touch (TTFT 1 h), before
    # the task completed at 13:00
    lead("00Q8", "Converted", t(5, 9), t(6, 10), contact="0038"),
]
HISTORY = [
    change("017h1", "00Q1", "Raw", "MQL", t(2, 10)),
    change("017h2", "00Q1", "MQL", "Sales Accepted", t(2, 14)),
    change("017h3", "00Q3", "Raw", "MQL", t(2, 11)),
    change("017h4", "00Q3", "MQL", "Disqualified", t(3, 12)),
    change("017h5", "00Q3", "", "No budget", t(3, 12), field="Disqualification_Reason__c"),
    # another tracked field: no status change, not counted as a raw row
    change("017h6", "00Q3", "", "Hot", t(2, 11, 30), field="Rating"),
    change("017h7", "00Q4", "MQL", "Sales Accepted", t(4, 15)),
    change("017h8", "00Q5", "Raw", "MQL", t(4, 9)),
    change("017h9", "00Q7", "Raw", "MQL", t(2, 10)),
    change("017ha", "00Q8", "Raw", "MQL", t(5, 10)),
    change("017hb", "00Q8", "MQL", "Sales Accepted", t(5, 11)),
    change("017hc", "00Q8", "Sales Accepted", "Converted", t(6, 10)),
]
TASKS = [
    # completed_date_time is the touch's time, not created_date
    task("00T1", "00Q1", "Call", t(2, 15, 30), t(2, 15)),
    # deleted in Salesforce: not the first touch of 00Q1
    task("00T2", "00Q1", "Call", t(2, 14, 30), t(2, 14, 30), deleted="true"),
    # not completed: its created_date is its time
    task("00T3", "00Q6", "Email", t(4, 16), ""),
    task("00T4", "00Q7", "Call", t(2, 12), t(2, 12)),
    task("00T5", "0038", "Call", t(5, 13, 10), t(5, 13)),
]
EVENT_COLUMNS = [*TASK_COLUMNS, "activity_date_time"]
EVENTS = [
    # an event's time is when it takes place (activity_date_time), not when it
    # was booked: the meeting at 12:00 with 00Q8's contact is its first touch
    # (TTFT 1 h), before the 13:00 call
    [*task("00U1", "0038", "Meeting", t(5, 9, 30), ""), t(5, 12)],
    # deleted: would otherwise be 00Q1's first touch at 14:45
    [*task("00U2", "00Q1", "Meeting", t(2, 10), "", deleted="true"), t(2, 14, 45)],
]


def write_table(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


def write_fivetran(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder / "lead.csv", LEAD_COLUMNS, LEADS)
    write_table(folder / "lead_history.csv", HISTORY_COLUMNS, HISTORY)
    write_table(folder / "task.csv", TASK_COLUMNS, TASKS)
    write_table(folder / "event.csv", EVENT_COLUMNS, EVENTS)
    return folder


def api_name(column: str) -> str:
    """Airbyte's column name: Salesforce's API name (lead_id -> LeadId)."""
    if column == "_fivetran_synced":
        return "_airbyte_extracted_at"
    if column.endswith("_c"):
        return column[:-2].replace("_", " ").title().replace(" ", "_") + "__c"
    return "".join(part.title() for part in column.split("_"))


def write_airbyte(folder: Path, leads: list[list[str]] | None = None) -> Path:
    """Airbyte's names; `leads` replaces LEADS (an append sync's copies)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in [
        ("Lead", LEAD_COLUMNS, LEADS if leads is None else leads),
        ("LeadHistory", HISTORY_COLUMNS, HISTORY),
        ("Task", TASK_COLUMNS, TASKS),
        ("Event", EVENT_COLUMNS, EVENTS),
    ]:
        write_table(folder / f"{name}.csv", [api_name(c) for c in columns], rows)
    return folder


HANDOFFS = """
    select lead_id, handoff_number, entry_stage, mql_at, decision, decided_at, reason_code,
        first_touch_at, tta_hours, ttft_hours, reached_opportunity
    from main.fct_lead_handoffs order by lead_id, handoff_number
"""


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour)


EXPECTED_HANDOFFS = [
    ("00Q1", 1, "mql", at(2, 10), "accepted", at(2, 14), None, at(2, 15), 4.0, 1.0, False),
    ("00Q2", 1, "mql", at(3, 8), "pending", None, None, None, None, None, False),
    ("00Q3", 1, "mql", at(2, 11), "disqualified", at(3, 12), "budget", None, 25.0, None, False),
    ("00Q4", 1, "mql", at(4, 9), "accepted", at(4, 15), None, at(4, 16), 6.0, 1.0, False),
    ("00Q8", 1, "mql", at(5, 10), "accepted", at(5, 11), None, at(5, 12), 1.0, 1.0, True),
]
# lead_history counts its status rows (10; the reason and Rating rows are
# read with them or not at all); 00Q7's one is dropped. lead: 00Q5 and 00Q6
# merged, 00Q7 deleted. task: 00T2 deleted, 00T4 of the deleted lead.
# event: 00U2 deleted.
EXPECTED_LOADS = [
    ("event", 2, 1, 1, 0),
    ("lead", 8, 5, 3, 0),
    ("lead_history", 10, 9, 1, 0),
    ("task", 5, 3, 2, 0),
]
EXPECTED_ISSUES = [
    ("event", 2, "deleted_in_crm", "dropped", "is_deleted is true in event"),
    ("lead", 5, "merged_lead", "dropped", "merged into lead 00Q4"),
    ("lead", 6, "merged_lead", "dropped", "merged into lead 00Q4"),
    ("lead", 7, "deleted_in_crm", "dropped", "lead 00Q7 is deleted in Salesforce"),
    ("lead_history", 9, "deleted_in_crm", "dropped", "lead 00Q7 is deleted in Salesforce"),
    ("task", 2, "deleted_in_crm", "dropped", "is_deleted is true in task"),
    ("task", 4, "deleted_in_crm", "dropped", "lead 00Q7 is deleted in Salesforce"),
]
