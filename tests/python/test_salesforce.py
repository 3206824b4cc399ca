"""Golden tests of the Salesforce source on DuckDB files (docs/contract.md,
"Salesforce"; docs/sources.md): the hand-made export of salesforce_fixture.py
in Fivetran's names and in Airbyte's, and a missing column.
"""

from __future__ import annotations

import pytest
from conftest import MARTS, dbt_build
from salesforce_fixture import (
    EXPECTED_HANDOFFS,
    EXPECTED_ISSUES,
    EXPECTED_LOADS,
    HANDOFFS,
    HISTORY,
    HISTORY_COLUMNS,
    LEAD_COLUMNS,
    LEADS,
    at,
    lead,
    t,
    write_airbyte,
    write_fivetran,
    write_table,
)


@pytest.fixture(scope="module")
def fivetran_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("salesforce")
    raw = write_fivetran(folder / "raw")
    build = dbt_build(raw, folder / "w.duckdb", CRM_SOURCE="salesforce")
    assert build.returncode == 0, build.output[-3000:]
    return build


def test_handoffs_from_salesforce_history(fivetran_build):
    assert fivetran_build.rows(HANDOFFS) == EXPECTED_HANDOFFS


def test_a_merge_group_is_one_lead_created_once(fivetran_build):
    dim_leads = "select lead_id, created_at, merged_lead_ids from main.dim_leads order by 1"
    assert fivetran_build.rows(dim_leads) == [
        ("00Q1", at(2, 9), None),
        ("00Q2", at(3, 8), None),
        ("00Q3", at(2, 9), None),
        ("00Q4", at(4, 8), "00Q5;00Q6"),
        ("00Q8", at(5, 9), None),
    ]
    # the group's timeline: created (00Q5's creation), 00Q5's MQL, 00Q4's accept
    assert fivetran_build.rows(
        "select event_id, stage, entered_at from main.fct_lead_stage_history"
        " where lead_id = '00Q4' order by stage_sequence"
    ) == [("created:00Q4", "new", at(4, 8)), ("017h8", "mql", at(4, 9)),
          ("017h7", "accepted", at(4, 15))]  # fmt: skip


def test_every_salesforce_row_is_accounted_per_table(fivetran_build):
    assert fivetran_build.rows("select * from main.dq_load_summary order by 1") == EXPECTED_LOADS
    assert (
        fivetran_build.rows(
            "select source, raw_row_number, issue, action, detail from main.dq_issues order by 1, 2"
        )
        == EXPECTED_ISSUES
    )


def test_airbyte_names_and_an_append_sync_give_the_same_marts(fivetran_build, tmp_path):
    """The same tables in Airbyte's names, and as Airbyte's append sync keeps
    them: every synced copy of a lead's row. Two earlier copies, synced on
    03-05, follow the eight rows: 00Q1 still an MQL, 00Q5 not yet merged,
    their ids padded with spaces (a Unicode one too). Each lead's latest sync
    decides, so the funnel marts are the Fivetran build's, and the
    data-quality marts add the two copies (the lead table's 10 rows: 5 clean,
    5 dropped): 00Q1's superseded by its row 1 (latest updated_at), 00Q5's
    merged like its latest row."""
    earlier = "2026-03-05T00:00:00.000+0000"
    # the ids as a sync may pad them: each is still its lead (trim_text)
    copies = [lead("00Q1\u3000", "MQL", t(2, 9), t(2, 10)), lead(" 00Q5", "MQL", t(4, 8), t(4, 9))]
    for copy in copies:
        copy[LEAD_COLUMNS.index("_fivetran_synced")] = earlier
    raw = write_airbyte(tmp_path / "raw", leads=[*LEADS, *copies])
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="salesforce")
    assert build.returncode == 0, build.output[-3000:]
    for mart in MARTS:
        query = f"select * from main.{mart} order by all"
        if not mart.startswith(("dq_", "rpt_data_quality")):
            assert build.rows(query) == fivetran_build.rows(query), mart
    loads = "select * from main.dq_load_summary order by 1"
    assert build.rows(loads) == [
        row if row[0] != "lead" else ("lead", 10, 5, 5, 0) for row in EXPECTED_LOADS
    ]
    issues = "select source, raw_row_number, issue, action, detail from main.dq_issues"
    assert build.rows(issues + " order by 1, 2") == sorted([
        *EXPECTED_ISSUES,
        ("lead", 9, "superseded_lead_row", "dropped", "kept raw row 1"),
        ("lead", 10, "merged_lead", "dropped", "merged into lead 00Q4"),
    ])  # fmt: skip


def test_a_missing_salesforce_column_is_named_before_any_model(tmp_path):
    raw = write_fivetran(tmp_path / "raw")
    columns = [c for c in HISTORY_COLUMNS if c != "field"]
    write_table(raw / "lead_history.csv", columns, [r[:2] + r[3:] for r in HISTORY])
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="salesforce")
    assert build.returncode != 0
    assert "lead_history.csv: missing required column field" in build.output
    assert "OK created" not in build.output


def test_a_missing_salesforce_table_is_named_with_both_names(tmp_path):
    raw = write_fivetran(tmp_path / "raw")
    (raw / "task.csv").unlink()
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="salesforce")
    assert build.returncode != 0
    assert (
        "task.csv: file is missing; expected Salesforce table task as task.csv or .parquet"
        " (Fivetran) or Task.csv or .parquet (Airbyte)"
    ) in build.output
    assert "OK created" not in build.output


def test_an_unmapped_initial_status_flags_its_lead_row(tmp_path):
    """00Q2 has no status row, so its initial status is Lead.status; an
    unmapped one is dropped as unknown_status, and since it is derived from
    the lead's row (no raw row of its own) the lead row 2 is flagged
    bad_initial_status, kept: 00Q2 stays a lead, with no handoff."""
    raw = write_fivetran(tmp_path / "raw")
    leads = [row[:] for row in LEADS]
    leads[1][LEAD_COLUMNS.index("status")] = "Hot Lead"
    write_table(raw / "lead.csv", LEAD_COLUMNS, leads)
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="salesforce")
    assert build.returncode == 0, build.output[-3000:]
    assert build.rows(
        "select source, raw_row_number, issue, action, detail from main.dq_issues"
        " where issue = 'bad_initial_status'"
    ) == [
        (
            "lead",
            2,
            "bad_initial_status",
            "flagged",
            "initial status dropped as unknown_status: new_status='Hot Lead'",
        )
    ]
    assert build.rows("select lead_id from main.dim_leads where lead_id = '00Q2'") == [("00Q2",)]
    assert [row[0] for row in build.rows(HANDOFFS)] == ["00Q1", "00Q3", "00Q4", "00Q8"]
    # nothing new is a raw row or a drop; the lead row is counted flagged
    flagged = [(*row[:4], 1) if row[0] == "lead" else row for row in EXPECTED_LOADS]
    assert build.rows("select * from main.dq_load_summary order by 1") == flagged
