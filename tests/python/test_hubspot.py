"""Golden tests of the HubSpot source (docs/contract.md, "HubSpot";
docs/sources.md): the hand-made export of hubspot_fixture.py in Fivetran's
names and in Airbyte's, on DuckDB files and on PostgreSQL tables, and what a
bad folder says.
"""

from __future__ import annotations

import re

import pytest
from conftest import MARTS, dbt_build
from engines import warehouse
from hubspot_fixture import (
    CONTACT_COLUMNS,
    CONTACTS,
    EXPECTED_HANDOFFS,
    EXPECTED_ISSUES,
    EXPECTED_LOADS,
    HANDOFFS,
    HISTORY,
    HISTORY_COLUMNS,
    REASON_VARS,
    at,
    write_airbyte,
    write_fivetran,
    write_table,
)


def without_row_numbers(issues):
    """(source, issue, action, detail), a kept row's number in the detail blanked."""
    return [(row[0], row[2], row[3], re.sub(r"raw row \d+", "raw row N", row[4])) for row in issues]


def hubspot_build(raw, warehouse_file, *extra):
    return dbt_build(raw, warehouse_file, "--vars", REASON_VARS, *extra, CRM_SOURCE="hubspot")


@pytest.fixture(scope="module")
def fivetran_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hubspot")
    build = hubspot_build(write_fivetran(folder / "raw"), folder / "w.duckdb")
    assert build.returncode == 0, build.output[-3000:]
    return build


def test_handoffs_from_hubspot_property_history(fivetran_build):
    assert fivetran_build.rows(HANDOFFS) == EXPECTED_HANDOFFS


def test_old_values_come_from_the_previous_change_of_the_merge_group(fivetran_build):
    # 104's group: 105's NEW (its founder's creation), 106's OPEN, 104's
    # IN_PROGRESS; the other members' creation values are no changes
    assert fivetran_build.rows(
        "select event_id, old_status, stage from staging.stg_crm__lead_status_history"
        " where lead_id = '104' order by changed_at"
    ) == [
        ("105@2026-03-04T08:00:00.000Z", None, "mql"),
        ("106@2026-03-04T10:30:00.000Z", "NEW", "assigned"),
        ("104@2026-03-04T15:00:00.000Z", "OPEN", "accepted"),
    ]


def test_a_merge_group_by_every_form_is_one_lead_created_once(fivetran_build):
    assert fivetran_build.rows(
        "select lead_id, created_at, merged_lead_ids from main.dim_leads order by 1"
    ) == [
        ("101", at(2, 9), None),
        ("102", at(3, 8), None),
        ("103", at(2, 11), None),
        ("104", at(4, 8), "105;106;107"),
        ("109", at(5, 9), None),
    ]
    # no merged or deleted id reaches a mart
    for mart in ("fct_lead_handoffs", "fct_lead_stage_history"):
        ids = {row[0] for row in fivetran_build.rows(f"select distinct lead_id from main.{mart}")}
        assert ids.isdisjoint({"105", "106", "107", "108"}), mart


def test_every_hubspot_row_is_accounted_per_table(fivetran_build):
    assert fivetran_build.rows("select * from main.dq_load_summary order by 1") == EXPECTED_LOADS
    assert (
        fivetran_build.rows(
            "select source, raw_row_number, issue, action, detail from main.dq_issues order by 1, 2"
        )
        == EXPECTED_ISSUES
    )


def test_airbyte_epoch_times_and_engagement_lists_give_the_same_marts(fivetran_build, tmp_path):
    raw = write_airbyte(tmp_path / "raw")
    build = hubspot_build(raw, tmp_path / "w.duckdb")
    assert build.returncode == 0, build.output[-3000:]
    for mart in MARTS:
        query = f"select * from main.{mart} order by all"
        assert build.rows(query) == fivetran_build.rows(query), mart


def test_postgres_reads_hubspot_tables_loaded_from_airbyte(tmp_path, monkeypatch):
    """`load-raw --crm hubspot` puts Airbyte's folder in tables under
    Fivetran's names (the epoch times stay text: PostgreSQL converts them),
    and the build on PostgreSQL gives the hand-derived answers."""
    monkeypatch.setenv("CRM_SOURCE", "hubspot")
    raw = write_airbyte(tmp_path / "raw")
    built = warehouse("postgres", tmp_path / "pg", "hs_golden").build(raw, "--vars", REASON_VARS)
    assert built.returncode == 0, built.output[-3000:]
    assert built.rows(HANDOFFS) == EXPECTED_HANDOFFS
    assert built.sorted_rows("select * from main.dq_load_summary") == EXPECTED_LOADS
    # a table's rows are numbered by load time, then content, not in file
    # order (docs/engines.md, "Raw input"): the same issues, other numbers
    issues = built.rows("select source, raw_row_number, issue, action, detail from main.dq_issues")
    assert sorted(without_row_numbers(issues)) == sorted(without_row_numbers(EXPECTED_ISSUES))
    for source, rows, *_ in EXPECTED_LOADS:
        numbers = [row[1] for row in issues if row[0] == source]
        assert len(set(numbers)) == len(numbers) and set(numbers) <= set(range(1, rows + 1))


def test_spark_reads_hubspot_tables_loaded_from_airbyte(tmp_path, monkeypatch):
    """The same on Spark: its SQL for the epoch times, the merged-id lists and
    the merge chains (a recursive query) gives the hand-derived answers. The
    models only: every data test runs on Spark in the README's Spark build and
    in the golden one (test_golden_funnel.py), and this test's own
    assertions cover the accounting those tests check, row for row."""
    monkeypatch.setenv("CRM_SOURCE", "hubspot")
    raw = write_airbyte(tmp_path / "raw")
    built = warehouse("spark", tmp_path / "spark", "hs_golden").build(
        raw, "--vars", REASON_VARS, "--exclude", "resource_type:test", "resource_type:unit_test",
        full_tests=True,
    )  # fmt: skip
    assert built.returncode == 0, built.output[-3000:]
    assert built.rows(HANDOFFS) == EXPECTED_HANDOFFS
    assert built.sorted_rows("select * from dq_load_summary") == EXPECTED_LOADS
    issues = built.rows("select source, raw_row_number, issue, action, detail from dq_issues")
    assert sorted(without_row_numbers(issues)) == sorted(without_row_numbers(EXPECTED_ISSUES))
    assert built.rows("select merged_lead_ids from dim_leads where lead_id = '104'") == [
        ("105;106;107",)
    ]


def test_a_missing_hubspot_column_is_named_before_any_model(tmp_path):
    raw = write_fivetran(tmp_path / "raw")
    columns = [c for c in HISTORY_COLUMNS if c != "value"]
    write_table(raw / "contact_property_history.csv", columns, [r[:2] + r[3:] for r in HISTORY])
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="hubspot")
    assert build.returncode != 0
    assert "contact_property_history.csv: missing required column value" in build.output
    assert "OK created" not in build.output


def test_a_missing_contact_property_is_named(tmp_path):
    raw = write_fivetran(tmp_path / "raw")
    keep = [i for i, c in enumerate(CONTACT_COLUMNS) if c != "property_segment"]
    write_table(
        raw / "contact.csv",
        [CONTACT_COLUMNS[i] for i in keep],
        [[row[i] for i in keep] for row in CONTACTS],
    )
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="hubspot")
    assert build.returncode != 0
    assert "contact.csv: missing required column property_segment" in build.output
    assert "OK created" not in build.output


def test_engagements_without_their_contacts_are_named(tmp_path):
    raw = write_fivetran(tmp_path / "raw")
    (raw / "engagement_contact.csv").unlink()
    build = dbt_build(raw, tmp_path / "w.duckdb", CRM_SOURCE="hubspot")
    assert build.returncode != 0
    assert (
        "engagement_contact.csv: file is missing; expected HubSpot table engagement_contact"
        " (Fivetran) beside engagement, or Airbyte's engagements with associations_contactIds"
    ) in build.output
    assert "OK created" not in build.output


def test_a_night_that_brings_a_merge_equals_a_full_build(tmp_path):
    """The connector upserts: the next night 101's row comes again, now
    listing 102 as merged into it (102 stays, not marked deleted). 102's rows
    count as 101's from that night on: its history leaves its old load for
    the night's, which rebuilds 101. By the merge rule 102's creation (03-03,
    later than 101's) is no status change, so its pending handoff goes, and
    the night's marts equal a full build of the same tables. These builds
    keep the default of no reason property: 103's disqualification has none,
    and the reason rows are read by nothing."""
    night = "2026-03-08T00:00:00.000Z"
    raw = write_fivetran(tmp_path / "raw")
    nightly = tmp_path / "nightly" / "w.duckdb"

    def default_build(raw, warehouse_file, *extra):
        return dbt_build(raw, warehouse_file, *extra, CRM_SOURCE="hubspot")

    first = default_build(raw, nightly)
    assert first.returncode == 0, first.output[-3000:]
    contacts = [row[:] for row in CONTACTS]
    merged = CONTACT_COLUMNS.index("property_hs_merged_object_ids")
    synced = CONTACT_COLUMNS.index("_fivetran_synced")
    contacts[0][merged], contacts[0][synced] = "102", night
    write_table(raw / "contact.csv", CONTACT_COLUMNS, contacts)
    second = default_build(raw, nightly)
    assert second.returncode == 0, second.output[-3000:]
    full = default_build(raw, tmp_path / "full" / "w.duckdb", "--full-refresh")
    assert full.returncode == 0, full.output[-3000:]
    assert [row[:2] for row in second.rows(HANDOFFS)] == [
        ("101", 1), ("103", 1), ("104", 1), ("109", 1), ("109", 2)
    ]  # fmt: skip
    assert second.rows("select merged_lead_ids from main.dim_leads where lead_id = '101'") == [
        ("102",)
    ]
    for mart in MARTS:
        query = f"select * from main.{mart} order by all"
        assert second.rows(query) == full.rows(query), mart
    assert second.one("select reason_code from main.fct_lead_handoffs where lead_id = '103'") == (
        "unspecified",
    )
