"""The hand-made HubSpot export of the golden tests (test_hubspot.py) and the
answers derived from it by hand.

Nine contacts as Fivetran lands them, and the same data as Airbyte does
(epoch-millisecond times, API names, engagements listing their contacts);
the comments beside the data say how each expected value follows from
docs/contract.md, "HubSpot". The status property is hs_lead_status; the
builds name `rejection_reason` as the reason property (var
hubspot_reason_property). Statuses map through seeds/status_map.csv's
HubSpot rows: NEW = mql, OPEN = assigned, IN_PROGRESS = accepted,
BAD_TIMING = recycled, UNQUALIFIED = disqualified; WAITING is in no row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from salesforce_fixture import write_table

SYNCED = "2026-03-07T00:00:00.000Z"
REASON_VARS = "{hubspot_reason_property: rejection_reason}"


def t(day: int, hour: int, minute: int = 0) -> str:
    """A time on 2026-03-<day>, as Fivetran writes it (UTC)."""
    return f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00.000Z"


def epoch_ms(text: str) -> str:
    """The same time as Airbyte writes it: epoch milliseconds."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=UTC)
    return str(int(moment.timestamp() * 1000))


CONTACT_COLUMNS = (
    "id,_fivetran_deleted,_fivetran_synced,property_email,property_company,property_createdate,"
    "property_lastmodifieddate,property_hs_merged_object_ids,property_hs_calculated_merged_vids,"
    "property_hs_analytics_source,property_segment,property_channel,property_region,"
    "property_industry,property_is_existing_customer,property_hubspot_owner_id"
).split(",")
HISTORY_COLUMNS = "contact_id,name,value,timestamp,source,source_id,_fivetran_synced".split(",")
ENGAGEMENT_COLUMNS = "id,type,timestamp,created_at,owner_id,_fivetran_synced".split(",")
ASSOCIATION_COLUMNS = "engagement_id,contact_id,_fivetran_synced".split(",")
AUDIT_COLUMNS = "canonical_vid,vid_to_merge,timestamp,_fivetran_synced".split(",")


def contact(contact_id, created, *, deleted="", merged="", calculated=""):
    return [
        contact_id, deleted, SYNCED, f"c{contact_id}@x.com", "X", created, created, merged,
        calculated, "Webinar", "SMB", "Inbound", "NA", "SaaS", "false", "77",
    ]  # fmt: skip


def status(contact_id, value, at, *, name="hs_lead_status"):
    return [contact_id, name, value, at, "CRM_UI", "77", SYNCED]


CONTACTS = [
    # 101: created NEW (MQL) 09:00 (its first history row); IN_PROGRESS 13:00
    # (accepted, TTA 4 h), a row the connector sent twice (one copy dropped as
    # duplicate_event_id); first touch the call at 14:00 (TTFT 1 h): its
    # timestamp, not its created_at (12:00, before the acceptance)
    contact("101", t(2, 9)),
    # 102: NEW 03-03 08:00, pending; WAITING at 09:00 maps to no stage
    contact("102", t(3, 8)),
    # 103: NEW 11:00, UNQUALIFIED 03-03 12:00 (TTA 25 h) with the reason
    # property's row of the same time, "No budget" (reason_code budget)
    contact("103", t(2, 11)),
    # a merge group by all three forms: 105 into 104 (104's
    # hs_merged_object_ids), 106 into 105 (105's older
    # hs_calculated_merged_vids: a chain), 107 into 104 (contact_merge_audit).
    # 105 is not marked deleted, 106 has no contact row at all, 107 is
    # deleted. Created once, at 105's 08:00 as NEW (the founder's first row):
    # the one handoff's MQL. The other members' creation values (106 NEW
    # 10:00, 107 NEW 11:00, 104 NEW 12:00) are no status changes (merged_lead).
    # 106's OPEN 10:30 assigns it, 104's IN_PROGRESS 15:00 accepts it (TTA
    # 4.5 h from the assignment); 106's email at 16:00 is the first touch
    # (TTFT 1 h). The meeting at 17:00 is with 104 and 105, one activity
    # (the second association is a duplicate_activity_id).
    contact("104", t(4, 12), merged="105"),
    contact("105", t(4, 8), calculated=f"106:{epoch_ms(t(4, 10, 45))}"),
    contact("107", t(4, 11), deleted="true"),
    # 108: deleted: its history and its call leave the marts
    contact("108", t(2, 10), deleted="true"),
    # 109: NEW 03-05 09:00, BAD_TIMING 11:00 (recycled, TTA 2 h, no reason),
    # NEW again 03-06 09:00: a second handoff, pending
    contact("109", t(5, 9)),
]
HISTORY = [
    status("101", "NEW", t(2, 9)),
    status("101", "IN_PROGRESS", t(2, 13)),
    status("101", "IN_PROGRESS", t(2, 13)),
    # another property: no status change, not counted as a raw row
    status("101", "c101@y.com", t(2, 9, 30), name="email"),
    status("102", "NEW", t(3, 8)),
    status("102", "WAITING", t(3, 9)),
    status("103", "NEW", t(2, 11)),
    status("103", "UNQUALIFIED", t(3, 12)),
    status("103", "No budget", t(3, 12), name="rejection_reason"),
    status("104", "NEW", t(4, 12)),
    status("104", "IN_PROGRESS", t(4, 15)),
    status("105", "NEW", t(4, 8)),
    status("106", "NEW", t(4, 10)),
    status("106", "OPEN", t(4, 10, 30)),
    status("107", "NEW", t(4, 11)),
    status("108", "NEW", t(2, 10)),
    status("109", "NEW", t(5, 9)),
    status("109", "BAD_TIMING", t(5, 11)),
    status("109", "NEW", t(6, 9)),
]
ENGAGEMENTS = [
    ["e1", "CALL", t(2, 14), t(2, 12), "77", SYNCED],
    ["e2", "NOTE", t(2, 13, 30), t(2, 13, 30), "77", SYNCED],
    ["e3", "EMAIL", t(4, 16), t(4, 16), "77", SYNCED],
    ["e4", "MEETING", t(4, 17), t(4, 9), "77", SYNCED],
    ["e5", "CALL", t(2, 11), t(2, 11), "77", SYNCED],
]
ASSOCIATIONS = [
    ["e1", "101", SYNCED],
    ["e2", "101", SYNCED],
    ["e3", "106", SYNCED],
    ["e4", "104", SYNCED],
    ["e4", "105", SYNCED],
    ["e5", "108", SYNCED],
]
AUDIT = [["104", "107", t(4, 13), SYNCED]]


def write_fivetran(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder / "contact.csv", CONTACT_COLUMNS, CONTACTS)
    write_table(folder / "contact_property_history.csv", HISTORY_COLUMNS, HISTORY)
    write_table(folder / "engagement.csv", ENGAGEMENT_COLUMNS, ENGAGEMENTS)
    write_table(folder / "engagement_contact.csv", ASSOCIATION_COLUMNS, ASSOCIATIONS)
    write_table(folder / "contact_merge_audit.csv", AUDIT_COLUMNS, AUDIT)
    return folder


def airbyte_name(column: str) -> str:
    """Airbyte's column name of a Fivetran one."""
    names = {
        "_fivetran_synced": "_airbyte_extracted_at",
        "_fivetran_deleted": "archived",
        "contact_id": "vid",
        "name": "property",
        "source": "source-type",
        "source_id": "source-id",
        "owner_id": "ownerId",
        "canonical_vid": "canonical-vid",
        "vid_to_merge": "vid-to-merge",
        "created_at": "createdAt",
    }
    if column.startswith("property_"):
        return "properties_" + column[len("property_") :]
    return names.get(column, column)


def write_airbyte(folder: Path) -> Path:
    """The same data as Airbyte lands it: history and engagement times in
    epoch milliseconds, each engagement listing its contacts."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = [airbyte_name(c) for c in CONTACT_COLUMNS]
    write_table(folder / "contacts.csv", columns, CONTACTS)
    history = [[*row[:3], epoch_ms(row[3]), *row[4:]] for row in HISTORY]
    write_table(
        folder / "contacts_property_history.csv",
        [airbyte_name(c) for c in HISTORY_COLUMNS],
        history,
    )
    engagements = []
    for row in ENGAGEMENTS:
        contacts = [int(c) for e, c, _ in ASSOCIATIONS if e == row[0]]
        engagements.append(
            [
                row[0],
                row[1],
                epoch_ms(row[2]),
                epoch_ms(row[3]),
                row[4],
                row[5],
                json.dumps(contacts),
            ]
        )
    write_table(
        folder / "engagements.csv",
        [*(airbyte_name(c) for c in ENGAGEMENT_COLUMNS), "associations_contactIds"],
        engagements,
    )
    write_table(
        folder / "contacts_merged_audit.csv", [airbyte_name(c) for c in AUDIT_COLUMNS], AUDIT
    )
    return folder


HANDOFFS = """
    select lead_id, handoff_number, entry_stage, mql_at, decision, decided_at, reason_code,
        first_touch_at, tta_hours, ttft_hours
    from main.fct_lead_handoffs order by lead_id, handoff_number
"""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute)


EXPECTED_HANDOFFS = [
    ("101", 1, "mql", at(2, 9), "accepted", at(2, 13), None, at(2, 14), 4.0, 1.0),
    ("102", 1, "mql", at(3, 8), "pending", None, None, None, None, None),
    ("103", 1, "mql", at(2, 11), "disqualified", at(3, 12), "budget", None, 25.0, None),
    ("104", 1, "mql", at(4, 8), "accepted", at(4, 15), None, at(4, 16), 4.5, 1.0),
    ("109", 1, "mql", at(5, 9), "recycled", at(5, 11), "unspecified", None, 2.0, None),
    ("109", 2, "mql", at(6, 9), "pending", None, None, None, None, None),
]
# contact_property_history counts its 17 hs_lead_status rows (the email and
# reason rows are not status rows): 101's second copy, 102's WAITING, the
# creation values of 104, 106 and 107 and deleted 108's row are dropped.
# contact: 8 rows (106 has none); 105 and 107 merged, 108 deleted.
# engagement_contact: 6 associations; e4's second (105, i.e. 104 again) and
# e5 (deleted 108) are dropped.
EXPECTED_LOADS = [
    ("contact", 8, 5, 3, 0),
    ("contact_property_history", 17, 11, 6, 0),
    ("engagement_contact", 6, 4, 2, 0),
]
EXPECTED_ISSUES = [
    ("contact", 5, "merged_lead", "dropped", "merged into contact 104"),
    ("contact", 6, "merged_lead", "dropped", "merged into contact 104"),
    ("contact", 7, "deleted_in_crm", "dropped", "contact 108 is deleted in HubSpot"),
    # the copy sent first is dropped; the later row is kept
    ("contact_property_history", 2, "duplicate_event_id", "dropped", "kept raw row 3"),
    ("contact_property_history", 6, "unknown_status", "dropped", "new_status='WAITING'"),
    ("contact_property_history", 10, "merged_lead", "dropped",
     "the creation value of contact 104, merged into 104"),
    ("contact_property_history", 13, "merged_lead", "dropped",
     "the creation value of contact 106, merged into 104"),
    ("contact_property_history", 15, "merged_lead", "dropped",
     "the creation value of contact 107, merged into 104"),
    ("contact_property_history", 16, "deleted_in_crm", "dropped",
     "contact 108 is deleted in HubSpot"),
    ("engagement_contact", 4, "duplicate_activity_id", "dropped", "kept raw row 5"),
    ("engagement_contact", 6, "deleted_in_crm", "dropped", "contact 108 is deleted in HubSpot"),
]  # fmt: skip
