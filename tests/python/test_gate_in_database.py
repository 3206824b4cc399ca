"""The release gate runs where the data is: Great Expectations' SQL data source
computes every check as SQL in DuckDB or PostgreSQL (docs/decisions.md, 39).

The suites' own queries (read from expectations/*.json, not copied) run on
small hand-made tables in both databases; the expected values below are worked
out by hand from those rows, so a query that means something else on one
engine (integer division, a week spine, a median) fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR
from engines import server_settings

from crm_funnel import postgres_server
from crm_funnel.validate import Warehouse, check_suites, run_suites

# the tables the distribution checks read, with hand-made rows
TABLES = {
    "intermediate.int_run_as_of": ("as_of timestamp", ["('2026-02-01 12:00:00')"]),
    # weeks of Jan 5, 19 and 26: Jan 12 has no row and Jan 19 no handoff
    "main.rpt_sal_rates_weekly": (
        "mql_week date, mql_handoffs integer, sal_rate double precision",
        ["('2026-01-05', 10, 0.5)", "('2026-01-19', 0, null)", "('2026-01-26', 4, 0.25)"],
    ),
    "main.dq_load_summary": (
        "source varchar(40), raw_rows integer, clean_rows integer, dropped_rows integer",
        ["('leads', 10, 9, 1)", "('activities', 4, 4, 0)", "('lead_status_history', 0, 0, 0)"],
    ),
    # leads: 0.1, 0.2 before the latest day, 0.3 on it; activities: 0, 0, 0.05
    "main.rpt_data_quality_daily": (
        "load_date date, source varchar(40), dropped_rate double precision",
        [
            "('2026-01-01', 'leads', 0.1)",
            "('2026-01-02', 'leads', 0.2)",
            "('2026-01-03', 'leads', 0.3)",
            "('2026-01-01', 'activities', 0.0)",
            "('2026-01-02', 'activities', 0.0)",
            "('2026-01-03', 'activities', 0.05)",
        ],
    ),
    # keys for the uniqueness checks: id 'a' twice; (lead_id, n) ('L2', 1) three
    # times; nulls in a key, repeated or not
    "main.gate_keys": (
        "id varchar(8), lead_id varchar(8), n integer",
        [
            "('a', 'L1', 1)",
            "('a', 'L1', 2)",
            "('b', 'L2', 1)",
            "(null, 'L2', 1)",
            "(null, 'L2', 1)",
            "('c', null, 1)",
            "('d', null, 1)",
            "('e', 'L3', 1)",
        ],
    ),
}


def expect(kind: str, **kwargs) -> dict:
    """One expectation as the suite files write it."""
    return {"type": f"expect_{kind}", "kwargs": kwargs}


def rows(count: int) -> dict:
    return expect("table_row_count_to_equal", value=count)


def about(kind: str, column: str, value: float) -> dict:
    """`kind` (e.g. column_max_to_be_between) within 0.0001 of `value`."""
    return expect(kind, column=column, min_value=value - 1e-4, max_value=value + 1e-4)


# per distribution check of expectations/marts.json: the values its query
# must return on the tables above, as expectations that pass only then
HAND_DERIVED = {
    # as_of Feb 1 12:00: Jan 26 + 7 days is after it, so Jan 19 is the latest
    # complete week, with no handoff
    "distribution: SAL rate of the latest complete week": [
        rows(1),
        about("column_values_to_be_between", "mql_handoffs", 0),
    ],
    # 1 / 10 = 0.1 (not 0, as integer division would give), 0 / 4 = 0, and
    # 0 / null is null
    "distribution: share of rows dropped per source": [
        rows(3),
        about("column_max_to_be_between", "dropped_share", 0.1),
        expect("column_values_to_be_null", column="dropped_share", mostly=0.33),
    ],
    # Jan 5 .. Jan 26 is four weeks; Jan 12 (no row) and Jan 19 (no handoff)
    # have no MQL
    "distribution: weeks without MQLs between the first and the last": [
        rows(1),
        about("column_values_to_be_between", "weeks_without_mql", 2),
    ],
    # leads: 0.3 over the median of 0.1 and 0.2 (0.15) is 2.0; activities'
    # usual rate is 0, so its growth is null
    "distribution: dq_issues growth on the latest load day": [
        rows(2),
        about("column_max_to_be_between", "growth", 2.0),
    ],
}


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> Path:
    """A suite folder holding the real distribution queries with the
    hand-derived expectations, and one check that must fail."""
    marts = json.loads((PROJECT_DIR / "expectations" / "marts.json").read_text())
    queries = {table["name"]: table["query"] for table in marts["tables"]}
    tables = [
        {"name": name, "query": queries[name], "expectations": expectations}
        for name, expectations in HAND_DERIVED.items()
    ]
    # the gate as shipped (its thresholds): the 2 weeks without MQLs fail it
    shipped = next(t for t in marts["tables"] if t["name"].startswith("distribution: weeks"))
    tables.append(dict(shipped, name="shipped weeks check"))
    folder = tmp_path_factory.mktemp("suites")
    suite = {"name": "hand", "tables": tables}
    (folder / "hand.json").write_text(json.dumps(suite), encoding="utf-8")
    return folder


def statements() -> list[str]:
    out = ["create schema if not exists main", "create schema if not exists intermediate"]
    for table, (columns, values) in TABLES.items():
        out.append(f"create table {table} ({columns})")
        out.append(f"insert into {table} values {', '.join(values)}")
    return out


def duckdb_warehouse(folder: Path) -> Warehouse:
    path = folder / "gate.duckdb"
    with duckdb.connect(str(path)) as connection:
        for statement in statements():
            connection.execute(statement)
    return Warehouse.duckdb(path)


def postgres_warehouse(folder: Path, database: str = "gate_queries") -> Warehouse:
    admin = postgres_server.connect(server_settings(), dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"drop database if exists {database}")
        cursor.execute(f"create database {database}")
    admin.close()
    settings = server_settings(database)
    connection = postgres_server.connect(settings)
    with connection.cursor() as cursor:
        for statement in statements():
            cursor.execute(statement)
    connection.commit()
    connection.close()
    return Warehouse.postgres(settings)


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_the_gates_queries_mean_the_same_in_each_database(engine, suites, tmp_path):
    make = duckdb_warehouse if engine == "duckdb" else postgres_warehouse
    outcomes = run_suites(make(tmp_path), suites, tmp_path / "docs")
    by_check = {(o.table, o.expectation, o.column): o for o in outcomes}
    failed = [key for key, o in by_check.items() if not o.success]
    assert failed == [
        ("shipped weeks check", "expect_column_values_to_be_between", "weeks_without_mql")
    ]
    assert by_check[failed[0]].observed == "unexpected=1"
    assert len(outcomes) == sum(len(e) for e in HAND_DERIVED.values()) + 1
    # Data Docs are still written, one validation page per table
    assert (tmp_path / "docs" / "index.html").is_file()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == len(HAND_DERIVED) + 1


def test_a_query_that_cannot_run_is_named_in_one_line(tmp_path):
    folder = tmp_path / "suites"
    folder.mkdir()
    gone = {"name": "gone", "query": "select * from main.no_such_table", "expectations": [rows(1)]}
    suite = {"name": "broken", "tables": [gone]}
    (folder / "broken.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(SystemExit) as raised:
        run_suites(duckdb_warehouse(tmp_path), folder)
    message = str(raised.value.code)
    assert message.startswith("broken.json: query of broken.gone failed: ")
    assert "no_such_table" in message and "\n" not in message


# Hand-derived from main.gate_keys: a null is never a repeated value, and a
# row with a null in its compound key is never a repeated key.
UNIQUENESS = [
    # ids a, a, b, c, d, e (the two nulls left out): the two rows of 'a'
    ({"column": "id"}, "unexpected=2"),
    # (L1,1) (L1,2) (L2,1) x3 (null,1) x2 (L3,1): the three rows of (L2,1)
    ({"column_list": ["lead_id", "n"]}, "unexpected=3"),
    # (a,L1) x2 (b,L2) (null,L2) x2 (c,null) (d,null) (e,L3): the two rows of (a,L1)
    ({"column_list": ["id", "lead_id"]}, "unexpected=2"),
    ({"column": "n"}, "unexpected=7"),
    ({"column_list": ["id", "n"]}, "unexpected=0"),
]


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_uniqueness_by_group_count_finds_the_rows_ges_own_checks_find(engine, tmp_path):
    """The suites' two uniqueness types (crm_funnel.gate_expectations) against
    GE's own, on the same rows, and both against counts worked out by hand. On
    PostgreSQL the suites' types run as GE's own (validate.GE_OWN_TYPES): its
    plan of the grouped count's probe grows with rows times repeated keys
    when a check fails."""
    checks, expected = [], []
    for kwargs, count in UNIQUENESS:
        kind = (
            "column_values_to_be_unique" if "column" in kwargs else "compound_columns_to_be_unique"
        )
        ges, ours = f"expect_{kind}", f"expect_{kind}_by_group_count"
        if engine == "duckdb":  # on PostgreSQL the two would be one check, GE's
            checks.append(expect(kind, **kwargs))
            expected.append((ges, count))
        checks.append(expect(f"{kind}_by_group_count", **kwargs))
        expected.append((ours if engine == "duckdb" else ges, count))
    folder = tmp_path / "suites"
    folder.mkdir()
    table = {"name": "keys", "query": "select * from main.gate_keys", "expectations": checks}
    (folder / "keys.json").write_text(json.dumps({"name": "keys", "tables": [table]}))
    if engine == "duckdb":
        warehouse = duckdb_warehouse(tmp_path)
    else:  # a database of its own: the other test's may still have a session
        warehouse = postgres_warehouse(tmp_path, "gate_keys")
    outcomes = run_suites(warehouse, folder, tmp_path / "docs")
    observed = [(o.expectation, o.observed) for o in outcomes]
    assert sorted(observed) == sorted(expected)
    # the last check passes (both ways on DuckDB)
    assert [o.success for o in outcomes].count(True) == (2 if engine == "duckdb" else 1)
    # a failed table is validated again for its sample of repeated values:
    # one page, naming them
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert "Unexpected Value" in page and "L2" in page


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            dict(rows(1), severity="fatal"),
            "broken.json: broken.t: severity must be error or warn, got fatal",
        ),
        (
            expect("column_max_to_be_between", column="x", max_value="${max_share}"),
            "broken.json: broken.t: unknown parameter ${max_share}",
        ),
    ],
)
def test_a_suite_the_gate_cannot_run_is_refused_before_any_query(item, message, tmp_path):
    """crm-funnel build checks the suites before dbt runs (check_suites): no
    database is needed to find these."""
    suite = {
        "name": "broken",
        "tables": [{"name": "t", "query": "select 1", "expectations": [item]}],
    }
    (tmp_path / "broken.json").write_text(json.dumps(suite), encoding="utf-8")
    with pytest.raises(SystemExit) as raised:
        check_suites(tmp_path)
    assert raised.value.code == message


def test_a_threshold_that_is_not_a_number_is_refused_before_any_query(monkeypatch):
    monkeypatch.setenv("CRM_MAX_DROPPED_SHARE", "ten percent")
    with pytest.raises(SystemExit) as raised:
        check_suites(PROJECT_DIR / "expectations")
    assert raised.value.code == "CRM_MAX_DROPPED_SHARE='ten percent' is not a number"


def test_the_gate_reads_duckdb_read_only_with_twice_the_cores_in_threads(tmp_path):
    """The settings Warehouse.duckdb asks for reach DuckDB through
    duckdb-engine (docs/performance.md, "Issue 26: the gate's DuckDB threads"):
    the gate's connection has 2 x cores threads and cannot write."""
    import os

    import sqlalchemy as sa

    warehouse = duckdb_warehouse(tmp_path)
    engine = sa.create_engine(warehouse.url, connect_args=warehouse.connect_args)
    try:
        with engine.connect() as connection:
            threads = connection.execute(sa.text("select current_setting('threads')")).scalar()
            assert threads == 2 * os.cpu_count()
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                connection.execute(sa.text("create table main.written (x integer)"))
    finally:
        engine.dispose()
