"""The crm-funnel command line: build, report, validate, generate.

Thin by design: dbt builds, Great Expectations validates, DuckDB answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_RAW_DIR = PROJECT_DIR / "data" / "sample"
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "crm_funnel.duckdb"


def warehouse_path() -> Path:
    return Path(os.environ.get("CRM_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve()


def validation_docs_path(warehouse: Path) -> Path:
    """The Data Docs site of the last validation lives next to the warehouse."""
    return warehouse.with_name(f"{warehouse.stem}_validation")


def run_dbt(args: list[str], warehouse: Path | None = None) -> bool:
    """Run one dbt command in the project with its in-repo profile."""
    warehouse = warehouse or warehouse_path()
    env = dict(os.environ)
    env["CRM_RAW_DIR"] = str(Path(env.get("CRM_RAW_DIR", DEFAULT_RAW_DIR)).resolve())
    env["CRM_WAREHOUSE"] = str(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    # a separate process, so dbt's DuckDB connection is closed when it returns
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--project-dir", str(PROJECT_DIR)]
    command += ["--profiles-dir", str(PROJECT_DIR)]
    return subprocess.run(command, env=env, check=False).returncode == 0


def models_out_of_sync(since: float) -> bool:
    """The dbt run that just failed did so because an incremental model's
    columns differ from the table a previous version of the project built
    (on_schema_change='fail'), read from dbt's run_results.json."""
    results = PROJECT_DIR / "target" / "run_results.json"
    if not results.exists() or results.stat().st_mtime < since:
        return False
    messages = [r.get("message") or "" for r in json.loads(results.read_text())["results"]]
    return any("out of sync" in message for message in messages)


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def checkpoint(path: Path) -> None:
    """Fold a DuckDB write-ahead log into its file, so the file alone is complete."""
    if path.with_name(path.name + ".wal").exists():
        import duckdb

        with duckdb.connect(str(path)) as connection:
            connection.execute("checkpoint")


def build_atomically(
    target: Path, full_refresh: bool, gate: bool, expectations: Path, threads: str | None
) -> int:
    """dbt build into a copy of the warehouse; validate; swap in only on success.

    Readers of `target` (a BI tool, a notebook) see the previous complete
    warehouse until the rename, and keep it if anything fails.
    """
    work = target.with_name(f".{target.name}.building")
    remove_database(work)
    if target.exists() and not full_refresh:
        checkpoint(target)
        shutil.copyfile(target, work)  # incremental models build on the previous state
    args = ["build"] + (["--full-refresh"] if full_refresh else [])
    args += ["--threads", threads] if threads else []
    started = time.time()
    if not run_dbt(args, warehouse=work):
        remove_database(work)
        print(
            f"crm-funnel: dbt build failed (see the messages above); {target} was not changed",
            file=sys.stderr,
        )
        if not full_refresh and models_out_of_sync(since=started):
            print(
                f"crm-funnel: {target} was built by an earlier version of the models (their"
                " columns changed); rebuild it once with `crm-funnel build --full-refresh`",
                file=sys.stderr,
            )
        return 1
    checkpoint(work)
    if gate:
        from crm_funnel.validate import run_suites, summary

        docs = validation_docs_path(target)
        try:
            text, passed = summary(run_suites(work, expectations, docs_dir=docs))
        except BaseException:
            remove_database(work)
            raise
        print("== Great Expectations (release gate)")
        print(text)
        print(f"validation report: {docs / 'index.html'}")
        if not passed:
            remove_database(work)
            print(
                f"crm-funnel: the Great Expectations gate failed; {target} was not changed",
                file=sys.stderr,
            )
            return 1
    os.replace(work, target)
    return 0


def headline(warehouse: Path) -> str:
    """The numbers a person wants first: SAL rate, median TTA, top rejection reason."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        handoffs, sal_rate, median_tta = connection.execute(
            """
            select
                count(*),
                count(*) filter (where decision = 'accepted') / nullif(count(*), 0),
                quantile_cont(tta_hours, 0.5) filter (where decision != 'pending')
            from main.fct_lead_handoffs
            where entry_stage = 'mql'
            """
        ).fetchone()
        top = connection.execute(
            """
            select reason_code, count(*) as rejections
            from main.fct_lead_rejections
            group by reason_code
            order by rejections desc, reason_code
            limit 1
            """
        ).fetchone()
        dq = connection.execute(
            "select source, raw_rows, clean_rows, dropped_rows from main.dq_load_summary "
            "order by source"
        ).fetchall()
    lines = [
        f"warehouse: {warehouse}",
        f"MQL handoffs: {handoffs}",
        f"SAL rate: {sal_rate:.1%}" if sal_rate is not None else "SAL rate: n/a (no handoffs)",
        f"median TTA: {median_tta:.2f} h" if median_tta is not None else "median TTA: n/a",
        f"top rejection reason: {top[0]} ({top[1]})" if top else "top rejection reason: n/a",
    ]
    for source, raw, clean, dropped in dq:
        lines.append(f"{source}: {raw} raw rows = {clean} clean + {dropped} dropped")
    return "\n".join(lines)


def cmd_build(options: argparse.Namespace) -> int:
    if options.raw_dir:
        os.environ["CRM_RAW_DIR"] = options.raw_dir
    if options.warehouse:
        os.environ["CRM_WAREHOUSE"] = options.warehouse
    status = build_atomically(
        warehouse_path(),
        full_refresh=options.full_refresh,
        gate=not options.skip_gate,
        expectations=Path(options.expectations),
        threads=options.threads,
    )
    if status == 0:
        print(headline(warehouse_path()))
    return status


def cmd_report(options: argparse.Namespace) -> int:
    print(headline(warehouse_path()))
    return 0


def cmd_validate(options: argparse.Namespace) -> int:
    from crm_funnel.validate import run_suites, summary

    docs = Path(options.docs) if options.docs else validation_docs_path(warehouse_path())
    outcomes = run_suites(warehouse_path(), Path(options.expectations), docs)
    text, passed = summary(outcomes, verbose=options.verbose)
    print(text)
    print(f"validation report: {docs / 'index.html'}")
    return 0 if passed else 1


def cmd_generate(options: argparse.Namespace) -> int:
    import time

    from crm_funnel.generate import DirtRates, generate

    started = time.perf_counter()
    summary = generate(
        options.leads,
        Path(options.out),
        options.format,
        options.seed,
        DirtRates.parse(options.dirt),
        options.days,
    )
    print(
        f"wrote {summary.events} events, {summary.lead_rows} lead rows, "
        f"{summary.activities} activities for {summary.leads} leads to {options.out} "
        f"({options.format}; loads {summary.first_load} .. {summary.last_load}) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crm-funnel", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build",
        help="dbt build into a copy of the warehouse, Great Expectations gate, swap on success",
    )
    build.add_argument("--raw-dir", help="raw export folder (default: CRM_RAW_DIR or the sample)")
    build.add_argument("--warehouse", help="DuckDB file (default: CRM_WAREHOUSE)")
    build.add_argument(
        "--full-refresh", action="store_true", help="rebuild every model from scratch"
    )
    build.add_argument(
        "--skip-gate", action="store_true", help="swap in without running Great Expectations"
    )
    build.add_argument("--threads", help="dbt threads (default: CRM_THREADS or the profile's)")
    build.add_argument("--expectations", default=str(PROJECT_DIR / "expectations"))
    build.set_defaults(handler=cmd_build)

    report = commands.add_parser("report", help="headline numbers of the built warehouse")
    report.set_defaults(handler=cmd_report)

    validate = commands.add_parser("validate", help="run the Great Expectations suites")
    validate.add_argument("--expectations", default=str(PROJECT_DIR / "expectations"))
    validate.add_argument("--docs", help="Data Docs folder (default: next to the warehouse)")
    validate.add_argument("--verbose", action="store_true", help="print passing checks too")
    validate.set_defaults(handler=cmd_validate)

    generate = commands.add_parser("generate", help="write a realistic messy raw export")
    generate.add_argument("--leads", type=int, default=300)
    generate.add_argument("--out", required=True)
    generate.add_argument("--format", choices=["csv", "parquet"], default="csv")
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument(
        "--days", type=int, help="days of history (default: 25 leads a day, 8 weeks to 2 years)"
    )
    generate.add_argument(
        "--dirt",
        action="append",
        default=[],
        metavar="NAME=RATE",
        help="override a dirt rate (repeatable), e.g. duplicate=0.02; 'clean' sets all to 0",
    )
    generate.set_defaults(handler=cmd_generate)

    options = parser.parse_args(argv)
    return int(options.handler(options))


if __name__ == "__main__":
    sys.exit(main())
