"""Helpers for the semantic-layer tests: run MetricFlow's own `mf query` on a
built warehouse and compare its rows with a report mart's."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

from conftest import PROJECT_DIR, parsed_manifest

# the rpt_sal_rates_weekly columns and the metric that defines each
WEEKLY_METRICS = {
    "mql_handoffs": "mql_handoffs",
    "accepted": "accepted_mql_handoffs",
    "recycled": "recycled_mql_handoffs",
    "disqualified": "disqualified_mql_handoffs",
    "pending": "pending_mql_handoffs",
    "sal_rate": "sal_rate",
    "recycle_rate": "recycle_rate",
    "disqualify_rate": "disqualify_rate",
    "median_tta_hours": "median_tta_hours",
    "p90_tta_hours": "p90_tta_hours",
    "median_ttft_hours": "median_ttft_hours",
    "accept_sla_compliance": "accept_sla_compliance",
    "pending_past_sla": "pending_past_sla",
}
BY_WEEK = {"mql_week": "metric_time__week"}
BY_MONTH_AND_SOURCE = {
    "mql_month": "metric_time__month",
    "lead_source": "handoff__lead_source",
    "segment": "handoff__segment",
    "channel": "handoff__channel",
    "motion": "handoff__motion",
}


def mf_project(folder: Path, warehouse: Path) -> dict[str, str]:
    """A dbt project folder for `mf`: the project's own files (linked) and a
    semantic manifest parsed for this warehouse file (DuckDB names its catalog
    after the file); `mf` reads <project>/target/semantic_manifest.json."""
    project = folder / "mf_project"
    if not project.exists():
        project.mkdir()
        for entry in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests"):
            (project / entry).symlink_to(PROJECT_DIR / entry)
    env = dict(
        os.environ,
        CRM_WAREHOUSE=str(warehouse),
        DBT_PROJECT_DIR=str(project),
        DBT_PROFILES_DIR=str(PROJECT_DIR),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    target = project / "target"
    if not (target / "semantic_manifest.json").exists():
        # the session's parse for this file name has the manifest already
        parsed = parsed_manifest(warehouse.stem).with_name("semantic_manifest.json")
        target.mkdir(exist_ok=True)
        shutil.copyfile(parsed, target / "semantic_manifest.json")
    return env


def mf_query(warehouse: Path, metrics: list[str], group_by: list[str]) -> list[dict]:
    """`mf query ... --csv`: MetricFlow's own command, its rows as dicts."""
    env = mf_project(warehouse.parent, warehouse)
    out = warehouse.parent / f"mf_{len(os.listdir(warehouse.parent))}.csv"
    mf = Path(sys.executable).parent / "mf"
    command = [str(mf), "query", "--metrics", ",".join(metrics)]
    command += ["--group-by", ",".join(group_by), "--csv", str(out)]
    done = subprocess.run(
        command, env=env, cwd=env["DBT_PROJECT_DIR"], capture_output=True, text=True
    )
    assert done.returncode == 0 and out.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def same(mart_value, mf_text: str) -> bool:
    """A mart value equals mf's CSV text (floats to 1e-9; nulls are empty)."""
    if mart_value is None:
        return mf_text in ("", "None", "nan")
    if isinstance(mart_value, date | datetime):
        return mf_text[:10] == mart_value.isoformat()[:10]
    if isinstance(mart_value, str):
        return mf_text == mart_value
    return math.isclose(float(mart_value), float(mf_text), rel_tol=1e-9, abs_tol=1e-9)


def assert_mf_equals_mart(build, mart: str, keys: dict[str, str]) -> int:
    """Every row of `mart` equals mf's row for the same keys (mart column ->
    mf group-by), in every metric column; returns the number of rows."""
    group_by = list(keys.values())
    columns = list(keys) + list(WEEKLY_METRICS)
    mart_rows = build.rows(f"select {', '.join(columns)} from main.{mart}")
    mf_rows = mf_query(build.warehouse, list(WEEKLY_METRICS.values()), group_by)
    assert len(mf_rows) == len(mart_rows) > 0, (mf_rows, mart_rows)

    def mf_key(row: dict) -> tuple:
        # mf prints a time as '2024-01-08 00:00:00'; the mart has the date
        return tuple(
            row[name][:10] if name.startswith("metric_time") else row[name]
            for name in keys.values()
        )

    by_key = {mf_key(row): row for row in mf_rows}
    assert len(by_key) == len(mf_rows), "mf rows with the same keys"
    for values in mart_rows:
        row = dict(zip(columns, values, strict=True))
        key = tuple(
            ""
            if row[column] is None  # mf's CSV writes a null key as an empty field
            else row[column].isoformat()
            if isinstance(row[column], date)
            else str(row[column])
            for column in keys
        )
        assert key in by_key, (key, list(by_key))
        for column, metric in WEEKLY_METRICS.items():
            assert same(row[column], by_key[key][metric]), (mart, key, column, row, by_key[key])
    return len(mart_rows)
