"""The semantic layer: `mf query` equals the report marts, row for row, and
weeks and months begin in var reporting_timezone.

The export below is hand-made around the start of daylight saving time in
New York (Sun 2024-03-10 02:00 EST -> 03:00 EDT: UTC-5 before, UTC-4 after) and
the end of March, and built with reporting_timezone America/New_York. Every
expected value was derived by hand (comments); a build that used UTC, or one
fixed offset for the whole fixture, gets several of them wrong.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import CLI, cli_env, dbt_build, write_export
from semantic import BY_MONTH_AND_SOURCE, BY_WEEK, assert_mf_equals_mart

from crm_funnel.report import shown

LOAD = "2024-04-02T00:00:00Z"
ZONE = "America/New_York"

EVENTS = f"""
n1a,N1,,MQL,2024-03-04T04:30:00Z,system,,{LOAD}
n1b,N1,mql,Accepted,2024-03-04T06:30:00Z,u1,,{LOAD}
n2a,N2,,MQL,2024-03-11T03:30:00Z,system,,{LOAD}
n2b,N2,mql,Recycled,2024-03-11T05:30:00Z,u1,Timing,{LOAD}
n3a,N3,,MQL,2024-03-11T04:30:00Z,system,,{LOAD}
n3b,N3,mql,Accepted,2024-03-11T05:30:00Z,u2,,{LOAD}
n4a,N4,,MQL,2024-04-01T03:00:00Z,system,,{LOAD}
n4b,N4,mql,Disqualified,2024-04-01T05:00:00Z,u2,Spam,{LOAD}
n5a,N5,,MQL,2024-03-29T12:00:00Z,system,,{LOAD}
n5b,N5,mql,Recycled,2024-04-01T02:00:00Z,u1,Timing,{LOAD}
"""
LEADS = "\n".join(
    f"{lead},2024-03-01T00:00:00Z,2024-03-01T00:00:00Z,Webinar,inbound,{segment},NA,SaaS,no,"
    f"{lead.lower()}@x.com,X,u1,{LOAD}"
    for lead, segment in [("N1", "SMB"), ("N2", "SMB"), ("N3", "Enterprise"), ("N4", "SMB")]
    + [("N5", "Enterprise")]
)
ACTIVITIES = f"t1,N1,call,2024-03-04T07:00:00Z,u1,{LOAD}"

# Hand-derived, New York wall clock:
#   N1 MQL 04:30Z = Sun 03-03 23:30 EST -> week of Mon 02-26 (UTC: 03-04)
#   N2 MQL 03:30Z = Sun 03-10 23:30 EDT -> week of 03-04 (UTC: 03-11)
#   N3 MQL 04:30Z = Mon 03-11 00:30 EDT -> week of 03-11 (at EST, -5 h: 03-04)
#   N4 MQL 04-01 03:00Z = Sun 03-31 23:00 EDT -> week of 03-25, March (UTC: April)
#   N5 MQL 03-29 12:00Z = Fri 08:00 EDT -> week of 03-25, March
# TTA: N1 2 h, N2 2 h, N3 1 h, N4 2 h, N5 62 h (03-29 12:00Z .. 04-01 02:00Z).
WEEKS = {
    # week: (mql_handoffs, accepted, recycled, disqualified, sal_rate, median_tta_hours)
    date(2024, 2, 26): (1, 1, 0, 0, 1.0, 2.0),
    date(2024, 3, 4): (1, 0, 1, 0, 0.0, 2.0),
    date(2024, 3, 11): (1, 1, 0, 0, 1.0, 1.0),
    date(2024, 3, 25): (2, 0, 1, 1, 0.0, 32.0),
}
# rejected_month in New York: N2 03-11 01:30 EDT March; N5 03-31 22:00 EDT
# March (UTC: April); N4 04-01 01:00 EDT April.
REJECTIONS = {
    (date(2024, 3, 1), "recycled", "timing"): 2,
    (date(2024, 4, 1), "disqualified", "spam_invalid"): 1,
}


@pytest.fixture(scope="module")
def new_york(tmp_path_factory):
    folder = tmp_path_factory.mktemp("new_york")
    raw = write_export(folder / "raw", EVENTS, LEADS, ACTIVITIES)
    build = dbt_build(raw, folder / "w.duckdb", "--vars", f"{{reporting_timezone: {ZONE}}}")
    assert build.returncode == 0, build.output[-3000:]
    return build


def test_mf_query_by_week_equals_rpt_sal_rates_weekly(new_york):
    assert assert_mf_equals_mart(new_york, "rpt_sal_rates_weekly", BY_WEEK) == len(WEEKS)


def test_mf_query_by_month_and_source_equals_rpt_sal_rates_by_source(new_york):
    # March: N1, N2, N4 are SMB, N3 and N5 Enterprise, all Webinar / inbound / new business
    assert assert_mf_equals_mart(new_york, "rpt_sal_rates_by_source", BY_MONTH_AND_SOURCE) == 2


def test_weeks_begin_in_the_reporting_time_zone(new_york):
    rows = new_york.rows(
        "select mql_week, mql_handoffs, accepted, recycled, disqualified, sal_rate,"
        " median_tta_hours from main.rpt_sal_rates_weekly order by mql_week"
    )
    assert {row[0]: row[1:] for row in rows} == WEEKS


def test_months_begin_in_the_reporting_time_zone(new_york):
    assert new_york.rows("select distinct mql_month from main.fct_lead_handoffs") == [
        (date(2024, 3, 1),)
    ]
    rows = new_york.rows(
        "select rejected_month, decision, reason_code, rejections from main.rpt_rejection_reasons"
    )
    assert {row[:3]: row[3] for row in rows} == REJECTIONS


def test_local_twins_are_new_york_wall_clock(new_york):
    rows = new_york.rows(
        "select lead_id, mql_at, mql_at_local, decided_at_local from main.fct_lead_handoffs"
        " where lead_id in ('N1', 'N2', 'N3') order by lead_id"
    )
    assert rows == [
        # before the change: UTC-5
        (
            "N1",
            datetime(2024, 3, 4, 4, 30),
            datetime(2024, 3, 3, 23, 30),
            datetime(2024, 3, 4, 1, 30),
        ),
        # after it: UTC-4
        (
            "N2",
            datetime(2024, 3, 11, 3, 30),
            datetime(2024, 3, 10, 23, 30),
            datetime(2024, 3, 11, 1, 30),
        ),
        (
            "N3",
            datetime(2024, 3, 11, 4, 30),
            datetime(2024, 3, 11, 0, 30),
            datetime(2024, 3, 11, 1, 30),
        ),
    ]
    # so do the rejection and lead-creation twins (N1 created 03-01 00:00Z:
    # 02-29 19:00 EST)
    assert new_york.one("select created_at_local from main.dim_leads where lead_id = 'N1'") == (
        datetime(2024, 2, 29, 19, 0),
    )
    assert new_york.one(
        "select rejected_at_local from main.fct_lead_rejections where lead_id = 'N5'"
    ) == (datetime(2024, 3, 31, 22, 0),)


def test_durations_do_not_move_with_the_time_zone(new_york):
    """TTA is measured between UTC instants, whatever the reporting zone."""
    assert new_york.one("select tta_hours from main.fct_lead_handoffs where lead_id = 'N5'") == (
        62.0,
    )


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report_page(new_york):
    """`crm-funnel report --html` of the New York warehouse, opened in headless
    Chromium (Debian's; scripts/test.sh installs it), every request recorded."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Chromium is not installed: scripts/test.sh installs Debian's chromium"
    path = new_york.warehouse.with_name("report.html")
    done = subprocess.run(
        [str(CLI), "report", "--warehouse", str(new_york.warehouse), "--html", str(path)],
        env=cli_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri(), wait_until="load")
        screenshot = path.with_name("report.png")
        page.screenshot(path=str(screenshot), full_page=True)
        cells = page.eval_on_selector_all(
            "[data-metric]",
            """cells => cells.map(cell => ({
                metric: cell.dataset.metric,
                value: cell.dataset.value,
                text: cell.innerText.trim(),
                table: cell.closest('table, div.tiles, p').id,
                week: cell.closest('tr') ? cell.closest('tr').dataset.week : null,
                reason: cell.closest('tr') ? cell.closest('tr').dataset.reason : null,
            }))""",
        )
        charts = page.eval_on_selector_all(
            ".chart svg",
            "svgs => svgs.map(svg => [svg.closest('.chart').id,"
            " svg.getBoundingClientRect().width, svg.querySelectorAll('path, rect').length])",
        )
        files = page.eval_on_selector_all(
            "#load-summary tr[data-file]",
            "rows => rows.map(row => [row.dataset.file,"
            " ...[...row.querySelectorAll('td[data-column]')].map(td => Number(td.innerText))])",
        )
        browser.close()
    return {"path": path, "requests": requests, "cells": cells, "charts": charts}, files, screenshot


def test_the_report_opens_with_no_request_leaving_the_machine(report_page):
    page, _, screenshot = report_page
    assert page["requests"] == [page["path"].as_uri()]
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one
    charts = {name: (width, marks) for name, width, marks in page["charts"]}
    assert set(charts) == {
        "chart-sal",
        "chart-tta",
        "chart-ttft",
        "chart-compliance",
        "chart-recycling",
        "chart-drops",
    }
    assert all(width > 300 and marks > 5 for width, marks in charts.values()), charts


def test_the_reports_weekly_numbers_equal_the_mart(report_page, new_york):
    page, _, _ = report_page
    weekly = {
        (row["week"], row["metric"]): row for row in page["cells"] if row["table"] == "weekly"
    }
    columns = ["mql_handoffs", "sal_rate", "median_tta_hours", "p90_tta_hours"]
    columns += ["median_ttft_hours", "accept_sla_compliance", "pending_past_sla"]
    mart = new_york.rows(f"select mql_week, {', '.join(columns)} from main.rpt_sal_rates_weekly")
    assert len(mart) == len(WEEKS) and {week for week, _ in weekly} == {
        row[0].isoformat() for row in mart
    }
    for row in mart:
        for column, value in zip(columns, row[1:], strict=True):
            cell = weekly[(row[0].isoformat(), column)]
            assert cell["text"] == shown(column, value), (row[0], column, cell)
            assert (value is None and cell["value"] == "") or math.isclose(
                float(cell["value"]), value, abs_tol=1e-9
            ), (row[0], column, cell)
    # hand-derived, as WEEKS: the SAL rate by week as a reader sees it
    assert [weekly[(week.isoformat(), "sal_rate")]["text"] for week in sorted(WEEKS)] == [
        "100.0%",
        "0.0%",
        "100.0%",
        "0.0%",
    ]


def test_the_reports_headline_rejections_and_quality_equal_the_marts(report_page, new_york):
    page, files, _ = report_page
    headline = {row["metric"]: row for row in page["cells"] if row["table"] == "headline"}
    expected = {
        # N1..N5 (hand-derived): 2 of 5 accepted; TTAs 1, 2, 2, 2, 62 h
        "mql_handoffs": "5",
        "sal_rate": "40.0%",
        "median_tta_hours": "2.0 h",
        "recycle_rate": "40.0%",
        "disqualify_rate": "20.0%",
        "pending_past_sla": "0",
    }
    assert {name: headline[name]["text"] for name in expected} == expected
    reasons = {row["reason"]: row["text"] for row in page["cells"] if row["table"] == "reasons"}
    assert reasons == {
        code: str(count)
        for code, count in new_york.rows(
            "select reason_code, count(*) from main.fct_lead_rejections group by reason_code"
        )
    }
    assert reasons == {"timing": "2", "spam_invalid": "1"}
    assert sorted(files) == sorted(
        list(row)
        for row in new_york.rows(
            "select source, raw_rows, clean_rows, dropped_rows, flagged_rows from main.dq_load_summary"
        )
    )


def test_report_on_no_warehouse_or_a_foreign_file_is_one_line(tmp_path):
    def report(warehouse: Path) -> subprocess.CompletedProcess:
        command = [str(CLI), "report", "--warehouse", str(warehouse), "--html", "r.html"]
        return subprocess.run(command, env=cli_env(), capture_output=True, text=True, cwd=tmp_path)

    missing = report(tmp_path / "none.duckdb")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        f"crm-funnel: no warehouse at {tmp_path / 'none.duckdb'}; run crm-funnel build first"
    )
    foreign = tmp_path / "other.duckdb"
    duckdb.connect(str(foreign)).close()  # a DuckDB file, but no marts in it
    done = report(foreign)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"crm-funnel: {foreign}: its headline numbers could not be read: ")
    assert not (tmp_path / "r.html").exists()
