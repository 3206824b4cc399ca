"""`bench/benchmark.py --target postgres`: the same export built on PostgreSQL
beside DuckDB, in one run.

Per size, on a throwaway PostgreSQL server (crm_funnel.postgres_server, on
loopback, stopped at the end):

  duckdb build    the whole `dbt build --full-refresh` on the Parquet export
  pg load-raw     `crm-funnel load-raw --target postgres`: the export into crm_raw.*
  pg build        the whole `dbt build --full-refresh` on those raw tables
  pg crm-funnel   `crm-funnel build --target postgres --full-refresh`: the same
                  build and the Great Expectations gate, computed in the server
  pg nightly      the raw tables as they were before the last ~0.5% of events
                  (whole load days), built in full (not timed); then the
                  night's rows appended to the tables (timed apart) and the
                  models run incrementally, as on DuckDB (`dbt inc`)
  pg nightly build  the same night as a whole `dbt build` (models and tests)

Every step's weekly SAL mart must equal DuckDB's before timings count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from benchmark import BIN, PROJECT, WEEKLY, dbt, phases_in, read_weekly, weekly_from_warehouse

from crm_funnel import postgres_server, raw_load
from crm_funnel.dbt_plugin import SAMPLE_SALT
from crm_funnel.engines import dbt_env

DUCKDB_BUILD = "DuckDB: dbt build (whole)"
LOAD = "PostgreSQL: crm-funnel load-raw"
BUILD = "PostgreSQL: dbt build (whole)"
USER_BUILD = "PostgreSQL: crm-funnel build (gate on)"
APPEND = "PostgreSQL: append the night's rows"
NIGHTLY = "PostgreSQL: dbt incremental run"
NIGHTLY_BUILD = "PostgreSQL: dbt build, incremental"


def rounded(rows: list[tuple]) -> list[tuple]:
    return [
        tuple(
            round(float(v), 6) if isinstance(v, float) or type(v).__name__ == "Decimal" else v
            for v in row
        )
        for row in rows
    ]


def weekly_duckdb(warehouse: Path) -> list[tuple]:
    out = warehouse.with_suffix(".weekly.parquet")
    weekly_from_warehouse(warehouse, out)
    return read_weekly(out)


def weekly_postgres(env: dict[str, str]) -> list[tuple]:
    connection = postgres_server.connect(env)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"select {WEEKLY} from main.rpt_sal_rates_weekly order by mql_week")
            return rounded([tuple(row) for row in cursor.fetchall()])
    finally:
        connection.close()


def run_postgres_size(size, folder, parquet, base, night, step, log) -> None:
    """The PostgreSQL steps at one size (`step(name, fmt, command, env)` times
    one command; DuckDB's whole build runs first, on the same export)."""
    target = folder / "target"
    warehouse = folder / "warehouse.duckdb"
    command, env = dbt(["build", "--full-refresh"], parquet, warehouse, target)
    step(DUCKDB_BUILD, "parquet", command, env)
    reference = weekly_duckdb(warehouse)
    warehouse.unlink()

    server = folder / "pg"
    settings = postgres_server.start(server)
    try:
        pg_env = dict(
            os.environ,
            **settings,
            CRM_TARGET="postgres",
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            **dbt_env("postgres", os.environ.get("CRM_EMAIL_SALT", SAMPLE_SALT)),
        )
        pg_target = folder / "pg_target"
        load = [str(BIN / "crm-funnel"), "load-raw", "--target", "postgres"]
        build = [str(BIN / "dbt"), "build", "--project-dir", str(PROJECT)]
        build += ["--profiles-dir", str(PROJECT), "--target-path", str(pg_target)]
        build += ["--log-path", str(pg_target / "logs")]
        models = [*build, "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]

        step(LOAD, "pg tables", [*load, "--raw-dir", str(parquet)], pg_env)
        step(BUILD, "pg tables", [*build, "--full-refresh"], pg_env)
        if weekly_postgres(settings) != reference:
            raise SystemExit(f"{size} leads: PostgreSQL's weekly mart disagrees with DuckDB's")
        user = [str(BIN / "crm-funnel"), "build", "--target", "postgres", "--full-refresh"]
        step(USER_BUILD, "pg tables", user, pg_env, phases_in)

        # the night: yesterday's tables and warehouse, then today's rows
        for timed, name in [(models, NIGHTLY), (build, NIGHTLY_BUILD)]:
            with log.open("a") as output:
                for command in ([*load, "--raw-dir", str(base)], [*build, "--full-refresh"]):
                    output.write(f"\n$ {' '.join(command)}\n")
                    output.flush()
                    subprocess.run(command, env=pg_env, stdout=output, stderr=output, check=True)
            started = time.perf_counter()
            connection = postgres_server.connect(settings)
            raw_load.load_postgres(night, connection, append=True)
            connection.close()
            appended = time.perf_counter() - started
            print(f"  {size:>9} {APPEND:<40} {'pg tables':<9} {appended:8.1f} s", flush=True)
            step(name, "pg tables", timed, pg_env)
            if weekly_postgres(settings) != reference:
                raise SystemExit(f"{size} leads: PostgreSQL's {name} disagrees with DuckDB's")
    finally:
        postgres_server.stop(server)
        shutil.rmtree(server, ignore_errors=True)


def targets(steps) -> list[str]:
    """Issue 25's targets, per size, from the measured steps."""
    lines = []
    for size in sorted({s.size for s in steps}):
        got = {s.name: s for s in steps if s.size == size}
        duck, build = got[DUCKDB_BUILD].seconds, got[BUILD].seconds
        nightly, nightly_build = got[NIGHTLY].seconds, got[NIGHTLY_BUILD].seconds
        lines.append(f"- **{size:,} leads**")
        lines.append(
            f"  - whole `dbt build`: PostgreSQL {build:.1f} s, DuckDB {duck:.1f} s:"
            f" {build / duck:.2f}x"
            + (
                f" (target 2x at 1M: {'met' if build / duck <= 2 else 'missed'})"
                if size == 1_000_000
                else ""
            )
        )
        lines.append(
            f"  - nightly run on PostgreSQL: models {nightly:.1f} s = {nightly / build:.0%} of"
            f" the whole build (target 15%: {'met' if nightly / build <= 0.15 else 'missed'});"
            f" with the tests, {nightly_build:.1f} s = {nightly_build / build:.0%}"
        )
        lines.append(f"  - loading the export: {got[LOAD].seconds:.1f} s")
        if USER_BUILD in got and got[USER_BUILD].phases:
            phases = got[USER_BUILD].phases
            gate, inside = phases["gate"], phases["dbt build"]
            lines.append(
                f"  - `crm-funnel build --target postgres`: {got[USER_BUILD].seconds:.1f} s; the"
                f" gate, in the server, {gate:.1f} s = {gate / inside:.0%} of its dbt build"
                f" ({inside:.1f} s)"
            )
    return lines
