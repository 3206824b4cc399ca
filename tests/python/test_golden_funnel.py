"""Golden end-to-end test: a hand-made export of seven leads, built with dbt.

Every expected number below was derived by hand from the contract; the comment
beside each lead says how. The week is Mon 2024-01-08 .. Sun 2024-01-14 and
as_of is the latest _loaded_at, 2024-01-15T00:00:00Z. Business hours are the
default Mon-Fri 09:00-17:00 UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import pytest
from conftest import MARTS, PROJECT_DIR, built_export, dbt_build, write_export
from engines import ENGINES, Warehouse, warehouse
from semantic import BY_MONTH_AND_SOURCE, BY_WEEK, assert_mf_equals_mart

from crm_funnel import raw_load

LOAD = "2024-01-15T00:00:00Z"

EVENTS = f"""
e10,L1,,New,2024-01-08T08:00:00Z,system,,{LOAD}
e11,L1,new,MQL,2024-01-08 09:00:00,system,,{LOAD}
e11,L1,new,MQL,2024-01-08 09:00:00,system,,{LOAD}
e12,L1,mql, Sales  Review ,2024-01-08T10:00:00Z,u1,,{LOAD}
e13,L1,assigned,Recycled,2024-01-08T13:00:00+02:00,u1,Bad timing,{LOAD}
e14,L1,recycled,re-MQL,2024-01-10T09:00:00Z,system,,{LOAD}
e15,L1,mql,routed,2024-01-10T09:30:00Z,system,,{LOAD}
e16,L1,assigned,SAL,2024-01-10T16:30:00.000Z,u2,,{LOAD}
e17,L1,accepted,Sales Qualified Lead,2024-01-12T10:00:00Z,u2,,{LOAD}
e20,L2,,MQL,2024-01-09T12:00:00Z,system,,{LOAD}
e21,L2,mql,junk,2024-01-09T14:00:00Z,u1,Spam,2024-01-14T00:00:00Z
e21,L2,mql,junk,2024-01-09T14:00:00Z,u9,Spam,{LOAD}
e30,L3,,Accepted,2024-01-09T10:00:00Z,u3,,{LOAD}
e30b,L3,,accepted,2024-01-09T10:00:00Z,u3,,{LOAD}
e31,L3,accepted,Contacted,2024-01-09T11:00:00Z,u3,,{LOAD}
e40,L4,,MQL,2024-01-11T10:00:00Z,system,,{LOAD}
e41,L4,mql,MQL,2024-01-11T10:05:00Z,system,,{LOAD}
e42,L4,new,Assigned,2024-01-11T10:30:00Z,system,,{LOAD}
e50,L5,,MQL,2024-01-12T10:00:00Z,system,,{LOAD}
e51,L5,mql,Recycled,2024-01-12T12:00:00Z,u5,Weird reason xyz,{LOAD}
e60,L6,working,Recycled,2024-01-09T09:00:00Z,u6,Timing,{LOAD}
e61,L6,recycled,MQL,2024-01-09T10:00:00Z,system,,{LOAD}
e62,L6,mql,Disqualified,2024-01-09T11:00:00Z,u6,,{LOAD}
e71,L7,mql,Assigned,2024-01-10T12:00:00Z,system,,{LOAD}
e70,L7,,MQL,2024-01-10T12:00:00Z,system,,{LOAD}
e72,L7,assigned,Accepted,2024-01-10T13:00:00Z,u7,,{LOAD}
e80,  ,,MQL,2024-01-10T12:00:00Z,system,,{LOAD}
e81,L7,,MQL,10/01/2024 12:00,system,,{LOAD}
e82,L7,accepted,SQL,2024-01-20T12:00:00Z,u7,,{LOAD}
e83,L7,accepted,Hot Lead,2024-01-11T12:00:00Z,u7,,{LOAD}
"""

LEADS = f"""
L1,2024-01-08T07:00:00Z,2024-01-10T00:00:00Z,demo request,Inbound,smb,na,SaaS,no,ann@a.com,A Inc,u1,{LOAD}
L1,2024-01-08T07:00:00Z,2024-01-09T00:00:00Z,Webinar,Inbound,smb,na,SaaS,no,ann@a.com,A Inc,u1,{LOAD}
L2,2024-01-09T11:00:00Z,2024-01-09T11:00:00Z,Webinar,inbound,Enterprise,EMEA,Retail,yes,bob@b.com,B Ltd,u1,{LOAD}
L3,2024-01-09T09:00:00Z,2024-01-09T09:00:00Z,Outbound Prospecting,OUTBOUND,Mid-Market,APAC,Retail,0,cy@c.com,C,u3,{LOAD}
L4,2024-01-11T09:00:00Z,2024-01-11T09:00:00Z,Pricing Inquiry,inbound,SMB,NA,SaaS,false,di@d.com,D,u4,{LOAD}
L6,2024-01-01T09:00:00Z,2024-01-01T09:00:00Z,Referral,inbound,SMB,LATAM,SaaS,false,ed@e.com,E,u6,{LOAD}
L7,2024-01-10T11:00:00Z,2024-01-10T11:00:00Z,Contact Sales,inbound,SMB,NA,SaaS,false,fi@f.com,F,u7,{LOAD}
"""

ACTIVITIES = f"""
a0,L1,call,2024-01-10T16:00:00Z,u2,{LOAD}
a1,L1,Call,2024-01-11T10:00:00Z,u2,{LOAD}
a1,L1,Call,2024-01-11T10:00:00Z,u2,{LOAD}
a2,L1,note,2024-01-10T17:00:00Z,u2,{LOAD}
"""


@pytest.fixture(scope="module")
def golden_duckdb(tmp_path_factory):
    folder = tmp_path_factory.mktemp("golden")
    return built_export(folder, EVENTS, LEADS, ACTIVITIES, "w.duckdb", full_tests=True)


_BUILT: dict[str, Warehouse] = {}


def golden_on(engine: str, tmp_path_factory) -> Warehouse:
    """The golden export built on PostgreSQL or Spark, once per module, every
    data test included (tests/python/engines.py). dbt's unit tests read no raw
    data: on these engines they run in the README's build of the sample
    (test_documented_commands.py), not a second time here."""
    if engine not in _BUILT:
        folder = tmp_path_factory.mktemp(f"golden-{engine}")
        raw = write_export(folder / "raw", EVENTS, LEADS, ACTIVITIES)
        unit_tests = ("--exclude", "test_type:unit")
        built = warehouse(engine, folder, "golden").build(raw, *unit_tests, full_tests=True)
        assert built.returncode == 0, built.output[-3000:]
        assert " ERROR=0 " in built.output, built.output[-3000:]
        if engine == "spark":
            # a second night: plain Parquet tables cannot delete rows, so it
            # is a full build that says so, never a crash
            built.second_night = built.run("run", "--select", "base_crm__lead_status_history")
        _BUILT[engine] = built
    return _BUILT[engine]


@pytest.fixture(scope="module", params=ENGINES)
def golden(request, golden_duckdb, tmp_path_factory):
    """The golden export built on each engine; the same assertions hold on all three."""
    if request.param == "duckdb":
        return golden_duckdb
    return golden_on(request.param, tmp_path_factory)


def handoff(golden, handoff_id: str, columns: str) -> tuple:
    return golden.one(f"select {columns} from fct_lead_handoffs where handoff_id = '{handoff_id}'")


def test_handoffs_found(golden):
    # L1 twice (recycle, re-MQL), L2..L7 once each; L6's first recycle opens none
    ids = [r[0] for r in golden.rows("select handoff_id from fct_lead_handoffs order by 1")]
    assert ids == ["L1-1", "L1-2", "L2-1", "L3-1", "L4-1", "L5-1", "L6-1", "L7-1"]


def test_recycle_then_reaccept_cycle(golden):
    # L1-1: assigned 10:00Z, recycled 13:00+02:00 = 11:00Z -> 1 h; reason Bad timing
    assert handoff(
        golden,
        "L1-1",
        "entry_stage, decision, tta_hours, tta_business_hours, reason_code, reason_category,"
        " is_recycled_then_accepted, is_accept_sla_met",
    ) == ("mql", "recycled", 1.0, 1.0, "timing", "recycle", True, True)
    # L1-2: re-MQL 09:00, routed 09:30, SAL 16:30 -> 7 h > 4 h high-priority SLA
    # first touch: call a1 next day 10:00 (a0 is before acceptance, a2 is a note)
    row = handoff(
        golden,
        "L1-2",
        "mql_at, assigned_at, review_started_at, decision, tta_hours, tta_business_hours,"
        " first_touch_at, ttft_hours, ttft_business_hours, is_accept_sla_met,"
        " is_first_touch_sla_met, reached_sql, reached_opportunity, priority, handoff_number",
    )
    assert row == (
        datetime(2024, 1, 10, 9),
        datetime(2024, 1, 10, 9, 30),
        datetime(2024, 1, 10, 9, 30),
        "accepted",
        7.0,
        7.0,
        datetime(2024, 1, 11, 10),
        17.5,
        1.5,
        False,
        True,
        True,
        False,
        "high",
        2,
    )


def test_superseded_event_and_lead_rows(golden):
    # e21 was corrected: decided_by from the later load; L1's latest lead row wins
    assert handoff(golden, "L2-1", "decided_by, tta_hours, reason_code, motion") == (
        "u9",
        2.0,
        "spam_invalid",
        "expansion",
    )
    assert golden.one("select lead_source, priority from dim_leads where lead_id = 'L1'") == (
        "Demo Request",
        "high",
    )


def test_direct_acceptance(golden):
    # L3 starts with an acceptance: a direct handoff decided at once, touched by
    # its contacted event an hour later
    assert handoff(
        golden,
        "L3-1",
        "entry_stage, mql_at, decision, tta_hours, ttft_hours, ttft_business_hours, channel",
    ) == ("direct", None, "accepted", 0.0, 1.0, 1.0, "outbound")


def test_pending_past_sla(golden):
    # L4: assigned 2024-01-11 10:30, high priority (4 h), as_of 2024-01-15
    assert handoff(
        golden, "L4-1", "decision, decided_at, is_pending_past_sla, is_accept_sla_met, tta_hours"
    ) == ("pending", None, True, False, None)


def test_orphan_lead_with_unmapped_reason(golden):
    assert handoff(
        golden,
        "L5-1",
        "lead_source, segment, channel, region, motion, priority, reason_code, reason_category",
    ) == ("unknown", "unknown", "unknown", "unknown", "unknown", "standard", "unmapped", "recycle")


def test_decision_without_handoff_and_unspecified_reason(golden):
    assert handoff(golden, "L6-1", "handoff_number, reason_code, reason_category, tta_hours") == (
        1,
        "unspecified",
        "disqualify",
        1.0,
    )
    history = golden.rows(
        "select stage, handoff_number from fct_lead_stage_history"
        " where lead_id = 'L6' order by stage_sequence"
    )
    assert history == [("recycled", None), ("mql", 1), ("disqualified", 1)]


def test_ties_follow_funnel_order(golden):
    # L7's MQL and assignment share a second: mql first, so one mql handoff
    assert handoff(
        golden, "L7-1", "entry_stage, review_started_at, tta_hours, is_first_touch_sla_met"
    ) == ("mql", datetime(2024, 1, 10, 12), 1.0, False)


def test_weekly_rates(golden):
    # mql handoffs of week 2024-01-08: L1-1 L1-2 L2 L4 L5 L6 L7 = 7
    # accepted L1-2 L7; recycled L1-1 L5; disqualified L2 L6; pending L4
    # decided TTAs [1, 7, 2, 2, 1, 1]: median 1.5, p90 = 2 + 0.5 * (7 - 2) = 4.5
    # SLA met among decided: all but L1-2 -> 5 / 6
    row = golden.one(
        "select mql_week, mql_handoffs, accepted, recycled, disqualified, pending, sal_rate,"
        " recycle_rate, disqualify_rate, median_tta_hours, p90_tta_hours, median_ttft_hours,"
        " accept_sla_compliance, pending_past_sla from rpt_sal_rates_weekly"
    )
    assert row[:6] == (date(2024, 1, 8), 7, 2, 2, 2, 1)
    assert row[6:] == pytest.approx((2 / 7, 2 / 7, 2 / 7, 1.5, 4.5, 17.5, 5 / 6, 1))


def test_rejection_reasons(golden):
    rows = golden.rows(
        "select decision, reason_code, reason_category, rejections, share_of_month"
        " from rpt_rejection_reasons order by decision, reason_code"
    )
    assert rows == [
        ("disqualified", "spam_invalid", "disqualify", 1, 0.5),
        ("disqualified", "unspecified", "disqualify", 1, 0.5),
        ("recycled", "timing", "recycle", 1, 0.5),
        ("recycled", "unmapped", "recycle", 1, 0.5),
    ]


def test_stage_history_of_l1(golden):
    rows = golden.rows(
        "select stage, handoff_number, hours_in_stage, is_current from fct_lead_stage_history"
        " where lead_id = 'L1' order by stage_sequence"
    )
    assert rows == [
        ("new", None, 1.0, False),
        ("mql", 1, 1.0, False),
        ("assigned", 1, 1.0, False),
        ("recycled", 1, 46.0, False),
        ("mql", 2, 0.5, False),
        ("assigned", 2, 7.0, False),
        ("accepted", 2, 41.5, False),
        ("sql", 2, None, True),
    ]


def test_dq_issues_account_for_every_bad_row(golden):
    issues = golden.rows(
        "select source, row_key, issue, action from dq_issues order by source, row_key, issue"
    )
    assert issues == [
        ("activities", "a1", "duplicate_activity_id", "dropped"),
        ("lead_status_history", "e11", "duplicate_event_id", "dropped"),
        ("lead_status_history", "e21", "superseded_event", "dropped"),
        ("lead_status_history", "e30b", "duplicate_event_content", "dropped"),
        ("lead_status_history", "e41", "repeated_stage", "dropped"),
        ("lead_status_history", "e42", "sequence_gap", "flagged"),
        ("lead_status_history", "e50", "orphan_lead", "flagged"),
        ("lead_status_history", "e51", "orphan_lead", "flagged"),
        ("lead_status_history", "e51", "unmapped_reason", "flagged"),
        ("lead_status_history", "e60", "decision_without_handoff", "flagged"),
        ("lead_status_history", "e80", "missing_lead_id", "dropped"),
        ("lead_status_history", "e81", "invalid_timestamp", "dropped"),
        ("lead_status_history", "e82", "future_timestamp", "dropped"),
        ("lead_status_history", "e83", "unknown_status", "dropped"),
        ("leads", "L1", "superseded_lead_row", "dropped"),
    ]
    summary = golden.rows(
        "select source, raw_rows, clean_rows, dropped_rows from dq_load_summary order by source"
    )
    assert summary == [
        ("activities", 4, 3, 1),
        ("lead_status_history", 30, 22, 8),
        ("leads", 7, 6, 1),
    ]


def test_daily_quality_report_by_load_day(golden):
    # e21's first copy landed on 2024-01-14 and was superseded by the re-send;
    # everything else landed on 2024-01-15. Events that day: 29 raw rows,
    # 7 dropped (e11 duplicate id, e30b duplicate content, e41 repeated stage:
    # 3 duplicates; e80 no lead; e81 unparseable, e82 future: 2 timestamp
    # failures; e83 unknown status), 4 rows flagged (e42, e50, e51, e60).
    rows = golden.rows(
        "select load_date, source, raw_rows, clean_rows, dropped_rows, flagged_rows,"
        " duplicate_rows, timestamp_failure_rows, dropped_superseded_event,"
        " dropped_future_timestamp, flagged_orphan_lead, flagged_unmapped_reason"
        " from rpt_data_quality_daily order by load_date, source"
    )
    assert rows == [
        (date(2024, 1, 14), "lead_status_history", 1, 0, 1, 0, 0, 0, 1, 0, 0, 0),
        (date(2024, 1, 15), "activities", 4, 3, 1, 0, 1, 0, 0, 0, 0, 0),
        (date(2024, 1, 15), "lead_status_history", 29, 22, 7, 4, 3, 2, 0, 1, 2, 1),
        (date(2024, 1, 15), "leads", 7, 6, 1, 0, 0, 0, 0, 0, 0, 0),
    ]
    rates = golden.one(
        "select duplicate_rate, timestamp_failure_rate, dropped_rate from rpt_data_quality_daily"
        " where load_date = '2024-01-15' and source = 'lead_status_history'"
    )
    assert rates == pytest.approx((3 / 29, 2 / 29, 7 / 29))


def downstream_columns(golden) -> list[tuple[str, str, str, bool]]:
    """The columns of the marts and intermediate models, on any engine."""
    if isinstance(golden, Warehouse):
        found = golden.columns()
    else:  # the DuckDB build
        found = golden.rows(
            "select table_schema, table_name, column_name, data_type = 'VARCHAR'"
            " from information_schema.columns"
        )
    return [c for c in found if c[0] in ("main", "intermediate")]


def test_no_raw_pii_column_downstream_of_staging(golden):
    # only the salted hash of the email may travel past staging
    pii = re.compile("email|company|first_name|last_name|full_name|phone")
    columns = [
        f"{schema}.{table}.{column}"
        for schema, table, column, _ in downstream_columns(golden)
        if pii.search(column) and column != "email_hash"
    ]
    assert columns == []
    assert len(downstream_columns(golden)) > 100  # the check saw the models


def test_no_mart_exposes_an_email(golden):
    for schema, table, column, is_text in downstream_columns(golden):
        if is_text:
            (hits,) = golden.one(f"select count(*) from {schema}.{table} where {column} like '%@%'")
            assert hits == 0, f"{schema}.{table}.{column} holds an email-shaped value"


def test_rebuild_gives_identical_marts(golden_duckdb, tmp_path):
    again = dbt_build(golden_duckdb.warehouse.parent / "raw", tmp_path / "w.duckdb")
    assert again.returncode == 0, again.output[-2000:]
    for table in MARTS:
        query = f"select * from {table} order by all"
        assert golden_duckdb.rows(query) == again.rows(query), table


def test_as_of_var_moves_the_sla_clock(golden_duckdb, tmp_path):
    # at 2024-01-11 12:00 L4 has waited 1.5 h of its 4 h: pending inside the SLA
    build = dbt_build(
        golden_duckdb.warehouse.parent / "raw",
        tmp_path / "w.duckdb",
        "--vars",
        "{as_of: '2024-01-11T12:00:00Z'}",
    )
    assert build.returncode == 0, build.output[-2000:]
    assert handoff(build, "L4-1", "is_pending_past_sla, is_accept_sla_met") == (False, None)
    assert build.one("select pending_past_sla from rpt_sal_rates_weekly") == (0,)


def test_every_example_query_in_the_mart_docs_runs(golden_duckdb):
    """The ```sql examples in the marts' descriptions (dbt docs) are queries a
    BI user copies: each runs on a built warehouse and returns rows."""
    docs = "".join(p.read_text() for p in (PROJECT_DIR / "models" / "marts").glob("*/_*.yml"))
    examples = re.findall(r"```sql\n(.*?)```", docs, re.S)
    documented = {re.search(r"from main\.(\w+)", example).group(1) for example in examples}
    assert documented == set(MARTS)
    for example in examples:
        rows = golden_duckdb.rows(" ".join(line.strip() for line in example.splitlines()))
        assert rows, example


def test_mf_query_equals_the_report_marts(golden_duckdb):
    """The semantic layer's metrics, queried with MetricFlow's own `mf query`,
    equal rpt_sal_rates_weekly and rpt_sal_rates_by_source in every row and
    column (tests/python/semantic.py)."""
    assert assert_mf_equals_mart(golden_duckdb, "rpt_sal_rates_weekly", BY_WEEK) == 1
    rows = golden_duckdb.one("select count(*) from main.rpt_sal_rates_by_source")[0]
    assert (
        assert_mf_equals_mart(golden_duckdb, "rpt_sal_rates_by_source", BY_MONTH_AND_SOURCE) == rows
    )
    assert rows >= 3


@pytest.fixture(scope="module")
def golden_duckdb_tables(tmp_path_factory):
    """DuckDB reading the golden export from raw tables, as PostgreSQL and
    Spark do (raw_source tables: rows numbered by content, not file order)."""
    folder = tmp_path_factory.mktemp("golden-tables")
    raw = write_export(folder / "raw", EVENTS, LEADS, ACTIVITIES)
    with duckdb.connect(str(folder / "w.duckdb")) as connection:
        raw_load.load_duckdb(raw, connection)
    built = dbt_build(raw, folder / "w.duckdb", "--vars", "{raw_source: tables}")
    assert built.returncode == 0, built.output[-3000:]
    return warehouse("duckdb", folder, "tables").attach(built)


def test_every_mart_equals_duckdb_reading_tables(golden, golden_duckdb_tables):
    """One code base, three engines: every mart equal in every row and column
    (floats to 1e-9) to DuckDB reading the same raw tables. DuckDB reading the
    files numbers raw rows by file position instead of content, which shows
    only in dq_issues.raw_row_number and the 'kept raw row N' details."""
    from_files = not isinstance(golden, Warehouse)
    for mart in MARTS:
        columns = [
            column
            for _, table, column, _ in golden_duckdb_tables.columns()
            if table == mart and not (from_files and column in ("raw_row_number", "detail"))
        ]
        query = f"select {', '.join(columns)} from main.{mart}"
        expected = golden_duckdb_tables.sorted_rows(query)
        assert len(expected) > 0, mart
        actual = golden_duckdb_tables.sorted_rows(query, golden.rows(query))
        assert actual == expected, mart


def test_postgres_bi_reader_reads_the_marts_and_nothing_else(tmp_path_factory):
    """PostgreSQL: dbt's grants config gives the BI role (CRM_BI_READER,
    default bi_reader) select on the marts; the marts' schema is the only one
    it may use, so staging is closed to it."""
    built = golden_on("postgres", tmp_path_factory)
    assert built.rows_as("bi_reader", "select count(*) from main.fct_lead_handoffs") == [(8,)]
    for relation in ["staging.stg_crm__leads", "intermediate.int_lead_handoffs", "crm_raw.leads"]:
        with pytest.raises(Exception, match="permission denied"):
            built.rows_as("bi_reader", f"select count(*) from {relation}")


def test_spark_second_night_is_a_full_build_that_says_so(tmp_path_factory):
    built = golden_on("spark", tmp_path_factory)
    returncode, output = built.second_night
    assert returncode == 0, output[-3000:]
    assert "cannot delete rows, so this build rebuilds every table in full" in output
    assert "CRM_SPARK_FILE_FORMAT=delta" in output
