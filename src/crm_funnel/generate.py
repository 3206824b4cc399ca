"""Write a realistic, messy raw CRM export (the three contract files), fast.

Vectorized: numpy draws every lead's lifecycle as arrays (one pass per handoff
cycle, never a loop over rows), DuckDB turns the numbers into the export's text
and writes CSV or Parquet. One million leads take well under a minute on two
cores. Deterministic for a given seed.

Realism (published SAL benchmarks, docs/contract.md "The job"): about 79% of MQL
handoffs accepted, 12% recycled, 7% disqualified, 2% pending; rejection reasons
in roughly the reference's proportions; recycled leads re-MQL weeks or months
later and are decided again; high-intent sources are decided faster; nights and
weekends slow reps down; some reps are slower than others. Rows land in raw the
night after they happen (`_loaded_at`), so an export holds one load per day.

The dirt the contract cleans comes at configurable rates (`DirtRates`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

US = 1_000_000  # microseconds per second
HOUR = 3600 * US
DAY = 24 * HOUR
EPOCH_START = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)

SOURCES = [  # (label, share, high intent)
    ("Demo Request", 0.15, True),
    ("Pricing Inquiry", 0.08, True),
    ("Contact Sales", 0.07, True),
    ("Webinar", 0.15, False),
    ("Content Download", 0.20, False),
    ("Trial Signup", 0.15, False),
    ("Referral", 0.10, False),
    ("Outbound Prospecting", 0.10, False),
]
OUTBOUND = 7  # index of Outbound Prospecting
SEGMENTS = ["SMB", "Mid-Market", "Enterprise", "smb"]
REGIONS = ["NA", "EMEA", "APAC", "LATAM", "emea"]
INDUSTRIES = ["Software", "Retail", "Finance", "Healthcare", "Manufacturing"]
# canonical stage -> raw spellings (status_map knows them all)
STAGES = ["new", "mql", "assigned", "accepted", "contacted", "recycled", "disqualified", "sql"]
STAGES += ["opportunity", "remql"]
LABELS = {
    "new": ["New", "open", " Inquiry"],
    "mql": ["MQL", "Marketing Qualified Lead", "marketing  qualified"],
    "assigned": ["Assigned", "Sales Review", "pending acceptance", "Routed"],
    "accepted": ["SAL", "Accepted", "Sales Accepted Lead", "working"],
    "contacted": ["Contacted", "Attempting Contact", "In Conversation"],
    "recycled": ["Recycled", "Recycled to Marketing", "Nurture"],
    "disqualified": ["Disqualified", "DQ", "Junk", "Unqualified"],
    "sql": ["SQL", "Sales Qualified Lead"],
    "opportunity": ["Opportunity", "Opportunity Created", "Converted"],
    "remql": ["Re-MQL", "MQL"],
}
STAGE_ORDER = {s: i for i, s in enumerate(STAGES[:9])} | {"remql": 1}
# reasons with weights; a few are not in rejection_reason_map on purpose
RECYCLE_REASONS = [
    ("Timing not right", 0.30),
    ("Bad timing", 0.12),
    ("Attempted contact - no response", 0.18),
    ("Unresponsive", 0.07),
    ("No budget", 0.12),
    ("Not decision maker", 0.08),
    ("No current need", 0.07),
    ("Nurture track", 0.03),
    ("", 0.03),
]
DISQUALIFY_REASONS = [
    ("Poor ICP fit", 0.25),
    ("Wrong company size", 0.10),
    ("Competitor/Partner", 0.14),
    ("Spam", 0.14),
    ("Fake submission", 0.06),
    ("Student", 0.05),
    ("Job seeker", 0.04),
    ("Existing account", 0.08),
    ("Insufficient contact data", 0.07),
    ("Wrong territory", 0.04),
    ("Budget freeze 2025", 0.03),
]
BAD_TIMESTAMPS = ["31/12/2025 10:00", "not a date", "", "2025-02-30T10:00:00Z", "2025-01-08"]
FILES = ["lead_status_history", "leads", "activities"]


@dataclass(frozen=True)
class DirtRates:
    """Share of rows that get each kind of dirt (of events unless named)."""

    duplicate: float = 0.01  # exact re-send of an event row: duplicate_event_id
    late: float = 0.005  # lands in raw 1-10 nights late (out of order in the file)
    correction: float = 0.002  # event_id re-sent with other content: superseded_event
    duplicate_content: float = 0.001  # same lead/stage/time, other id
    repeated_stage: float = 0.001  # a double submit 30 s later
    sequence_gap: float = 0.002  # old_status that is not the previous status
    bad_timestamp: float = 0.0005  # unparseable changed_at
    future_timestamp: float = 0.0002  # changed_at after _loaded_at
    unknown_label: float = 0.0005  # a status not in status_map
    missing_lead_id: float = 0.0003  # blank lead_id
    orphan: float = 0.001  # events of a lead missing from leads
    lead_update: float = 0.05  # of leads: an older row of the lead is also sent
    duplicate_activity: float = 0.005  # of activities: the same activity_id twice

    @classmethod
    def parse(cls, items: list[str]) -> DirtRates:
        """`name=rate` pairs from the command line; `clean` sets every rate to 0."""
        values = {f.name: f.default for f in fields(cls)}
        for item in items:
            if item == "clean":
                values = dict.fromkeys(values, 0.0)
                continue
            name, _, rate = item.partition("=")
            if name not in values:
                raise SystemExit(f"unknown dirt {name!r}; known: {', '.join(values)}")
            try:
                values[name] = float(rate)
            except ValueError:
                raise SystemExit(f"dirt {name}: {rate!r} is not a number") from None
            if not 0 <= values[name] <= 1:
                raise SystemExit(f"dirt {name}: {rate} is not a share in [0, 1]")
        return cls(**values)


@dataclass
class Summary:
    leads: int
    events: int
    lead_rows: int
    activities: int
    first_load: str
    last_load: str


def default_days(leads: int) -> int:
    """History length: about 25 new leads a day, between 8 weeks and 2 years."""
    return int(min(730, max(56, leads // 25)))


def _choice(rng: np.random.Generator, weighted: list[tuple], size: int) -> np.ndarray:
    shares = np.array([w[1] for w in weighted], dtype=float)
    return rng.choice(len(weighted), size=size, p=shares / shares.sum())


def _next_load(t: np.ndarray) -> np.ndarray:
    """Rows land in raw at the nightly load (02:00 UTC) after they happen."""
    return (t // DAY + 1) * DAY + 2 * HOUR


class _Events:
    """Columns of events, appended one stage at a time."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, lead, t, stage, by=None, reason=None) -> None:
        size = len(lead)
        self.parts.append(
            {
                "lead": lead,
                "t": t,
                "stage": np.full(size, STAGES.index(stage), dtype=np.int8),
                "by": np.full(size, -1, dtype=np.int32) if by is None else by,
                "reason": np.full(size, -1, dtype=np.int16) if reason is None else reason,
            }
        )

    def frame(self) -> dict[str, np.ndarray]:
        return {key: np.concatenate([p[key] for p in self.parts]) for key in self.parts[0]}


def simulate(leads: int, seed: int, days: int | None = None) -> dict[str, dict]:
    """Every lead's lifecycle as numpy columns (times in microseconds since 1970)."""
    rng = np.random.default_rng(seed)
    days = days or default_days(leads)
    end = EPOCH_START + days * DAY
    n = leads
    source = _choice(rng, SOURCES, n)
    high = np.isin(source, [i for i, s in enumerate(SOURCES) if s[2]])
    created = EPOCH_START + rng.integers(0, days * DAY - 3 * DAY, n)
    reps = max(8, n // 2500)
    speed = rng.lognormal(0.0, 0.5, reps)  # some reps are slower than others
    owner = rng.integers(0, reps, n).astype(np.int32)
    lead_ids = np.arange(n, dtype=np.int64)

    events = _Events()
    activities = _Events()
    events.add(lead_ids, created, "new")
    active = np.ones(n, dtype=bool)
    previous_decision = created.copy()
    for cycle in range(3):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        count = idx.size
        direct = (source[idx] == OUTBOUND) & (rng.random(count) < 0.6) & (cycle == 0)
        if cycle == 0:
            mql_at = created[idx] + (rng.uniform(0.5, 48, count) * HOUR).astype(np.int64)
        else:  # a re-MQL weeks or months after the rejection
            mql_at = previous_decision[idx] + (rng.uniform(14, 120, count) * DAY).astype(np.int64)
        in_time = mql_at < end
        idx, direct, mql_at = idx[in_time], direct[in_time], mql_at[in_time]
        count = idx.size
        via_mql = ~direct
        events.add(idx[via_mql], mql_at[via_mql], "mql" if cycle == 0 else "remql")
        assigned = via_mql & (rng.random(count) < 0.85)
        assigned_at = mql_at + (rng.uniform(1, 90, count) * 60 * US).astype(np.int64)
        events.add(idx[assigned], assigned_at[assigned], "assigned")
        review_start = np.where(assigned, assigned_at, mql_at)
        # reps decide high-intent leads faster; nights and weekends are slow
        mean_hours = np.where(high[idx], 2.5, 14.0) * speed[owner[idx]]
        delay = rng.exponential(1.0, count) * mean_hours
        hour = (review_start // HOUR) % 24
        weekday = (review_start // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        delay *= np.where((hour < 8) | (hour >= 18), 2.5, 1.0)
        delay *= np.where(weekday >= 5, 3.0, 1.0)
        decided = review_start + (delay * HOUR).astype(np.int64)
        roll = rng.random(count)
        accepted = direct | (roll < 0.79)
        recycled = ~accepted & (roll < 0.91)
        disqualified = ~accepted & ~recycled & (roll < 0.98)
        decided_in_time = decided < end
        accepted &= decided_in_time
        recycled &= decided_in_time
        disqualified &= decided_in_time
        by = owner[idx]
        events.add(idx[accepted], decided[accepted], "accepted", by[accepted])
        reasons = _choice(rng, RECYCLE_REASONS, count).astype(np.int16)
        events.add(idx[recycled], decided[recycled], "recycled", by[recycled], reasons[recycled])
        reasons = (_choice(rng, DISQUALIFY_REASONS, count) + 100).astype(np.int16)
        events.add(
            idx[disqualified],
            decided[disqualified],
            "disqualified",
            by[disqualified],
            reasons[disqualified],
        )
        # accepted: a first touch, sometimes SQL and an opportunity
        touch = decided + (rng.exponential(10.0, count) * speed[by] * HOUR).astype(np.int64)
        as_activity = accepted & (rng.random(count) < 0.7)
        as_event = accepted & ~as_activity
        kinds = rng.integers(0, 4, count).astype(np.int16)  # call, email, Email, linkedin
        activities.add(idx[as_activity], touch[as_activity], "contacted", by[as_activity])
        activities.parts[-1]["reason"] = kinds[as_activity]
        events.add(idx[as_event], touch[as_event], "contacted", by[as_event])
        note = accepted
        activities.add(idx[note], touch[note] - 5 * 60 * US, "new", by[note])
        activities.parts[-1]["reason"] = np.full(int(note.sum()), 4, dtype=np.int16)  # note
        sql = accepted & (rng.random(count) < 0.45)
        sql_at = touch + (rng.uniform(1, 10, count) * DAY).astype(np.int64)
        events.add(idx[sql], sql_at[sql], "sql", by[sql])
        opportunity = sql & (rng.random(count) < 0.5)
        opportunity_at = sql_at + (rng.uniform(1, 10, count) * DAY).astype(np.int64)
        events.add(idx[opportunity], opportunity_at[opportunity], "opportunity", by[opportunity])
        # recycled leads come back half the time, disqualified ones rarely
        again = (recycled & (rng.random(count) < 0.5)) | (disqualified & (rng.random(count) < 0.1))
        active = np.zeros(n, dtype=bool)
        active[idx[again]] = True
        previous_decision[idx] = decided

    event_cols = events.frame()
    keep = event_cols["t"] < end  # nothing after the export was taken
    event_cols = {k: v[keep] for k, v in event_cols.items()}
    order = np.lexsort(
        (
            np.array([STAGE_ORDER[s] for s in STAGES])[event_cols["stage"]],
            event_cols["t"],
            event_cols["lead"],
        )
    )
    event_cols = {k: v[order] for k, v in event_cols.items()}
    activity_cols = activities.frame()
    keep = activity_cols["t"] < end
    activity_cols = {k: v[keep] for k, v in activity_cols.items()}
    lead_cols = {
        "lead": lead_ids,
        "created": created,
        "source": source.astype(np.int16),
        "owner": owner,
        "segment": rng.integers(0, len(SEGMENTS), n).astype(np.int8),
        "region": rng.integers(0, len(REGIONS), n).astype(np.int8),
        "industry": rng.integers(0, len(INDUSTRIES), n).astype(np.int8),
        "existing": rng.random(n) < 0.12,
        "spelling": rng.integers(0, 3, n).astype(np.int8),
    }
    return {"events": event_cols, "activities": activity_cols, "leads": lead_cols, "end": end}


def _add_event_dirt(rng, cols: dict[str, np.ndarray], rates: DirtRates) -> dict[str, np.ndarray]:
    """Copies and edits of event rows; `dirt` names what each row is (0 = clean)."""
    size = len(cols["t"])
    cols["number"] = np.arange(size, dtype=np.int64)
    cols["loaded"] = _next_load(cols["t"])
    late = rng.random(size) < rates.late
    cols["loaded"][late] += rng.integers(1, 11, int(late.sum())) * DAY
    cols["dirt"] = np.zeros(size, dtype=np.int8)
    cols["gap"] = rng.random(size) < rates.sequence_gap
    cols["label"] = rng.integers(0, 3, size).astype(np.int8)
    cols["style"] = rng.choice(4, size, p=[0.55, 0.25, 0.1, 0.1]).astype(np.int8)
    copies = [cols]
    kinds = [
        ("duplicate", 1),
        ("correction", 2),
        ("duplicate_content", 3),
        ("repeated_stage", 4),
        ("bad_timestamp", 5),
        ("future_timestamp", 6),
        ("unknown_label", 7),
        ("missing_lead_id", 8),
        ("orphan", 9),
    ]
    for name, code in kinds:
        picked = np.flatnonzero(rng.random(size) < getattr(rates, name))
        if picked.size == 0:
            continue
        copy = {k: v[picked].copy() for k, v in cols.items()}
        copy["dirt"][:] = code
        copy["gap"][:] = False
        if name in ("duplicate", "correction"):  # re-sent with a later load
            copy["loaded"] += rng.integers(0, 3, picked.size) * DAY
            if name == "correction":
                copy["loaded"] += DAY
        elif name == "repeated_stage":
            copy["t"] += 30 * US
        elif name == "future_timestamp":
            copy["t"] = copy["loaded"] + rng.integers(1, 30, picked.size) * DAY
        copies.append(copy)
    return {k: np.concatenate([c[k] for c in copies]) for k in cols}


def _tables(sim: dict, seed: int, rates: DirtRates) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed + 1)
    events = _add_event_dirt(rng, sim["events"], rates)
    leads = sim["leads"]
    n = len(leads["lead"])
    first_event = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_event, sim["events"]["lead"], sim["events"]["t"])
    leads["updated"] = np.maximum(leads["created"], np.minimum(first_event, sim["end"] - DAY))
    leads["loaded"] = _next_load(leads["updated"])
    leads["dirt"] = np.zeros(n, dtype=np.int8)
    leads["style"] = rng.choice(4, n, p=[0.55, 0.25, 0.1, 0.1]).astype(np.int8)
    bad_created = rng.random(n) < rates.bad_timestamp
    leads["dirt"][bad_created] = 5
    before = rng.random(n) < rates.bad_timestamp  # created after its first event
    leads["created"][before] += 3 * DAY
    stale = np.flatnonzero(rng.random(n) < rates.lead_update)
    old = {k: v[stale].copy() for k, v in leads.items()}
    old["updated"] -= DAY
    old["loaded"] -= DAY
    old["segment"] = (old["segment"] + 1) % len(SEGMENTS)
    leads = {k: np.concatenate([leads[k], old[k]]) for k in leads}
    activities = sim["activities"]
    size = len(activities["t"])
    activities["number"] = np.arange(size, dtype=np.int64)
    activities["loaded"] = _next_load(activities["t"])
    activities["style"] = rng.choice(4, size, p=[0.55, 0.25, 0.1, 0.1]).astype(np.int8)
    twice = np.flatnonzero(rng.random(size) < rates.duplicate_activity)
    again = {k: v[twice].copy() for k, v in activities.items()}
    again["loaded"] += rng.integers(0, 3, twice.size) * DAY
    activities = {k: np.concatenate([activities[k], again[k]]) for k in activities}
    return {"lead_status_history": events, "leads": leads, "activities": activities}


def _stamp(column: str, style: str) -> str:
    """SQL: a microsecond epoch as one of the ISO 8601 spellings CRMs export."""
    ts = f"make_timestamp({column})"
    return f"""case {style}
        when 0 then strftime({ts}, '%Y-%m-%dT%H:%M:%SZ')
        when 1 then strftime({ts}, '%Y-%m-%d %H:%M:%S')
        when 2 then strftime({ts}, '%Y-%m-%dT%H:%M:%S.%gZ')
        else strftime(make_timestamp({column} - 18000000000), '%Y-%m-%dT%H:%M:%S-05:00')
    end"""


def _lookup(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _event_sql() -> str:
    labels = [label for stage in STAGES for label in LABELS[stage]]
    offsets = np.cumsum([0] + [len(LABELS[s]) for s in STAGES])[:-1].tolist()
    counts = [len(LABELS[s]) for s in STAGES]
    reasons = [r for r, _ in RECYCLE_REASONS]
    disqualify = [r for r, _ in DISQUALIFY_REASONS]
    label = f"{_lookup(labels)}[{offsets}[stage + 1] + label % {counts}[stage + 1] + 1]"
    return f"""
    with labelled as (
        select *, {label} as status,
            lag({label}) over (partition by lead order by t, number) as previous_status
        from events where dirt = 0
    ),
    copies as (
        select *, {label} as status, null as previous_status from events where dirt != 0
    ),
    dirty as (
        select * from labelled
        union all
        select copies.* replace (originals.previous_status as previous_status)
        from copies join labelled as originals using (number)
    )
    select
        'E' || lpad(number::varchar, 9, '0') || case dirt
            when 3 then 'B' when 4 then 'R' when 5 then 'T' when 6 then 'F'
            when 7 then 'U' when 8 then 'X' when 9 then 'O' else '' end as event_id,
        case dirt when 8 then '  ' when 9 then 'ORPHAN' || lpad(number::varchar, 9, '0')
            else 'L' || lpad(lead::varchar, 8, '0') end as lead_id,
        case when gap then 'Opportunity' else coalesce(previous_status, '') end as old_status,
        case dirt when 7 then 'Hot Lead' else status end as new_status,
        case dirt when 5 then {_lookup(BAD_TIMESTAMPS)}[number % {len(BAD_TIMESTAMPS)} + 1]
            else {_stamp("t", "style")} end as changed_at,
        case when dirt = 2 then 'rep_corrected' when "by" < 0 then 'system'
            else 'rep_' || lpad("by"::varchar, 4, '0') end as changed_by,
        case when reason < 0 then ''
            when reason < 100 then {_lookup(reasons)}[reason + 1]
            else {_lookup(disqualify)}[reason - 99] end as reason,
        strftime(make_timestamp(loaded), '%Y-%m-%dT%H:%M:%SZ') as _loaded_at
    from dirty
    order by loaded, number, dirt
    """


def _lead_sql() -> str:
    sources = [s for s, _, _ in SOURCES]
    return f"""
    select
        'L' || lpad(lead::varchar, 8, '0') as lead_id,
        case dirt when 5 then 'not a date' else {_stamp("created", "style")} end as created_at,
        {_stamp("updated", "style")} as updated_at,
        case spelling
            when 0 then {_lookup(sources)}[source + 1]
            when 1 then lower({_lookup(sources)}[source + 1])
            else ' ' || {_lookup(sources)}[source + 1] || ' ' end as lead_source,
        case when source = {OUTBOUND} then 'Outbound' else 'inbound' end as channel,
        {_lookup(SEGMENTS)}[segment + 1] as segment,
        {_lookup(REGIONS)}[region + 1] as region,
        {_lookup(INDUSTRIES)}[industry + 1] as industry,
        case when existing then 'yes' else 'no' end as is_existing_customer,
        'person' || lead::varchar || '@example' || (lead % 7)::varchar || '.com' as email,
        'Company ' || lead::varchar as company,
        'rep_' || lpad(owner::varchar, 4, '0') as owner_id,
        strftime(make_timestamp(loaded), '%Y-%m-%dT%H:%M:%SZ') as _loaded_at
    from leads
    order by loaded, lead
    """


def _activity_sql() -> str:
    kinds = ["call", "email", "Email", "linkedin", "note"]
    return f"""
    select
        'A' || lpad(number::varchar, 9, '0') as activity_id,
        'L' || lpad(lead::varchar, 8, '0') as lead_id,
        {_lookup(kinds)}[reason + 1] as activity_type,
        {_stamp("t", "style")} as occurred_at,
        'rep_' || lpad("by"::varchar, 4, '0') as performed_by,
        strftime(make_timestamp(loaded), '%Y-%m-%dT%H:%M:%SZ') as _loaded_at
    from activities
    order by loaded, number
    """


def generate(
    leads: int,
    out: Path,
    fmt: str = "csv",
    seed: int = 7,
    rates: DirtRates | None = None,
    days: int | None = None,
) -> Summary:
    """Write `leads` leads, their status history and activities into `out`."""
    import duckdb
    import pyarrow as pa

    if fmt not in ("csv", "parquet"):
        raise SystemExit(f"unknown format {fmt!r}: expected csv or parquet")
    if leads < 1:
        raise SystemExit("--leads must be at least 1")
    tables = _tables(simulate(leads, seed, days), seed, rates or DirtRates())
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        for stale in out.glob(f"{name}.*"):
            stale.unlink()
    options = "(header, delimiter ',')" if fmt == "csv" else "(format parquet)"
    counts = {}
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        events = pa.table(tables["lead_status_history"])  # noqa: F841 (read by DuckDB)
        leads_table = pa.table(tables["leads"])
        activities = pa.table(tables["activities"])  # noqa: F841
        connection.register("leads", leads_table)
        for name, sql in [
            ("lead_status_history", _event_sql()),
            ("leads", _lead_sql()),
            ("activities", _activity_sql()),
        ]:
            path = out / f"{name}.{fmt}"
            connection.execute(f"copy ({sql}) to '{path}' {options}")
            counts[name] = connection.execute(
                f"select count(*), min(_loaded_at), max(_loaded_at) from '{path}'"
            ).fetchone()
    return Summary(
        leads=leads,
        events=counts["lead_status_history"][0],
        lead_rows=counts["leads"][0],
        activities=counts["activities"][0],
        first_load=counts["lead_status_history"][1],
        last_load=counts["lead_status_history"][2],
    )
