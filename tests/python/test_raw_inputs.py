"""The raw folder: bad files stop the build with a clear message, an empty
export builds empty marts, and Parquet gives the same marts as CSV."""

from __future__ import annotations

import duckdb
import pytest
from conftest import ACTIVITIES, EVENTS, LEADS, MARTS, dbt_build, write_export


@pytest.fixture
def raw(tmp_path):
    return write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)


def test_missing_file_names_the_file(raw, tmp_path):
    (raw / "activities.csv").unlink()
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "activities.csv" in build.output
    assert "file is missing" in build.output


def test_missing_column_names_file_and_column(raw, tmp_path):
    path = raw / "lead_status_history.csv"
    path.write_text(path.read_text().replace("changed_at,", "changed_on,", 1))
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "lead_status_history.csv" in build.output
    assert "missing required column changed_at" in build.output
    assert "unexpected column changed_on (misspelled?)" in build.output


def test_spreadsheet_instead_of_csv_is_named(raw, tmp_path):
    (raw / "leads.csv").rename(raw / "leads.xlsx")
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "leads.xlsx: not a CSV or Parquet file" in build.output
    assert "expected leads.csv or leads.parquet" in build.output


def test_binary_file_named_csv_is_explained(raw, tmp_path):
    # what a zipped spreadsheet saved as .csv starts with
    (raw / "leads.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00lead_id,created_at\n")
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "leads.csv: is not a text CSV" in build.output


def test_wrong_delimiter_is_explained(raw, tmp_path):
    path = raw / "leads.csv"
    path.write_text(path.read_text().replace(",", ";"))
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "leads.csv" in build.output
    assert "not comma-separated" in build.output


def test_unparseable_parquet_names_the_file(raw, tmp_path):
    (raw / "leads.csv").unlink()
    (raw / "leads.parquet").write_bytes(b"this is not parquet at all")
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "leads.parquet" in build.output


def test_empty_export_builds_empty_marts(tmp_path):
    raw = write_export(tmp_path / "raw", "", "", "")
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode == 0, build.output[-3000:]
    # every mart but the load summary, which has a row per raw file
    for table in [mart for mart in MARTS if mart != "dq_load_summary"]:
        assert build.one(f"select count(*) from {table}") == (0,), table
    assert build.rows("select source, raw_rows from dq_load_summary order by source") == [
        ("activities", 0),
        ("lead_status_history", 0),
        ("leads", 0),
    ]


def test_parquet_export_gives_the_same_marts_as_csv(raw, tmp_path):
    csv_build = dbt_build(raw, tmp_path / "csv" / "w.duckdb")
    assert csv_build.returncode == 0, csv_build.output[-3000:]
    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()
    with duckdb.connect() as connection:
        for name in ["lead_status_history", "leads", "activities"]:
            connection.execute(
                f"copy (select * from read_csv('{raw / name}.csv', all_varchar = true))"
                f" to '{parquet_dir / name}.parquet' (format parquet)"
            )
    parquet_build = dbt_build(parquet_dir, tmp_path / "parquet_build" / "w.duckdb")
    assert parquet_build.returncode == 0, parquet_build.output[-3000:]
    query = "select * from rpt_sal_rates_weekly order by all"
    assert csv_build.rows(query) == parquet_build.rows(query)
    # hand-derived: 2 MQL handoffs, 1 accepted (2 h), 1 recycled for budget (1.5 h)
    assert parquet_build.one(
        "select mql_handoffs, accepted, recycled, sal_rate, median_tta_hours"
        " from rpt_sal_rates_weekly"
    ) == (2, 1, 1, 0.5, 1.75)


def test_crlf_line_endings_and_quoted_commas_are_read(raw, tmp_path):
    for path in raw.glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    with (raw / "activities.csv").open("ab") as handle:
        handle.write(b'a2,L2,"email, follow-up",2024-01-09T09:30:00Z,u1,2024-01-15T00:00:00Z\r\n')
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode == 0, build.output[-3000:]
    assert build.rows(
        "select activity_id, activity_type from staging.stg_crm__activities order by 1"
    ) == [("a1", "email"), ("a2", "email, follow-up")]
    # the quoted type is not an outreach type, so L2's handoff (recycled) is unchanged
    assert build.one("select mql_handoffs, accepted, recycled from rpt_sal_rates_weekly") == (
        2,
        1,
        1,
    )


def test_non_utf8_file_names_the_file(raw, tmp_path):
    with (raw / "activities.csv").open("ab") as handle:
        handle.write(b"a2,L1,note,2024-01-08T12:00:00Z,\xe9\xff,2024-01-15T00:00:00Z\n")
    build = dbt_build(raw, tmp_path / "w.duckdb")
    assert build.returncode != 0
    assert "activities.csv" in build.output
    assert "utf-8" in build.output.lower()
