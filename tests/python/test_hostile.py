"""The hostile night: what a careless or unlucky user does to a nightly build.

Edited history, a load time from the future, two builds at once, a salt with
a quote, raw PII, odd but valid CSVs, odd folder names, a full disk and bad
settings. Each case states what must happen; every build is real dbt on a
tiny export (conftest's two-lead export unless said otherwise).
"""

from __future__ import annotations

import csv
import hashlib
import resource
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
from conftest import (
    ACTIVITIES,
    CLI,
    EVENTS,
    LEADS,
    LOAD,
    built_export,
    cli_build,
    cli_env,
    dbt_build,
    write_export,
)

NEXT_LOAD = "2024-01-16T00:00:00Z"
# the next night: L3 enters and is accepted
NEXT_EVENTS = f"""
e5,L3,,MQL,2024-01-10T09:00:00Z,system,,{NEXT_LOAD}
e6,L3,mql,Accepted,2024-01-10T10:00:00Z,u1,,{NEXT_LOAD}
"""
REFUSAL = "crm-funnel: raw file {file} changed at or before the last build's watermark"


def lines(body: str) -> list[str]:
    return [line.strip() for line in body.strip().splitlines() if line.strip()]


def events(*bodies: str) -> str:
    return "\n".join(line for body in bodies for line in lines(body))


def failure_line(done: subprocess.CompletedProcess) -> str:
    """The last line `crm-funnel build` wrote to stderr."""
    return done.stderr.strip().splitlines()[-1]


def assert_one_line_failure(done: subprocess.CompletedProcess, warehouse: Path, what: str) -> None:
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    last = failure_line(done)
    assert last.startswith("crm-funnel: "), last
    assert what in last, last
    assert last.endswith(f"{warehouse} was not changed"), last
    if warehouse.parent.is_dir():
        leftovers = [p.name for p in warehouse.parent.iterdir() if ".building" in p.name]
        assert leftovers == []


# 1, 13: a change below the watermark is refused in one line -----------------


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    """A warehouse built from the two-lead export (one load, 2024-01-15)."""
    work = tmp_path_factory.mktemp("nightly")
    built_export(work, EVENTS, LEADS, ACTIVITIES, "w.duckdb")
    return work


def test_a_deleted_row_replaced_by_an_old_one_is_refused(nightly, tmp_path):
    # same row count as before: e3 deleted, a row with the old load time appended
    late = f"e7,L1,accepted,Contacted,2024-01-08T12:00:00Z,u1,,{LOAD}"
    kept = [line for line in lines(EVENTS) if not line.startswith("e3,")]
    raw = write_export(tmp_path / "raw", events(*kept, late), LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes((nightly / "w.duckdb").read_bytes())
    before = duckdb.connect(str(warehouse), read_only=True)
    handoffs = before.execute("select * from fct_lead_handoffs order by all").fetchall()
    before.close()

    refused = dbt_build(raw, warehouse)
    assert refused.returncode != 0
    assert REFUSAL.format(file="lead_status_history") in refused.output
    assert (
        "load 2024-01-15T00:00:00Z has 4 rows now and had 4 rows with other content"
        in refused.output
    )
    assert "run `crm-funnel build --full-refresh`" in refused.output
    # nothing downstream ran: the marts are the previous build's
    assert refused.rows("select * from fct_lead_handoffs order by all") == handoffs

    rebuilt = dbt_build(raw, warehouse, "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    # hand-derived: L2's MQL (e3) is gone, so only L1's handoff is left
    assert rebuilt.rows("select lead_id, decision from fct_lead_handoffs") == [("L1", "accepted")]


def test_an_edited_changed_at_is_refused_through_the_cli(nightly, tmp_path):
    edited = EVENTS.replace("2024-01-08T11:00:00Z", "2024-01-08T10:00:00Z")
    raw = write_export(tmp_path / "raw", edited, LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes((nightly / "w.duckdb").read_bytes())
    done = cli_build(raw, warehouse, "--skip-gate")
    assert_one_line_failure(done, warehouse, REFUSAL.format(file="lead_status_history"))
    assert "with other content" in failure_line(done)
    assert "run `crm-funnel build --full-refresh`" in failure_line(done)


def test_an_unchanged_history_with_a_new_load_builds_incrementally(nightly, tmp_path):
    raw = write_export(tmp_path / "raw", events(EVENTS, NEXT_EVENTS), LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes((nightly / "w.duckdb").read_bytes())
    done = dbt_build(raw, warehouse)
    assert done.returncode == 0, done.output[-3000:]
    assert done.one("select count(*) from fct_lead_handoffs") == (3,)
    assert done.rows(
        "select source, loaded_at_text, raw_rows from staging.base_crm__raw_loads"
        " where source = 'lead_status_history' order by loaded_at"
    ) == [("lead_status_history", LOAD, 4), ("lead_status_history", NEXT_LOAD, 2)]


# 2: a load time from the future ---------------------------------------------


def test_a_future_load_time_is_dropped_and_moves_neither_watermark_nor_as_of(tmp_path):
    future = "2099-01-01T00:00:00Z"
    first = events(
        EVENTS,
        f"e9,L1,accepted,Contacted,2024-01-08T12:00:00Z,u1,,{future}",
    )
    # the lead row from the future must not outrank L2's real row either
    leads = (
        LEADS
        + f"\nL2,2024-01-09T08:00:00Z,2024-02-01T08:00:00Z,Referral,outbound,SMB,NA,SaaS,no,b@b.com,B,u1,{future}"
    )
    activities = ACTIVITIES + f"\na9,L2,call,2024-01-09T12:00:00Z,u1,{future}"
    raw = write_export(tmp_path / "raw", first, leads, activities)
    warehouse = tmp_path / "w.duckdb"
    built = dbt_build(raw, warehouse)
    assert built.returncode == 0, built.output[-3000:]
    assert built.rows(
        "select source, row_key, action from dq_issues where issue = 'future_loaded_at'"
        " order by source"
    ) == [
        ("activities", "a9", "dropped"),
        ("lead_status_history", "e9", "dropped"),
        ("leads", "L2", "dropped"),
    ]
    assert built.one("select lead_source from dim_leads where lead_id = 'L2'") == ("Webinar",)
    assert built.one("select cast(as_of as varchar) from intermediate.int_run_as_of") == (
        "2024-01-15 00:00:00",
    )
    assert built.one("select cast(max(loaded_at) as varchar) from staging.base_crm__raw_loads") == (
        "2024-01-15 00:00:00",
    )

    # the next night builds incrementally: the 2099 row set no watermark (a
    # --full-refresh takes the same path as the first build above)
    after = events(first, NEXT_EVENTS)
    write_export(raw, after, leads, activities)
    again = dbt_build(raw, warehouse)
    assert again.returncode == 0, again.output[-3000:]
    assert again.one("select count(*) from fct_lead_handoffs") == (3,)
    assert again.one("select count(*) from dq_issues where issue = 'future_loaded_at'") == (3,)
    assert again.one("select cast(as_of as varchar) from intermediate.int_run_as_of") == (
        "2024-01-16 00:00:00",
    )


# 3: two builds of one warehouse at once --------------------------------------


def test_a_second_build_at_once_refuses_naming_the_holder(tmp_path):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    warehouse = tmp_path / "wh" / "crm.duckdb"
    lock = warehouse.with_name(".crm.duckdb.lock")
    env = cli_env()
    first = subprocess.Popen(
        [str(CLI), "build", "--raw-dir", str(raw), "--warehouse", str(warehouse), "--skip-gate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"pid {first.pid}" in lock.read_text()
        second = cli_build(raw, warehouse, "--skip-gate")
        assert_one_line_failure(second, warehouse, "another build of this warehouse is running")
        assert f"crm-funnel build, pid {first.pid}" in failure_line(second)
    finally:
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out[-3000:] + err[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from fct_lead_handoffs").fetchone() == (2,)
    assert lock.read_text() == ""  # released, and no holder named any more


# 4, 8: a failed registration stops dbt before any model ----------------------


def test_a_repeated_header_stops_dbt_before_any_model_and_leaves_no_raw_view(nightly, tmp_path):
    raw = write_export(tmp_path / "raw", events(EVENTS, NEXT_EVENTS), LEADS, ACTIVITIES)
    path = raw / "activities.csv"
    path.write_text(path.read_text().replace("performed_by", "lead_id", 1))
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes((nightly / "w.duckdb").read_bytes())
    # a stale raw view, as an older version of the project left them
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute("create view raw.activities as select 1 as stale")
    done = dbt_build(raw, warehouse)
    assert done.returncode != 0
    assert f"crm-funnel raw input error in {path}" in done.output
    assert "column lead_id appears more than once in the header" in done.output
    assert "OK created" not in done.output  # no model ran
    assert done.one("select count(*) from fct_lead_handoffs") == (2,)
    assert (
        done.rows("select table_name from information_schema.tables where table_schema = 'raw'")
        == []
    )


# 5: the salt -----------------------------------------------------------------


def test_a_salt_with_a_quote_hashes_and_never_reaches_target_or_logs(tmp_path):
    salt = "it's-a-secret-7f3a"
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    # --debug: dbt logs every statement it runs
    done = dbt_build(
        raw,
        warehouse,
        "--debug",
        "--select",
        "+dim_leads",
        "--indirect-selection",
        "cautious",
        reuse_parse=False,  # dbt's own parse too: it writes manifest.json
        CRM_EMAIL_SALT=salt,
    )
    assert done.returncode == 0, done.output[-3000:]
    expected = hashlib.sha256((salt + "a@a.com").encode()).hexdigest()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(
            "select email_hash from dim_leads where lead_id = 'L1'"
        ).fetchone() == (expected,)
    assert salt not in done.output
    written = [p for folder in ("target", "logs") for p in (tmp_path / folder).rglob("*")]
    assert any(p.name == "manifest.json" for p in written)
    for path in written:
        if path.is_file():
            assert salt.encode() not in path.read_bytes(), path


def test_an_empty_salt_is_refused(tmp_path):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    done = cli_build(raw, warehouse, "--skip-gate", CRM_EMAIL_SALT="")
    assert_one_line_failure(done, warehouse, "CRM_EMAIL_SALT is set but empty")
    assert not warehouse.exists()
    # plain dbt refuses it too, in the plugin that would bind it
    plain = dbt_build(raw, warehouse, CRM_EMAIL_SALT="")
    assert plain.returncode != 0
    assert "CRM_EMAIL_SALT is set but empty" in plain.output


# 6, 7, 9, 10: no raw PII published; odd but valid files and folders ---------


def test_an_odd_but_valid_export_builds_and_publishes_no_raw_pii(tmp_path):
    """Python's csv.writer (CRLF rows, an LF inside a quoted field), UTF-8
    text beyond latin-1 (’ and € hold bytes 0x80 to 0x9F), a folder named
    with glob characters and a trailing space, the sample's salt on another
    export (a warning), and a scan of every relation for PII."""
    raw = tmp_path / "raw[1] "
    raw.mkdir()
    people = [
        ("L1", "ada.lovelace@example.com", "Lovelace’s Analytical Engines Ltd"),
        ("L2", "grace.hopper@example.org", "Cobol Systems, Inc. (€)"),
    ]
    files = {
        "lead_status_history": [line.split(",") for line in lines(EVENTS)],
        "leads": [
            [lead, "2024-01-08T08:00:00Z", "2024-01-08T08:00:00Z", "Webinar", "inbound"]
            + ["SMB", "NA", "SaaS", "no", email, company, "u1", LOAD]
            for lead, email, company in people
        ],
        "activities": [["a1", "L1", "email", "2024-01-08T12:00:00Z", "u1\nsecond line", LOAD]],
    }
    headers = {
        "lead_status_history": "event_id,lead_id,old_status,new_status,changed_at,changed_by,reason,_loaded_at",
        "leads": "lead_id,created_at,updated_at,lead_source,channel,segment,region,industry,is_existing_customer,email,company,owner_id,_loaded_at",
        "activities": "activity_id,lead_id,activity_type,occurred_at,performed_by,_loaded_at",
    }
    for name, rows in files.items():
        with (raw / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)  # the defaults: \r\n, quotes where needed
            writer.writerow(headers[name].split(","))
            writer.writerows(rows)
    assert b"\r\n" in (raw / "activities.csv").read_bytes()

    warehouse = tmp_path / "wh" / "crm.duckdb"
    done = cli_build(raw, warehouse, "--skip-gate")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "CRM_EMAIL_SALT is not set" in done.stdout
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(
            "select performed_by from staging.stg_crm__activities"
        ).fetchall() == [("u1\nsecond line",)]
        assert connection.execute(
            "select mql_handoffs, accepted, recycled from rpt_sal_rates_weekly"
        ).fetchone() == (2, 1, 1)
        columns = connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall()
        assert {schema for schema, _, _ in columns} >= {"main", "staging", "intermediate"}
        needles = [value.lower() for _, email, company in people for value in (email, company)]
        for schema, table, column in columns:
            values = connection.execute(
                f'select distinct lower(cast("{column}" as varchar)) from "{schema}"."{table}"'
            ).fetchall()
            for (value,) in values:
                for needle in needles:
                    assert value is None or needle not in value, (schema, table, column)


def test_a_spreadsheet_renamed_csv_is_called_one(tmp_path):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    # an .xlsx is a zip: its first bytes, with bytes that are not UTF-8
    (raw / "leads.csv").write_bytes(
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\xe9\xff\x80\x9f[Content_Types].xml"
    )
    done = dbt_build(raw, tmp_path / "w.duckdb")
    assert done.returncode != 0
    assert "leads.csv: is not a text CSV (a spreadsheet?" in done.output
    assert "not utf-8" not in done.output.lower()


# 11: every failure of crm-funnel build is one line ---------------------------


@pytest.mark.parametrize(
    ("env", "what"),
    [
        ({"CRM_THREADS": "0"}, "threads (--threads or CRM_THREADS) must be a whole number"),
        ({"CRM_THREADS": "abc"}, "must be a whole number of at least 1, got 'abc'"),
        ({"CRM_MEMORY_LIMIT": "lots"}, "CRM_MEMORY_LIMIT='lots' is not a memory size"),
    ],
)
def test_bad_settings_are_one_line(tmp_path, env, what):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    assert_one_line_failure(cli_build(raw, warehouse, **env), warehouse, what)


def test_an_unwritable_warehouse_folder_is_one_line(tmp_path):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    (tmp_path / "taken").write_text("a file where the warehouse folder should be")
    warehouse = tmp_path / "taken" / "crm.duckdb"
    done = cli_build(raw, warehouse)
    assert_one_line_failure(done, warehouse, "cannot write the warehouse")


def test_a_full_disk_keeps_the_warehouse_and_its_report(tmp_path):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    warehouse = tmp_path / "wh" / "crm.duckdb"
    # a folder where the funnel report goes: the warehouse is published, and
    # the build says in one line that its report was not written
    funnel_report = warehouse.with_name("crm_report.html")
    funnel_report.mkdir(parents=True)
    first = cli_build(raw, warehouse, report=True)
    assert first.returncode == 1, first.stdout[-2000:] + first.stderr[-2000:]
    assert (
        first.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"crm-funnel: {warehouse} was built, but its report was not written: IsADirectoryError"
        )
    )
    assert "MQL handoffs: 2" in first.stdout and warehouse.exists()
    assert not warehouse.with_name(".crm_report.html.partial").exists()
    funnel_report.rmdir()  # failed builds below write no report either
    report = warehouse.with_name("crm_validation") / "index.html"
    report_before = report.read_bytes()
    before = warehouse.read_bytes()
    write_export(raw, events(EVENTS, NEXT_EVENTS), LEADS, ACTIVITIES)

    def small_disk() -> None:
        # a real write limit: past 1 MB every write fails (EFBIG), as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    done = subprocess.run(
        [str(CLI), "build", "--raw-dir", str(raw), "--warehouse", str(warehouse)],
        env=cli_env(warehouse),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=small_disk,
    )
    assert_one_line_failure(done, warehouse, "")
    assert "File too large" in failure_line(done)
    assert warehouse.read_bytes() == before
    assert report.read_bytes() == report_before
    assert not warehouse.with_name("crm.duckdb.wal").exists()

    # the gate cannot read its suites (a suite that is not JSON): the build
    # stops before dbt runs, and the previous report stays, as does the warehouse
    broken = tmp_path / "expectations"
    broken.mkdir()
    (broken / "marts.json").write_text("{ not json")
    done = cli_build(raw, warehouse, "--expectations", str(broken))
    assert_one_line_failure(done, warehouse, "marts.json: not valid JSON")
    assert "Running with dbt" not in done.stdout
    assert warehouse.read_bytes() == before
    assert report.read_bytes() == report_before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == [
        ".crm.duckdb.lock",
        "crm.duckdb",
        "crm_validation",
    ]


# 12: vars ----------------------------------------------------------------------


def test_a_garbage_as_of_fails_naming_the_var_and_the_forms(tmp_path):
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    done = dbt_build(raw, tmp_path / "w.duckdb", "--vars", "{as_of: garbage}")
    assert done.returncode != 0
    assert "crm-funnel: var as_of='garbage' is not a date or time" in done.output
    assert "expected a date (2024-06-30) or an ISO 8601 time" in done.output


def test_crm_funnel_build_passes_vars_to_dbt(tmp_path):
    # an open handoff: L3 assigned at 09:00, undecided; its 24 h SLA is met at
    # as_of 2024-01-10T12:00 and missed at the default as_of (the load, 01-15)
    open_lead = f"e5,L3,,MQL,2024-01-10T09:00:00Z,system,,{LOAD}"
    raw = write_export(tmp_path / "raw", events(EVENTS, open_lead), LEADS, ACTIVITIES)
    warehouse = tmp_path / "w.duckdb"
    done = cli_build(raw, warehouse, "--skip-gate", "--vars", '{as_of: "2024-01-10T12:00:00Z"}')
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(
            "select decision, is_pending_past_sla from fct_lead_handoffs where lead_id = 'L3'"
        ).fetchone() == ("pending", False)


def test_what_fails_while_dbt_builds_is_left_to_its_step(monkeypatch):
    """crm-funnel build readies the report's chart runtime while dbt builds;
    if that fails, no traceback from the background thread reaches the user
    (the report step meets the failure again and says it in one line)."""
    import threading

    from crm_funnel import cli, report_page

    def broken() -> None:
        raise RuntimeError("no JavaScript runtime here")

    uncaught = []
    monkeypatch.setattr(report_page, "start_chart_runtime", broken)
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    cli.prepare_meanwhile(gate=False, headline=False, report=True).join(timeout=60)
    assert uncaught == []
