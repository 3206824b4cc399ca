"""`crm-funnel build` is atomic: dbt builds into a copy, Great Expectations
gates it, and the warehouse is swapped only when both pass. A failure at any
step leaves the previous warehouse's marts exactly as they were."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import ACTIVITIES, EVENTS, LEADS, cli_build, write_export

# the next night's load: one more lead, accepted (3 handoffs once it lands)
NEXT_LOAD = "2024-01-16T00:00:00Z"
MORE_EVENTS = (
    EVENTS
    + f"""
e5,L3,,MQL,2024-01-10T09:00:00Z,system,,{NEXT_LOAD}
e6,L3,mql,Accepted,2024-01-10T10:00:00Z,u1,,{NEXT_LOAD}
"""
)


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            table: connection.execute(f"select * from main.{table} order by all").fetchall()
            for table in ["fct_lead_handoffs", "rpt_sal_rates_weekly", "dq_load_summary"]
        }


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """A warehouse built by `crm-funnel build` from a clean two-lead export."""
    work = tmp_path_factory.mktemp("built")
    raw = write_export(work / "raw", EVENTS, LEADS, ACTIVITIES)
    warehouse = work / "wh" / "crm.duckdb"
    done = cli_build(raw, warehouse, report=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work


@pytest.fixture
def built(built_once, tmp_path):
    """A copy of that warehouse and its raw folder for one test, and its marts."""
    shutil.copytree(built_once, tmp_path, dirs_exist_ok=True)
    raw, warehouse = tmp_path / "raw", tmp_path / "wh" / "crm.duckdb"
    before = marts(warehouse)
    assert len(before["fct_lead_handoffs"]) == 2
    return raw, warehouse, before


def assert_unchanged(warehouse: Path, before: dict, done: subprocess.CompletedProcess) -> None:
    assert done.returncode != 0
    assert f"{warehouse} was not changed" in done.stderr
    assert marts(warehouse) == before
    # the report of the previous build stays as it was (2 MQL handoffs)
    report = warehouse.with_name("crm_report.html").read_text()
    assert 'data-metric="mql_handoffs" data-value="2"' in report
    leftovers = sorted(p.name for p in warehouse.parent.iterdir() if "building" in p.name)
    assert leftovers == []


def test_model_failure_keeps_the_previous_marts(built, tmp_path):
    raw, warehouse, before = built
    write_export(raw, MORE_EVENTS, LEADS, ACTIVITIES)
    # a non-UTF-8 byte is only found while a model reads the file
    with (raw / "activities.csv").open("ab") as handle:
        handle.write(b"a2,L1,note,2024-01-08T12:00:00Z,\xe9\xff,2024-01-15T00:00:00Z\n")
    assert_unchanged(warehouse, before, cli_build(raw, warehouse))


def test_raw_check_failure_keeps_the_previous_marts(built):
    raw, warehouse, before = built
    write_export(raw, MORE_EVENTS, LEADS, ACTIVITIES)
    path = raw / "leads.csv"
    path.write_text(path.read_text().replace("lead_source", "leadsource", 1))
    done = cli_build(raw, warehouse)
    assert "missing required column lead_source" in done.stdout
    assert_unchanged(warehouse, before, done)


def test_failing_expectation_blocks_the_swap_and_writes_a_report(built):
    raw, warehouse, before = built
    # a duplicated row is dropped: over a max dropped share of 0 the gate fails
    write_export(raw, MORE_EVENTS + MORE_EVENTS.strip().splitlines()[-1], LEADS, ACTIVITIES)
    done = cli_build(raw, warehouse, CRM_MAX_DROPPED_SHARE="0")
    assert "FAIL marts.distribution: share of rows dropped per source" in done.stdout
    assert "the Great Expectations gate failed" in done.stderr
    assert_unchanged(warehouse, before, done)
    report = warehouse.with_name("crm_validation") / "index.html"
    assert report.exists()
    pages = [p.read_text(encoding="utf-8") for p in report.parent.rglob("*.html")]
    assert any("dropped_share" in page for page in pages)


def test_passing_build_swaps_the_new_marts_in(built):
    raw, warehouse, before = built
    write_export(raw, MORE_EVENTS, LEADS, ACTIVITIES)
    done = cli_build(raw, warehouse, report=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "0 failed" in done.stdout
    assert len(marts(warehouse)["fct_lead_handoffs"]) == 3
    # the report next to the warehouse was rewritten from the new marts
    report = warehouse.with_name("crm_report.html")
    assert f"report: {report}" in done.stdout
    assert 'data-metric="mql_handoffs" data-value="3"' in report.read_text()
    # the last line says where the time went (README; bench/benchmark.py reads it)
    took = re.fullmatch(
        r"took ([\d.]+) s: dbt build ([\d.]+) s, gate ([\d.]+) s,"
        r" report ([\d.]+) s, the rest (-?[\d.]+) s",
        done.stdout.strip().splitlines()[-1],
    )
    assert took, done.stdout[-500:]
    total, *parts = (float(value) for value in took.groups())
    assert abs(total - sum(parts)) <= 0.2 and all(part > 0 for part in parts[:3])


def test_a_warehouse_from_older_models_asks_for_a_full_refresh(built):
    """An incremental model whose table has columns the models no longer make
    (a warehouse built by an earlier version) stops the build with a hint."""
    raw, warehouse, before = built
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "alter table staging.base_crm__lead_status_history add column retired_text varchar"
        )
    done = cli_build(raw, warehouse)
    assert_unchanged(warehouse, before, done)
    assert "was built by an earlier version of the models" in done.stderr
    assert "crm-funnel build --full-refresh" in done.stderr
