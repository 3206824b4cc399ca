"""The Salesforce source as tables and over nights: PostgreSQL reading the
tables a connector landed, and an incremental night that brings a merge
(the hand-made export of salesforce_fixture.py).
"""

from __future__ import annotations

from conftest import MARTS, dbt_build
from engines import warehouse
from salesforce_fixture import (
    EXPECTED_HANDOFFS,
    EXPECTED_ISSUES,
    EXPECTED_LOADS,
    HANDOFFS,
    LEAD_COLUMNS,
    LEADS,
    lead,
    t,
    write_fivetran,
    write_table,
)


def test_postgres_reads_salesforce_tables(tmp_path, monkeypatch):
    """The tables path: `crm-funnel load-raw --crm salesforce` as a connector
    would land them (CRM_SOURCE), then the same build on PostgreSQL."""
    monkeypatch.setenv("CRM_SOURCE", "salesforce")
    raw = write_fivetran(tmp_path / "raw")
    built = warehouse("postgres", tmp_path / "pg", "sf_golden").build(raw)
    assert built.returncode == 0, built.output[-3000:]
    assert built.rows(HANDOFFS) == EXPECTED_HANDOFFS
    assert built.sorted_rows("select * from main.dq_load_summary") == EXPECTED_LOADS
    assert built.sorted_rows(
        "select source, raw_row_number, issue, action, detail from main.dq_issues"
    ) == sorted(EXPECTED_ISSUES)


def test_a_night_that_brings_a_merge_equals_a_full_build(tmp_path):
    """Fivetran upserts: the next night 00Q2's row comes again, merged into
    00Q1 (deleted, master_record_id), and 00Q1's row is synced again. Its old
    load loses the rows; the night rebuilds both leads. By the merge rule
    00Q2's creation is no status change, so its pending handoff goes, and the
    night's marts equal a full build of the same tables."""
    night = "2026-03-08T00:00:00.000+0000"
    raw = write_fivetran(tmp_path / "raw")
    nightly = tmp_path / "nightly" / "w.duckdb"
    first = dbt_build(raw, nightly, CRM_SOURCE="salesforce")
    assert first.returncode == 0, first.output[-3000:]
    leads = [row[:] for row in LEADS]
    merged = lead("00Q2", "MQL", t(3, 8), t(7, 9), master="00Q1", deleted="true")
    leads[1] = merged[:15] + [night] + merged[16:]
    leads[0] = leads[0][:8] + [t(7, 9)] + leads[0][9:15] + [night] + leads[0][16:]
    write_table(raw / "lead.csv", LEAD_COLUMNS, leads)
    second = dbt_build(raw, nightly, CRM_SOURCE="salesforce")
    assert second.returncode == 0, second.output[-3000:]
    full = dbt_build(raw, tmp_path / "full" / "w.duckdb", "--full-refresh", CRM_SOURCE="salesforce")
    assert full.returncode == 0, full.output[-3000:]
    assert [row[0] for row in second.rows(HANDOFFS)] == ["00Q1", "00Q3", "00Q4", "00Q8"]
    assert second.rows("select merged_lead_ids from main.dim_leads where lead_id = '00Q1'") == [
        ("00Q2",)
    ]
    for mart in MARTS:
        query = f"select * from main.{mart} order by all"
        assert second.rows(query) == full.rows(query), mart
