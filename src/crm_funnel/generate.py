"""Write a realistic, messy raw CRM export (the three contract files).

The export exercises every cleaning rule of the contract: repeated and
corrected event ids, double submits, blank lead ids, unparseable and future
timestamps, unknown labels, unmapped reasons, orphan leads, mixed time zone
offsets. Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

LEAD_SOURCES = [
    ("Demo Request", 0.15),
    ("Pricing Inquiry", 0.08),
    ("Contact Sales", 0.07),
    ("Webinar", 0.15),
    ("Content Download", 0.2),
    ("Trial Signup", 0.15),
    ("Referral", 0.1),
    ("Outbound Prospecting", 0.1),
]
HIGH_INTENT = {"Demo Request", "Pricing Inquiry", "Contact Sales"}
RECYCLE_REASONS = [
    "Timing not right",
    "Bad timing",
    "No budget",
    "Not decision maker",
    "No current need",
    "Attempted contact - no response",
    "Unresponsive",
    "",
]
DISQUALIFY_REASONS = [
    "Poor ICP fit",
    "Wrong company size",
    "Competitor/Partner",
    "Spam",
    "Fake submission",
    "Student",
    "Job seeker",
    "Existing account",
    "Duplicate",
    "Insufficient contact data",
    "Wrong territory",
    "Budget freeze 2025",
]
LABELS = {
    "new": ["New", "open", " Inquiry"],
    "mql": ["MQL", "Marketing Qualified Lead", "marketing  qualified"],
    "remql": ["Re-MQL", "MQL"],
    "assigned": ["Assigned", "Sales Review", "pending acceptance", "Routed"],
    "accepted": ["SAL", "Accepted", "Sales Accepted Lead", "working"],
    "contacted": ["Contacted", "Attempting Contact", "In Conversation"],
    "recycled": ["Recycled", "Recycled to Marketing", "Nurture"],
    "disqualified": ["Disqualified", "DQ", "Junk", "Unqualified"],
    "sql": ["SQL", "Sales Qualified Lead"],
    "opportunity": ["Opportunity", "Opportunity Created", "Converted"],
}
EVENT_COLUMNS = [
    "event_id",
    "lead_id",
    "old_status",
    "new_status",
    "changed_at",
    "changed_by",
    "reason",
    "_loaded_at",
]
LEAD_COLUMNS = [
    "lead_id",
    "created_at",
    "updated_at",
    "lead_source",
    "channel",
    "segment",
    "region",
    "industry",
    "is_existing_customer",
    "email",
    "company",
    "owner_id",
    "_loaded_at",
]
ACTIVITY_COLUMNS = [
    "activity_id",
    "lead_id",
    "activity_type",
    "occurred_at",
    "performed_by",
    "_loaded_at",
]


@dataclass
class Export:
    events: list[dict[str, str]]
    leads: list[dict[str, str]]
    activities: list[dict[str, str]]


def _iso(rng: random.Random, moment: datetime) -> str:
    """Format a UTC instant in one of the ISO 8601 spellings CRMs export."""
    style = rng.random()
    if style < 0.55:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style < 0.8:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if style < 0.9:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    local = moment.astimezone(timezone(timedelta(hours=-5)))
    return local.strftime("%Y-%m-%dT%H:%M:%S-05:00")


def _review_delay(rng: random.Random, source: str) -> timedelta:
    hours = rng.expovariate(1 / (2.5 if source in HIGH_INTENT else 14))
    return timedelta(hours=hours)


def build_export(leads: int, seed: int, start: datetime | None = None) -> Export:
    """Generate `leads` leads with their status history and activities."""
    rng = random.Random(seed)
    start = start or datetime(2025, 1, 6, tzinfo=UTC)
    span_days = 120
    load_day = start + timedelta(days=span_days + 10)
    loaded = load_day.strftime("%Y-%m-%dT%H:%M:%SZ")
    events: list[dict[str, str]] = []
    lead_rows: list[dict[str, str]] = []
    activities: list[dict[str, str]] = []
    reps = [f"rep_{n:02d}" for n in range(1, 9)]
    next_event = 1
    next_activity = 1

    def add_event(
        lead_id: str, old: str | None, stage: str, at: datetime, by: str, reason: str = ""
    ) -> None:
        nonlocal next_event
        events.append(
            {
                "event_id": f"EV{next_event:06d}",
                "lead_id": lead_id,
                "old_status": rng.choice(LABELS[old]) if old else "",
                "new_status": rng.choice(LABELS[stage]),
                "changed_at": _iso(rng, at),
                "changed_by": by,
                "reason": reason,
                "_loaded_at": loaded,
            }
        )
        next_event += 1

    def add_activity(lead_id: str, kind: str, at: datetime, by: str) -> None:
        nonlocal next_activity
        activities.append(
            {
                "activity_id": f"AC{next_activity:06d}",
                "lead_id": lead_id,
                "activity_type": kind,
                "occurred_at": _iso(rng, at),
                "performed_by": by,
                "_loaded_at": loaded,
            }
        )
        next_activity += 1

    sources, weights = zip(*LEAD_SOURCES, strict=True)
    for n in range(1, leads + 1):
        lead_id = f"L{n:05d}"
        source = rng.choices(sources, weights)[0]
        created = start + timedelta(minutes=rng.randrange(span_days * 24 * 60))
        outbound = source == "Outbound Prospecting"
        existing = rng.random() < 0.12
        lead_rows.append(
            {
                "lead_id": lead_id,
                "created_at": _iso(rng, created),
                "updated_at": _iso(rng, created + timedelta(days=1)),
                "lead_source": rng.choice([source, source.lower(), f" {source} "]),
                "channel": rng.choice(
                    ["outbound", "Outbound"] if outbound else ["inbound", "Inbound"]
                ),
                "segment": rng.choice(["SMB", "Mid-Market", "Enterprise", "smb"]),
                "region": rng.choice(["NA", "EMEA", "APAC", "LATAM", "emea"]),
                "industry": rng.choice(["Software", "Retail", "Finance", "Healthcare"]),
                "is_existing_customer": rng.choice(
                    ["true", "yes", "1"] if existing else ["false", "no", "0"]
                ),
                "email": f"person{n}@example{n % 7}.com",
                "company": f"Company {n}",
                "owner_id": rng.choice(reps),
                "_loaded_at": loaded,
            }
        )
        at = created
        add_event(lead_id, None, "new", at, "system")
        previous = "new"
        if outbound and rng.random() < 0.6:
            cycles = ["direct"]
        else:
            cycles = ["mql"]
        cycle = 0
        while cycle < len(cycles):
            rep = rng.choice(reps)
            if cycles[cycle] != "direct":
                at += timedelta(hours=rng.uniform(0.5, 48))
                add_event(lead_id, previous, "mql" if cycle == 0 else "remql", at, "system")
                previous = "mql"
                if rng.random() < 0.85:
                    at += timedelta(minutes=rng.uniform(1, 90))
                    add_event(lead_id, previous, "assigned", at, "system")
                    previous = "assigned"
            at += _review_delay(rng, source)
            if at > load_day - timedelta(hours=2):
                break
            roll = rng.random()
            if roll < 0.04 and cycles[cycle] != "direct":
                break  # still pending
            if roll < 0.8 or cycles[cycle] == "direct":
                add_event(lead_id, previous, "accepted", at, rep)
                previous = "accepted"
                touch = at + timedelta(hours=rng.expovariate(1 / 10))
                if rng.random() < 0.7:
                    add_activity(
                        lead_id, rng.choice(["call", "email", "Email", "linkedin"]), touch, rep
                    )
                else:
                    add_event(lead_id, previous, "contacted", touch, rep)
                    previous = "contacted"
                add_activity(lead_id, "note", touch - timedelta(minutes=5), rep)
                if rng.random() < 0.4:
                    at = touch + timedelta(days=rng.uniform(1, 10))
                    add_event(lead_id, previous, "sql", at, rep)
                    previous = "sql"
                    if rng.random() < 0.5:
                        at += timedelta(days=rng.uniform(1, 10))
                        add_event(lead_id, previous, "opportunity", at, rep)
                        previous = "opportunity"
            elif roll < 0.92:
                add_event(lead_id, previous, "recycled", at, rep, rng.choice(RECYCLE_REASONS))
                previous = "recycled"
                if rng.random() < 0.5 and len(cycles) < 3:
                    at += timedelta(days=rng.uniform(14, 60))
                    cycles.append("mql")
            else:
                add_event(
                    lead_id, previous, "disqualified", at, rep, rng.choice(DISQUALIFY_REASONS)
                )
                previous = "disqualified"
            cycle += 1
    _add_dirt(rng, events, lead_rows, activities, loaded)
    return Export(events, lead_rows, activities)


def _add_dirt(
    rng: random.Random,
    events: list[dict[str, str]],
    leads: list[dict[str, str]],
    activities: list[dict[str, str]],
    loaded: str,
) -> None:
    """Sprinkle every kind of dirt the contract's cleaning table handles."""
    count = len(events)
    picks = rng.sample(range(count), k=min(count, 14 * max(1, count // 200)))
    later = loaded.replace("T00:", "T06:")
    for i, index in enumerate(picks):
        row = dict(events[index])
        kind = i % 14
        if kind == 0:
            events.append(row)  # duplicate_event_id
        elif kind == 1:
            row["changed_by"] = "rep_99"
            row["_loaded_at"] = later
            events.append(row)  # superseded_event (a correction)
        elif kind == 2:
            row["event_id"] = row["event_id"] + "B"
            events.append(row)  # duplicate_event_content
        elif kind == 3:
            row["event_id"] = row["event_id"] + "X"
            row["lead_id"] = "  "
            events.append(row)  # missing_lead_id
        elif kind == 4:
            row["event_id"] = row["event_id"] + "T"
            row["changed_at"] = rng.choice(
                ["31/12/2025 10:00", "not a date", "", "2025-02-30T10:00:00Z"]
            )
            events.append(row)  # invalid_timestamp
        elif kind == 5:
            row["event_id"] = row["event_id"] + "F"
            row["changed_at"] = "2031-01-01T00:00:00Z"
            events.append(row)  # future_timestamp
        elif kind == 6:
            row["event_id"] = row["event_id"] + "U"
            row["new_status"] = "Hot Lead"
            events.append(row)  # unknown_status
        elif kind == 7:
            events[index]["old_status"] = "Opportunity"  # sequence_gap
        elif kind == 8:
            row["event_id"] = row["event_id"] + "O"
            row["lead_id"] = f"ORPHAN{i:03d}"
            row["new_status"] = "MQL"
            events.append(row)  # orphan_lead
        elif kind == 9:
            row["event_id"] = row["event_id"] + "R"
            moment = datetime.fromisoformat(row["changed_at"]) + timedelta(seconds=30)
            row["changed_at"] = moment.isoformat()
            events.append(row)  # repeated_stage: the same stage 30 s later
        elif kind == 10:
            events[index]["new_status"] = "  " + events[index]["new_status"].upper() + " "
        elif kind == 11:
            row["event_id"] = row["event_id"] + "D"
            row["new_status"] = "Recycled"
            row["lead_id"] = f"HIST{i:03d}"
            row["reason"] = "Nurture track"
            events.append(row)  # decision_without_handoff, orphan, unmapped reason
        elif kind == 12:
            activities.append(dict(rng.choice(activities)))  # duplicate_activity_id
        else:
            stale = dict(rng.choice(leads))
            stale["updated_at"] = "2024-12-01T00:00:00Z"
            stale["segment"] = "Enterprise"
            leads.append(stale)  # superseded_lead_row
    events.append(
        {
            "event_id": "EVBEFORE",
            "lead_id": leads[0]["lead_id"],
            "old_status": "",
            "new_status": "New",
            "changed_at": "2024-06-01T00:00:00Z",
            "changed_by": "",
            "reason": "",
            "_loaded_at": loaded,
        }
    )  # before_lead_created
    rng.shuffle(events)


def write_export(export: Export, out: Path, fmt: str = "csv") -> None:
    """Write the three files into `out` as CSV or Parquet."""
    out.mkdir(parents=True, exist_ok=True)
    tables = [
        ("lead_status_history", EVENT_COLUMNS, export.events),
        ("leads", LEAD_COLUMNS, export.leads),
        ("activities", ACTIVITY_COLUMNS, export.activities),
    ]
    for name, columns, rows in tables:
        for stale in out.glob(f"{name}.*"):
            stale.unlink()
        if fmt == "csv":
            with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            data = {column: [row[column] or None for row in rows] for column in columns}
            pq.write_table(
                pa.table(data, schema=pa.schema([(c, pa.string()) for c in columns])),
                out / f"{name}.parquet",
            )
        else:
            raise ValueError(f"unknown format {fmt!r}: expected csv or parquet")
