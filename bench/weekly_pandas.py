"""What an analyst would write instead: the weekly SAL mart in pandas, with the
same cleaning rules, handoff cycles, TTA and first touch as bench/floor.sql.

usage: python bench/weekly_pandas.py RAW_DIR csv|parquet OUT.parquet

Ties between two copies of one event_id loaded at the same instant with
different content are broken by pandas' row hash, not by md5 as in the project;
the generated exports have no such ties.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"


def read(raw: Path, name: str, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        return pd.read_parquet(raw / f"{name}.parquet")
    return pd.read_csv(raw / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[])


def iso(series: pd.Series) -> pd.Series:
    text = series.fillna("").str.strip()
    ok = text.str.fullmatch(ISO)
    parsed = pd.to_datetime(text.where(ok), utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_convert(None)


def label(series: pd.Series) -> pd.Series:
    return series.fillna("").str.replace(r"\s+", " ", regex=True).str.strip().str.lower()


def blank_to_nan(series: pd.Series) -> pd.Series:
    text = series.fillna("").str.strip()
    return text.where(text != "")


def weekly(raw: Path, fmt: str) -> pd.DataFrame:
    status = pd.read_csv(SEEDS / "status_map.csv", dtype=str)
    status = status[status.crm.isna()]  # the rows for every source (the export's)
    status = dict(zip(status.raw_label, status.stage, strict=True))
    order = pd.read_csv(SEEDS / "funnel_stages.csv")
    order = dict(zip(order.stage, order.stage_order, strict=True))
    kinds = pd.read_csv(SEEDS / "activity_types.csv", dtype=str)
    outreach = set(kinds.activity_type[kinds.is_outreach == "true"])

    raw_events = read(raw, "lead_status_history", fmt)
    ev = pd.DataFrame(
        {
            "event_id": blank_to_nan(raw_events.event_id),
            "lead_id": blank_to_nan(raw_events.lead_id),
            "stage": label(raw_events.new_status).map(status),
            "changed_at": iso(raw_events.changed_at),
            "loaded_at": iso(raw_events._loaded_at),
            "content": pd.util.hash_pandas_object(
                raw_events.drop(columns="_loaded_at"), index=False
            ).to_numpy(),
        }
    )
    ev["stage_order"] = ev.stage.map(order)
    # a re-sent event_id: the latest load wins
    ev = ev.sort_values(["loaded_at", "content"], ascending=False, na_position="last")
    ev = ev[ev.event_id.isna() | ~ev.event_id.duplicated()]
    # same lead, stage and changed_at under other ids: the smallest id wins
    ev = ev.sort_values(["event_id", "content"], na_position="last")
    keyed = ev.lead_id.notna() & ev.stage.notna() & ev.changed_at.notna()
    ev = ev[~keyed | ~ev.duplicated(["lead_id", "stage", "changed_at"])]
    ev = ev[
        ev.lead_id.notna()
        & ev.changed_at.notna()
        & ev.loaded_at.notna()
        & (ev.changed_at <= ev.loaded_at + pd.Timedelta(minutes=5))
        & ev.stage.notna()
    ]
    ev = ev.sort_values(["lead_id", "changed_at", "stage_order", "event_id", "content"])
    ev = ev[ev.stage != ev.groupby("lead_id").stage.shift()]  # a double submit
    # is a handoff open before each event? the last state-setting event says
    state = pd.Series(np.nan, index=ev.index)
    state[ev.stage.isin(["mql", "assigned"])] = 1.0
    state[ev.stage.isin(["accepted", "recycled", "disqualified"])] = 0.0
    ev["was_open"] = state.groupby(ev.lead_id).shift().groupby(ev.lead_id).ffill().eq(1.0)
    ev["starts"] = (ev.stage == "mql") | (ev.stage.isin(["assigned", "accepted"]) & ~ev.was_open)
    ev["decides"] = (ev.stage == "accepted") | (
        ev.stage.isin(["recycled", "disqualified"]) & ev.was_open
    )
    ev["handoff"] = ev.starts.astype(int).groupby(ev.lead_id).cumsum()
    orphan_decision = ev.stage.isin(["recycled", "disqualified"]) & ~ev.was_open
    cycled = ev[(ev.handoff > 0) & ~orphan_decision]

    keys = ["lead_id", "handoff"]
    starts = cycled[cycled.starts].set_index(keys)
    handoffs = pd.DataFrame({"started_at": starts.changed_at, "via_mql": starts.stage == "mql"})
    assigned = cycled[cycled.stage == "assigned"].groupby(keys).changed_at.min()
    handoffs["review_at"] = assigned.reindex(handoffs.index).fillna(handoffs.started_at)
    decided = cycled[cycled.decides].set_index(keys)
    handoffs["decision"] = decided.stage.reindex(handoffs.index).fillna("pending")
    handoffs["decided_at"] = decided.changed_at.reindex(handoffs.index)
    handoffs = handoffs.reset_index().sort_values(keys)
    handoffs["next_started_at"] = handoffs.groupby("lead_id").started_at.shift(-1)

    raw_activities = read(raw, "activities", fmt)
    act = pd.DataFrame(
        {
            "activity_id": blank_to_nan(raw_activities.activity_id),
            "lead_id": blank_to_nan(raw_activities.lead_id),
            "kind": label(raw_activities.activity_type),
            "touched_at": iso(raw_activities.occurred_at),
            "loaded_at": iso(raw_activities._loaded_at),
            "content": pd.util.hash_pandas_object(
                raw_activities.drop(columns="_loaded_at"), index=False
            ).to_numpy(),
        }
    )
    act = act.sort_values(["loaded_at", "content"], ascending=False, na_position="last")
    act = act[act.activity_id.isna() | ~act.activity_id.duplicated()]
    act = act[
        act.lead_id.notna()
        & act.touched_at.notna()
        & act.loaded_at.notna()
        & (act.touched_at <= act.loaded_at + pd.Timedelta(minutes=5))
        & act.kind.isin(outreach)
    ]
    touches = pd.concat(
        [
            act[["lead_id", "touched_at"]],
            ev.loc[ev.stage == "contacted", ["lead_id", "changed_at"]].rename(
                columns={"changed_at": "touched_at"}
            ),
        ]
    )
    accepted = handoffs[handoffs.decision == "accepted"]
    pairs = accepted.merge(touches, on="lead_id")
    pairs = pairs[
        (pairs.touched_at >= pairs.decided_at)
        & (pairs.next_started_at.isna() | (pairs.touched_at < pairs.next_started_at))
    ]
    first_touch = pairs.groupby(keys).touched_at.min().rename("first_touch_at")
    handoffs = handoffs.merge(first_touch, on=keys, how="left")

    mql = handoffs[handoffs.via_mql].copy()
    mql["mql_week"] = mql.started_at.dt.to_period("W-SUN").dt.start_time.dt.date
    mql["tta_hours"] = (mql.decided_at - mql.review_at).dt.total_seconds() / 3600
    mql["ttft_hours"] = (mql.first_touch_at - mql.decided_at).dt.total_seconds() / 3600
    decided_mql = mql[mql.decision != "pending"]
    grouped = mql.groupby("mql_week")
    out = pd.DataFrame(
        {
            "mql_handoffs": grouped.size(),
            "accepted": grouped.decision.apply(lambda d: (d == "accepted").sum()),
            "recycled": grouped.decision.apply(lambda d: (d == "recycled").sum()),
            "disqualified": grouped.decision.apply(lambda d: (d == "disqualified").sum()),
            "pending": grouped.decision.apply(lambda d: (d == "pending").sum()),
            "median_tta_hours": decided_mql.groupby("mql_week").tta_hours.quantile(0.5),
            "p90_tta_hours": decided_mql.groupby("mql_week").tta_hours.quantile(0.9),
            "median_ttft_hours": grouped.ttft_hours.quantile(0.5),
        }
    )
    return out.reset_index().sort_values("mql_week")


if __name__ == "__main__":
    weekly(Path(sys.argv[1]), sys.argv[2]).to_parquet(sys.argv[3], index=False)
