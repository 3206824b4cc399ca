"""Helpers: write a tiny raw export, build it with the real dbt, query DuckDB."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
CLI = Path(sys.executable).parent / "crm-funnel"

EVENT_HEADER = "event_id,lead_id,old_status,new_status,changed_at,changed_by,reason,_loaded_at"
LEAD_HEADER = (
    "lead_id,created_at,updated_at,lead_source,channel,segment,region,industry,"
    "is_existing_customer,email,company,owner_id,_loaded_at"
)
ACTIVITY_HEADER = "activity_id,lead_id,activity_type,occurred_at,performed_by,_loaded_at"

# The smallest export with a decision of each kind, shared by the tests of the
# raw folder, the atomic build and the hostile cases. Hand-derived: 2 MQL
# handoffs in the week of 2024-01-08, L1 accepted after 2 h and touched by
# email 1 h later, L2 recycled for "No budget" after 1.5 h.
LOAD = "2024-01-15T00:00:00Z"
EVENTS = f"""
e1,L1,,MQL,2024-01-08T09:00:00Z,system,,{LOAD}
e2,L1,mql,Accepted,2024-01-08T11:00:00Z,u1,,{LOAD}
e3,L2,,MQL,2024-01-09T09:00:00Z,system,,{LOAD}
e4,L2,mql,Nurture,2024-01-09T10:30:00Z,u1,No budget,{LOAD}
"""
LEADS = f"""
L1,2024-01-08T08:00:00Z,2024-01-08T08:00:00Z,Webinar,inbound,SMB,NA,SaaS,no,a@a.com,A,u1,{LOAD}
L2,2024-01-09T08:00:00Z,2024-01-09T08:00:00Z,Webinar,inbound,SMB,NA,SaaS,no,b@b.com,B,u1,{LOAD}
"""
ACTIVITIES = f"a1,L1,email,2024-01-08T12:00:00Z,u1,{LOAD}"

# Every mart, as BI tools read them (schema main).
MARTS = [
    "fct_lead_handoffs",
    "fct_lead_rejections",
    "fct_lead_stage_history",
    "rpt_sal_rates_weekly",
    "rpt_sal_rates_by_source",
    "rpt_rejection_reasons",
    "dim_leads",
    "dq_issues",
    "dq_load_summary",
    "rpt_data_quality_daily",
]


@dataclass
class Build:
    returncode: int
    output: str
    warehouse: Path

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def one(self, sql: str) -> tuple:
        rows = self.rows(sql)
        assert len(rows) == 1, rows
        return rows[0]


def write_export(folder: Path, events: str, leads: str, activities: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, body in [
        ("lead_status_history", EVENT_HEADER, events),
        ("leads", LEAD_HEADER, leads),
        ("activities", ACTIVITY_HEADER, activities),
    ]:
        lines = [header] + [line.strip() for line in body.strip().splitlines() if line.strip()]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


# one folder per test session, shared by its xdist workers (whose parent is
# the session's main process): parsed manifests, keyed by warehouse file name,
# CRM source and --vars, and the dbt artifacts of `crm-funnel build` runs.
# Tests name their warehouses w.duckdb, each in a folder of its own, so that
# most builds share one parse (about 7 CPU-s each), whichever worker made it.
SESSION_PID = os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()
PARSED = Path(tempfile.gettempdir()) / f"crm-funnel-parsed-{SESSION_PID}"
# what dbt renders while parsing besides --vars (dbt_project.yml reads
# CRM_MAX_DROPPED_SHARE; the CRM source, CRM_SOURCE, gets a parse of its own)
PARSE_ENV = ("CRM_MAX_DROPPED_SHARE",)


def short_hash(text: str) -> str:
    """A folder name's part that stands for `text`."""
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def parsed_manifest(stem: str, crm: str = "export", cli_vars: str = "") -> Path | None:
    """dbt's parse of the project for a warehouse named `stem`.duckdb, the CRM
    source `crm` and the `--vars` given, once per session (the nodes carry
    DuckDB's catalog name, the file's stem, and the source's tables); None
    where dbt cannot parse it (the build then runs whole, and says why)."""
    key = stem if crm == "export" else f"{stem}-{crm}"
    if cli_vars:
        key += "-" + short_hash(cli_vars)
    folder = PARSED / key
    manifest = folder / "partial_parse.msgpack"
    if manifest.exists():
        return manifest
    PARSED.mkdir(parents=True, exist_ok=True)
    # one worker parses, the other waits for it: the parse is written to a
    # folder of its own and renamed into place whole
    with open(PARSED / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists():
            return manifest
        if (PARSED / f"{key}.failed").exists():
            return None
        import dbt_parsed

        work = PARSED / f"{key}.{os.getpid()}"
        env = dict(
            os.environ,
            CRM_WAREHOUSE=str(work / f"{stem}.duckdb"),
            CRM_SOURCE=crm,
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        )
        args = ["parse", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
        args += ["--target-path", str(work), "--log-path", str(work / "logs")]
        args += ["--vars", cli_vars] if cli_vars else []
        if dbt_parsed.run(None, args, env)[0] != 0:
            (PARSED / f"{key}.failed").touch()
            return None
        work.rename(folder)
    return manifest


def pytest_unconfigure(config):
    """The session's parses and artifacts go when the session ends (in its
    main process: xdist's workers end before it)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(PARSED, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _stop_postgres():
    """The throwaway PostgreSQL server of tests/python/engines.py, if one ran."""
    yield
    import engines

    engines.stop_postgres()


def dbt_build(
    raw_dir: Path,
    warehouse: Path,
    *extra: str,
    reuse_parse: bool = True,
    full_tests: bool = False,
    **overrides: str,
) -> Build:
    """`dbt build` with target/ and logs/ next to the warehouse; env overrides
    as keywords. It runs on the session's parse of the project (one per
    warehouse name, CRM source and --vars) unless the build changes what dbt
    parses otherwise (CRM_MAX_DROPPED_SHARE) or the test asks for a whole dbt
    run (reuse_parse=False).

    Two kinds of test run only where asked (full_tests=True: the golden
    build; scripts/test.sh's build of the sample runs them too): dbt's unit
    tests, which read no raw data, and the marts' column checks (tag
    column_checks: not null, categories, ranges), which the golden and
    sample builds cover; every other data test runs in every build."""
    env = dict(os.environ, **overrides)
    env.update(
        CRM_RAW_DIR=str(raw_dir),
        CRM_WAREHOUSE=str(warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    cli_vars = extra[extra.index("--vars") + 1] if "--vars" in extra else ""
    manifest = None
    if reuse_parse and not any(name in overrides for name in PARSE_ENV):
        manifest = parsed_manifest(warehouse.stem, env.get("CRM_SOURCE") or "export", cli_vars)
    args = ["build", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    args += ["--target-path", str(warehouse.parent / "target")]
    args += ["--log-path", str(warehouse.parent / "logs"), *extra]
    if not full_tests and "--exclude" not in extra and "--select" not in extra:
        args += ["--exclude", "test_type:unit", "tag:column_checks"]
    if manifest is not None:
        import dbt_parsed

        returncode, output = dbt_parsed.run(manifest, args, env)
        return Build(returncode, output, warehouse)
    done = subprocess.run([str(DBT), *args], env=env, capture_output=True, text=True, check=False)
    return Build(done.returncode, done.stdout + done.stderr, warehouse)


def built_export(
    folder: Path, events: str, leads: str, activities: str, name: str, full_tests: bool = False
) -> Build:
    """Write an export into folder/raw and build it into folder/name; it must pass."""
    raw = write_export(folder / "raw", events, leads, activities)
    build = dbt_build(raw, folder / name, full_tests=full_tests)
    assert build.returncode == 0, build.output[-3000:]
    return build


def cli_env(warehouse: Path | None = None, /, **env: str) -> dict[str, str]:
    """The environment of a `crm-funnel build`, env overrides as keywords; dbt's
    artifacts go to a folder of their own (tests run in parallel), one per
    `warehouse` where it is given: a later build of the same warehouse parses
    only what changed, as a user's does in target/. dbt's unit tests read no
    raw data: they run in the golden and sample builds, not in every CLI build
    (DBT_EXCLUDE_RESOURCE_TYPES is dbt's own setting)."""
    PARSED.mkdir(parents=True, exist_ok=True)
    if warehouse is None:
        artifacts = Path(tempfile.mkdtemp(prefix="cli-", dir=PARSED))
    else:
        artifacts = PARSED / ("cli-" + short_hash(str(warehouse)))
    return dict(
        os.environ,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_TARGET_PATH=str(artifacts / "target"),
        DBT_LOG_PATH=str(artifacts / "logs"),
        DBT_EXCLUDE_RESOURCE_TYPES="unit_test",
        **env,
    )


def cli_build(
    raw: Path, warehouse: Path, *extra: str, report: bool = False, **env: str
) -> subprocess.CompletedProcess:
    """`crm-funnel build` of a raw folder into a warehouse, env overrides as
    keywords. The HTML report is written only where the test reads it
    (report=True); the others pass --skip-report (about 4 s of charts each)."""
    extra = extra if report else (*extra, "--skip-report")
    return subprocess.run(
        [str(CLI), "build", "--raw-dir", str(raw), "--warehouse", str(warehouse), *extra],
        env=cli_env(warehouse, **env),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def build_export(tmp_path: Path):
    """Build a raw export given as CSV bodies; returns the Build."""

    def _build(events: str, leads: str, activities: str, *extra: str) -> Build:
        raw = write_export(tmp_path / "raw", events, leads, activities)
        return dbt_build(raw, tmp_path / "w.duckdb", *extra)

    return _build
