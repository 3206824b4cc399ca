"""The semantic layer: `mf query` equals the report marts, row for row, and
weeks and months begin in var reporting_timezone.

The export below is hand-made around the start of daylight saving time in
New York (Sun 2024-03-10 02:00 EST -> 03:00 EDT: UTC-5 before, UTC-4 after) and
the end of March, and built with reporting_timezone America/New_York. Every
expected value was derived by hand (comments); a build that used UTC, or one
fixed offset for the whole fixture, gets several of them wrong.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from conftest import dbt_build, write_export
from semantic import BY_MONTH_AND_SOURCE, BY_WEEK, assert_mf_equals_mart

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
    build = dbt_build(raw, folder / "warehouse.duckdb", "--vars", f"{{reporting_timezone: {ZONE}}}")
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
    # the rejection twin follows the same clock
    assert new_york.one(
        "select rejected_at_local from main.fct_lead_rejections where lead_id = 'N5'"
    ) == (datetime(2024, 3, 31, 22, 0),)


def test_durations_do_not_move_with_the_time_zone(new_york):
    """TTA is measured between UTC instants, whatever the reporting zone."""
    assert new_york.one("select tta_hours from main.fct_lead_handoffs where lead_id = 'N5'") == (
        62.0,
    )
