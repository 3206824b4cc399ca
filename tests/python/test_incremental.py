"""Incremental builds: loading an export in K nightly batches (split by
`_loaded_at`, each batch appended to the raw files) gives marts identical to
one full refresh of the whole export, late rows and corrections included.

Each example is K + 1 dbt builds, so the default hypothesis profile runs one
example per test; `CRM_HYPOTHESIS_PROFILE=large` (the nightly CI job) runs 20.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import MARTS, Build, dbt_build, write_export
from engines import Warehouse, warehouse
from hypothesis import given, settings
from hypothesis import strategies as st
from test_properties import Export, exports

from crm_funnel.generate import DirtRates, generate

FILES = ["lead_status_history", "leads", "activities"]
# more of the dirt an incremental run must get right than the default rates
HEAVY_DIRT = DirtRates(
    duplicate=0.05, late=0.08, correction=0.05, duplicate_content=0.02, repeated_stage=0.02
)


def read_rows(folder: Path, name: str) -> tuple[list[str], list[list[str]]]:
    with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_rows(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build_in_batches(raw: Path, cuts: list[str], work: Path, engine: str = "duckdb") -> Build:
    """Nightly loads: batch k holds every row loaded up to cuts[k], in file order
    (the raw files only ever grow at the end), built on `engine` one night
    after the other (tests/python/engines.py)."""
    nights = warehouse(engine, work, f"{work.name}_incremental")
    for number, cut in enumerate(cuts):
        batch = work / f"batch{number}"
        for name in FILES:
            header, rows = read_rows(raw, name)
            loaded = header.index("_loaded_at")
            write_rows(batch, name, header, [r for r in rows if r[loaded] <= cut])
        nights.build(batch)
        assert nights.returncode == 0, f"batch {number}:\n" + nights.output[-4000:]
    return nights


def assert_same_marts(incremental: Warehouse, full: Warehouse) -> None:
    for table in MARTS:
        query = f"select * from main.{table}"
        assert incremental.sorted_rows(query) == full.sorted_rows(query), table


def load_days(raw: Path) -> list[str]:
    header, rows = read_rows(raw, "lead_status_history")
    loaded = header.index("_loaded_at")
    return sorted({r[loaded] for r in rows})


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
@settings(max_examples=max(1, settings().max_examples // 3))
@given(
    seed=st.integers(0, 10_000),
    fractions=st.lists(st.floats(0.05, 0.95), min_size=1, max_size=3, unique=True),
)
def test_generated_export_in_batches_equals_full_refresh(engine, seed, fractions, tmp_path_factory):
    """On DuckDB and on PostgreSQL (a throwaway server, raw tables reloaded
    each night): the nights equal one full build."""
    work = tmp_path_factory.mktemp("batches")
    raw = work / "raw"
    generate(120, raw, "csv", seed=seed, rates=HEAVY_DIRT, days=60)
    days = load_days(raw)
    cuts = sorted({days[int(f * (len(days) - 1))] for f in fractions}) + [days[-1]]
    full = warehouse(engine, work, f"{work.name}_full").build(raw)
    assert full.returncode == 0, full.output[-4000:]
    # the split really carries late rows and corrections into later batches
    (late,) = full.one(
        "select count(*) from staging.base_crm__lead_status_history"
        " where loaded_at > changed_at + interval '1' day"
    )
    assert late > 0
    nights = build_in_batches(raw, cuts, work, engine)
    assert_same_marts(nights, full)


@settings(max_examples=max(1, settings().max_examples // 3))
@given(export=exports(), cut=st.integers(0, 1))
def test_hostile_export_in_batches_equals_full_refresh(export, cut, tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    ordered = Export(  # append-only raw files: rows in the order they were loaded
        events=sorted(export.events, key=lambda row: row[-1]),
        leads=sorted(export.leads, key=lambda row: row[-1]),
        activities=sorted(export.activities, key=lambda row: row[-1]),
    )
    raw = ordered.write(work / "raw")
    days = sorted({row[-1] for rows in (ordered.events, ordered.leads) for row in rows})
    if not days:
        days = ["2024-01-18T09:00:00Z"]
    cuts = sorted({days[min(cut, len(days) - 1)], days[-1]})
    full = warehouse("duckdb", work, "full").build(raw)
    assert full.returncode == 0, full.output[-4000:]
    assert_same_marts(build_in_batches(raw, cuts, work), full)


def test_rows_added_below_the_watermark_need_a_full_refresh(tmp_path):
    load = "2024-01-15T00:00:00Z"
    events = f"e1,L1,,MQL,2024-01-08T09:00:00Z,system,,{load}"
    leads = f"L1,2024-01-08T08:00:00Z,2024-01-08T08:00:00Z,Webinar,inbound,SMB,NA,SaaS,no,a@a.com,A,u1,{load}"
    raw = write_export(tmp_path / "raw", events, leads, "")
    warehouse = tmp_path / "w.duckdb"
    assert dbt_build(raw, warehouse).returncode == 0
    # a row appears with an older _loaded_at than the last build's: invisible
    # to an incremental run, so the build must refuse rather than miss it
    late = "e2,L1,mql,Accepted,2024-01-08T10:00:00Z,u1,,2024-01-14T00:00:00Z"
    write_export(raw, events + "\n" + late, leads, "")
    refused = dbt_build(raw, warehouse)
    assert refused.returncode != 0
    assert (
        "crm-funnel: raw file lead_status_history changed at or before the last build's"
        " watermark (2024-01-15 00:00:00): load 2024-01-14T00:00:00Z has 1 rows now and had 0"
        in refused.output
    )
    assert "run `crm-funnel build --full-refresh`" in refused.output
    assert refused.one("select count(*) from fct_lead_handoffs where decision = 'accepted'") == (0,)
    rebuilt = dbt_build(raw, warehouse, "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    assert rebuilt.one("select count(*) from fct_lead_handoffs where decision = 'accepted'") == (1,)
