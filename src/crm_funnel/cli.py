"""The crm-funnel command line: build, report, validate, generate.

Thin by design: dbt builds, Great Expectations validates, DuckDB answers.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Every default of a build, in one place for the CLI. A plain `dbt build` reads
# the same values from profiles.yml and macros/raw_files.sql (raw_dir);
# tests/python/test_defaults.py keeps them equal.
DEFAULT_RAW_DIR = PROJECT_DIR / "data" / "sample"
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "crm_funnel.duckdb"
DEFAULT_THREADS = "2"
DEFAULT_MEMORY_LIMIT = "50%"  # of the machine's (or container's) memory
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# lines of dbt's output that carry one of the project's own one-line messages
# (errors only: "crm-funnel warning: ..." lines are not why a build failed)
PROJECT_MESSAGE = re.compile(r"(crm-funnel(?::| raw input error) .*)")


class BuildError(Exception):
    """A failure of `crm-funnel build` told in one line."""


class Phases:
    """Where a build's time went, printed as its last line: dbt (a child
    process), the gate and the report, and the rest (crm-funnel's own work:
    parse, copy, swap, headline, per-file summary). bench/benchmark.py reads
    this line; docs/performance.md has the targets."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def line(self) -> str:
        total = time.perf_counter() - self.started
        parts = [f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items()]
        rest = total - sum(self.seconds.values())
        return f"took {total:.1f} s: " + ", ".join([*parts, f"the rest {rest:.1f} s"])


PHASES = Phases()


def check_suites_first(expectations: Path) -> None:
    """The gate's suites and thresholds, checked before dbt builds: a suite
    that is not JSON or names an unknown parameter stops the build at once, in
    one line, rather than after the whole build (SystemExit, as the gate)."""
    from crm_funnel.validate import check_suites

    check_suites(expectations)


def prepare_meanwhile(gate: bool, headline: bool, report: bool) -> threading.Thread:
    """While dbt builds (a child process this one waits for), a thread gets
    ready what comes after it: Great Expectations for the gate (about 2.5 s
    of import), and MetricFlow, altair and vl-convert's JavaScript runtime for
    the headline and the report (about 1 s). Whatever is not ready when it is
    needed is waited for by Python's import lock (docs/performance.md,
    "Issue 26: the gate's DuckDB threads"). A failure here is left to the
    step that needs the module, which says it in one line."""

    def prepare() -> None:
        try:
            if gate:
                from crm_funnel.validate import import_great_expectations

                import_great_expectations()
            if headline:
                from crm_funnel.metrics import import_metricflow

                import_metricflow()
            if report:
                from crm_funnel.report_page import start_chart_runtime

                start_chart_runtime()
        except Exception:  # noqa: S110 - the step itself meets it again and says it in one line
            pass

    thread = threading.Thread(target=prepare, daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class Settings:
    """What a build reads, resolved and checked before anything is written."""

    raw_dir: Path
    warehouse: Path
    threads: str
    memory_limit: str
    dbt_vars: str | None = None

    @classmethod
    def resolve(
        cls,
        raw_dir: str | None = None,
        warehouse: str | None = None,
        threads: str | None = None,
        dbt_vars: str | None = None,
    ) -> Settings:
        settings = cls(
            # a path is taken as given: a folder name may end in a space
            raw_dir=Path(raw_dir or os.environ.get("CRM_RAW_DIR") or DEFAULT_RAW_DIR).absolute(),
            warehouse=Path(
                warehouse or os.environ.get("CRM_WAREHOUSE") or DEFAULT_WAREHOUSE
            ).absolute(),
            threads=threads or os.environ.get("CRM_THREADS") or DEFAULT_THREADS,
            memory_limit=os.environ.get("CRM_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
            dbt_vars=dbt_vars,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not self.threads.strip().isdecimal() or int(self.threads) < 1:
            raise BuildError(
                f"threads (--threads or CRM_THREADS) must be a whole number of at least 1,"
                f" got {self.threads!r}"
            )
        import duckdb

        with duckdb.connect() as connection:
            try:
                quoted = self.memory_limit.replace("'", "''")
                connection.execute(f"set memory_limit = '{quoted}'")
            except duckdb.Error as error:
                raise BuildError(
                    f"CRM_MEMORY_LIMIT={self.memory_limit!r} is not a memory size DuckDB"
                    f" accepts (e.g. 2GB, 500MB, 80%): {first_line(str(error))}"
                ) from None
        from crm_funnel.dbt_plugin import EmptySaltError, email_salt

        try:
            email_salt()
        except EmptySaltError as error:
            raise BuildError(str(error).removeprefix("crm-funnel: ")) from None
        if not self.raw_dir.is_dir():
            raise BuildError(f"the raw folder {self.raw_dir} does not exist or is not a folder")

    def dbt_env(self, warehouse: Path) -> dict[str, str]:
        """The environment dbt runs with: the profile reads these (profiles.yml)."""
        return dict(
            os.environ,
            CRM_RAW_DIR=str(self.raw_dir),
            CRM_WAREHOUSE=str(warehouse),
            CRM_THREADS=self.threads.strip(),
            CRM_MEMORY_LIMIT=self.memory_limit,
        )


def cannot_write(error: OSError) -> str:
    """A file-system failure (no such folder, a full disk) in one line."""
    where = f" ({error.filename})" if error.filename else ""
    return f"cannot write the warehouse: {error.strerror or error}{where}"


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def warehouse_path() -> Path:
    return Path(os.environ.get("CRM_WAREHOUSE") or DEFAULT_WAREHOUSE).absolute()


def validation_docs_path(warehouse: Path) -> Path:
    """The Data Docs site of the last validation lives next to the warehouse."""
    return warehouse.with_name(f"{warehouse.stem}_validation")


@dataclass
class DbtRun:
    ok: bool
    messages: list[str]  # the project's own one-line messages dbt printed


def run_dbt(args: list[str], settings: Settings, warehouse: Path) -> DbtRun:
    """Run one dbt command in the project with its in-repo profile, passing its
    output through and keeping the project's own messages (`crm-funnel...`)."""
    # a separate process, so dbt's DuckDB connection is closed when it returns
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--project-dir", str(PROJECT_DIR)]
    command += ["--profiles-dir", str(PROJECT_DIR)]
    command += ["--vars", settings.dbt_vars] if settings.dbt_vars else []
    return stream_dbt(command, settings.dbt_env(warehouse))


def stream_dbt(command: list[str], env: dict[str, str]) -> DbtRun:
    """Run a dbt command line, passing its output through and keeping the
    project's own one-line messages (`crm-funnel: ...`) it printed."""
    messages = []
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            found = PROJECT_MESSAGE.search(ANSI_ESCAPE.sub("", line))
            if found:
                messages.append(found.group(1).strip())
    sys.stdout.flush()
    return DbtRun(process.returncode == 0, messages)


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def checkpoint(path: Path) -> None:
    """Fold a DuckDB write-ahead log into its file, so the file alone is complete."""
    if path.with_name(path.name + ".wal").exists():
        import duckdb

        with duckdb.connect(str(path)) as connection:
            connection.execute("checkpoint")


def drop_raw_views(path: Path) -> None:
    """The raw views read the export, PII included: none is published (dbt's
    on-run-end drops them too; this holds when a hook was skipped)."""
    import duckdb

    with duckdb.connect(str(path)) as connection:
        connection.execute("drop schema if exists raw cascade")
        connection.execute("checkpoint")


@contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One build per warehouse at a time: a second one refuses, naming the
    holder. The lock (flock on `.<name>.lock`) ends with the process that holds
    it, so a killed build never leaves a stale lock."""
    lock_path = warehouse.with_name(f".{warehouse.name}.lock")
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise BuildError(
                f"another build of this warehouse is running ({holder}; lock {lock_path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        handle.write(
            f"crm-funnel build, pid {os.getpid()} on {socket.gethostname()}, started {started}"
        )
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def validate_into(work: Path, expectations: Path, docs: Path) -> tuple[str, bool]:
    """Run the gate on `work`, writing its Data Docs beside `docs` first: the
    previous report stays until the new one is complete."""
    from crm_funnel.validate import run_suites, summary

    fresh = docs.with_name(docs.name + ".building")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        result = summary(run_suites(work, expectations, docs_dir=fresh))
        old = docs.with_name(docs.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if docs.exists():
            os.replace(docs, old)
        os.replace(fresh, docs)
        shutil.rmtree(old, ignore_errors=True)
        return result
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def build_atomically(
    settings: Settings, full_refresh: bool, gate: bool, expectations: Path, report: bool = True
) -> None:
    """dbt build into a copy of the warehouse; validate; swap in only on success.

    Readers of the warehouse (a BI tool, a notebook) see the previous complete
    warehouse until the rename, and keep it if anything fails: any failure
    raises BuildError, after the copy is removed.
    """
    target = settings.warehouse
    work = target.with_name(f".{target.name}.building")
    try:
        if gate:  # before the copy and the build: a broken suite stops at once
            check_suites_first(expectations)
        remove_database(work)
        if target.exists() and not full_refresh:
            checkpoint(target)
            shutil.copyfile(target, work)  # incremental models build on the previous state
        args = ["build"] + (["--full-refresh"] if full_refresh else [])
        args += ["--threads", settings.threads.strip()]
        prepare_meanwhile(gate, headline=True, report=report)
        with PHASES.timed("dbt build"):
            run = run_dbt(args, settings, warehouse=work)
        if not run.ok:
            if run.messages:
                raise BuildError(run.messages[-1].removeprefix("crm-funnel: "))
            raise BuildError("dbt build failed (see the messages above)")
        drop_raw_views(work)
        checkpoint(work)
        if gate:
            docs = validation_docs_path(target)
            with PHASES.timed("gate"):
                text, passed = validate_into(work, expectations, docs)
            print("== Great Expectations (release gate)")
            print(text)
            print(f"validation report: {docs / 'index.html'}")
            if not passed:
                raise BuildError("the Great Expectations gate failed")
        os.replace(work, target)
    except OSError as error:
        raise BuildError(cannot_write(error)) from None
    except BuildError:
        raise
    except SystemExit as error:  # the gate's own message (a suite it cannot read)
        raise BuildError(first_line(str(error.code))) from None
    except Exception as error:  # a library's own failure (DuckDB, Great Expectations)
        raise BuildError(f"{type(error).__name__}: {first_line(str(error))}") from None
    finally:
        remove_database(work)


# every raw file's rows accounted for, as the build prints them on any engine
LOADS_QUERY = (
    "select source, raw_rows, clean_rows, dropped_rows from main.dq_load_summary order by source"
)


def headline(layer) -> str:
    """The numbers a person wants first: MQL handoffs, SAL rate, median TTA and
    the top rejection reason, as the semantic layer defines them
    (crm_funnel.metrics.SemanticLayer), and every raw file's rows accounted for."""
    numbers = layer.query(["mql_handoffs", "sal_rate", "median_tta_hours"])[0]
    reasons = layer.query(["rejections"], ["rejection__reason_code"])
    dq = layer.connection.execute(LOADS_QUERY).fetchall()
    top = min(
        reasons, key=lambda row: (-row["rejections"], row["rejection__reason_code"]), default=None
    )
    sal_rate, median_tta = numbers["sal_rate"], numbers["median_tta_hours"]
    lines = [
        f"warehouse: {layer.warehouse}",
        f"MQL handoffs: {numbers['mql_handoffs'] or 0}",
        f"SAL rate: {sal_rate:.1%}" if sal_rate is not None else "SAL rate: n/a (no handoffs)",
        f"median TTA: {median_tta:.2f} h" if median_tta is not None else "median TTA: n/a",
        f"top rejection reason: {top['rejection__reason_code']} ({top['rejections']})"
        if top
        else "top rejection reason: n/a",
    ]
    for source, raw, clean, dropped in dq:
        lines.append(f"{source}: {raw} raw rows = {clean} clean + {dropped} dropped")
    return "\n".join(lines)


def publish(warehouse: Path, report: Path | None, just_built: bool) -> int:
    """Print the headline numbers of a warehouse and write its HTML report to
    `report` (None: no report), on one semantic-layer connection. Any failure
    is one line and exit code 1; a warehouse just built stays published."""
    from crm_funnel.metrics import SemanticLayer
    from crm_funnel.report import write_report

    step = "its headline numbers could not be read"
    try:
        with SemanticLayer(warehouse) as layer:
            print(headline(layer))
            if report is not None:
                step = "its report was not written"
                with PHASES.timed("report"):
                    written = write_report(layer, report)
                print(f"report: {written}")
    except Exception as error:  # a full disk, an unwritable folder, a library's failure
        built = f"{warehouse} was built, but" if just_built else f"{warehouse}:"
        print(
            f"crm-funnel: {built} {step}: {type(error).__name__}: {first_line(str(error))}",
            file=sys.stderr,
        )
        return 1
    return 0


def gate_on_engine(target: str, expectations: Path) -> tuple[list, list]:
    """The gate's outcomes on `target`, and dq_load_summary's rows. On
    PostgreSQL the checks run in the server; Spark has no SQLAlchemy driver
    here, so the tables the suites read are copied into a DuckDB file first
    (docs/engines.md, "What crm-funnel build does")."""
    from crm_funnel.engines import local_copy, postgres_settings, reader
    from crm_funnel.validate import Warehouse, run_suites, tables_read

    if target == "postgres":
        outcomes = run_suites(Warehouse.postgres(postgres_settings()), expectations)
        with reader(target) as query:
            loads = [tuple(row) for row in query(LOADS_QUERY).itertuples(index=False)]
        return outcomes, loads
    with tempfile.TemporaryDirectory(prefix="crm-funnel-gate-") as folder:
        path = Path(folder) / "copy.duckdb"
        tables = [*tables_read(expectations), ("main", "dq_load_summary")]
        with local_copy(target, tables, path) as copy:
            loads = copy.execute(LOADS_QUERY).fetchall()
        return run_suites(path, expectations), loads


def build_on_engine(options: argparse.Namespace) -> int:
    """`crm-funnel build --target postgres|spark`: the real dbt build on that
    engine, then the Great Expectations gate reading the marts through it. The
    raw data are the engine's tables (var raw_source tables; `crm-funnel
    load-raw` puts an export there). There is no file to swap: dbt replaces
    each table on its own (docs/engines.md, "What crm-funnel build does")."""
    from crm_funnel.dbt_plugin import EmptySaltError, email_salt
    from crm_funnel.engines import dbt_env
    from crm_funnel.validate import summary

    target = options.target
    try:
        threads = options.threads or os.environ.get("CRM_THREADS") or DEFAULT_THREADS
        if not threads.strip().isdecimal() or int(threads) < 1:
            raise BuildError(f"threads must be a whole number of at least 1, got {threads!r}")
        try:
            salt, _ = email_salt()
        except EmptySaltError as error:
            raise BuildError(str(error).removeprefix("crm-funnel: ")) from None
        dbt = Path(sys.executable).parent / "dbt"
        command = [str(dbt), "build", "--project-dir", str(PROJECT_DIR)]
        command += ["--profiles-dir", str(PROJECT_DIR), "--threads", threads.strip()]
        # artifacts of their own: target/semantic_manifest.json stays the DuckDB
        # warehouse's, which `crm-funnel report` and `mf` read
        command += ["--target-path", str(PROJECT_DIR / "target" / target)]
        command += ["--full-refresh"] if options.full_refresh else []
        command += ["--vars", options.vars] if options.vars else []
        env = dict(os.environ, CRM_TARGET=target, **dbt_env(target, salt))
        if not options.skip_gate:
            check_suites_first(Path(options.expectations))
            prepare_meanwhile(gate=True, headline=False, report=False)
        with PHASES.timed("dbt build"):
            run = stream_dbt(command, env)
        if not run.ok:
            if run.messages:  # the project's own one line (a missing role, table, column)
                raise BuildError(run.messages[-1].removeprefix("crm-funnel: "))
            raise BuildError(f"dbt build on {target} failed (see the messages above)")
        if not options.skip_gate:
            with PHASES.timed("gate"):
                outcomes, loads = gate_on_engine(target, Path(options.expectations))
            text, passed = summary(outcomes)
            print("== Great Expectations (release gate)")
            print(text)
            if not passed:
                raise BuildError(f"the Great Expectations gate failed on {target}")
        else:
            loads = None
    except SystemExit as error:  # the gate's own message (a suite it cannot read)
        print(f"crm-funnel: {first_line(str(error.code))}", file=sys.stderr)
        return 1
    except BuildError as error:
        print(f"crm-funnel: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the engine's or a library's own failure
        print(f"crm-funnel: {type(error).__name__}: {first_line(str(error))}", file=sys.stderr)
        return 1
    print(f"built on {target}: the marts are in schema main")
    for row in loads or []:
        print(f"{row[0]}: {row[1]} raw rows = {row[2]} clean + {row[3]} dropped")
    print(
        "the headline metrics and the HTML report read a DuckDB warehouse"
        " (crm-funnel report); on this engine query the marts or the semantic layer's SQL"
    )
    print(PHASES.line())
    return 0


def cmd_load_raw(options: argparse.Namespace) -> int:
    """Copy an export's three files into the raw tables of `--target`."""
    from crm_funnel import raw_load

    raw = Path(options.raw_dir or os.environ.get("CRM_RAW_DIR") or DEFAULT_RAW_DIR).absolute()
    try:
        if options.target == "postgres":
            from crm_funnel.engines import postgres_settings
            from crm_funnel.postgres_server import connect

            connection = connect(postgres_settings())
            try:
                raw_load.load_postgres(raw, connection, options.schema)
            finally:
                connection.close()
        elif options.target == "spark":
            from crm_funnel.spark_session import session

            spark = session()
            try:
                raw_load.load_spark(raw, spark, options.schema)
            finally:
                spark.stop()
        else:
            import duckdb

            with duckdb.connect(str(warehouse_path())) as connection:
                raw_load.load_duckdb(raw, connection, options.schema)
    except Exception as error:  # a missing file, the engine's own failure
        print(f"crm-funnel: {type(error).__name__}: {first_line(str(error))}", file=sys.stderr)
        return 1
    print(f"loaded {raw} into {options.schema}.* on {options.target}")
    return 0


def cmd_build(options: argparse.Namespace) -> int:
    if options.target != "duckdb":
        return build_on_engine(options)
    warehouse = Path(options.warehouse).absolute() if options.warehouse else warehouse_path()
    try:
        settings = Settings.resolve(
            options.raw_dir, options.warehouse, options.threads, options.vars
        )
        settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
        with warehouse_lock(settings.warehouse):
            build_atomically(
                settings,
                full_refresh=options.full_refresh,
                gate=not options.skip_gate,
                expectations=Path(options.expectations),
                report=not options.skip_report,
            )
    except OSError as error:
        failure = cannot_write(error)
    except BuildError as error:
        failure = str(error)
    else:
        from crm_funnel.report import default_report_path

        report = None if options.skip_report else default_report_path(settings.warehouse)
        code = publish(settings.warehouse, report, just_built=True)
        print(PHASES.line())
        return code
    print(f"crm-funnel: {failure}; {warehouse} was not changed", file=sys.stderr)
    return 1


def cmd_report(options: argparse.Namespace) -> int:
    warehouse = Path(options.warehouse).absolute() if options.warehouse else warehouse_path()
    if not warehouse.exists():
        print(
            f"crm-funnel: no warehouse at {warehouse}; run crm-funnel build first", file=sys.stderr
        )
        return 1
    html = Path(options.html).absolute() if options.html else None
    return publish(warehouse, html, just_built=False)


def cmd_validate(options: argparse.Namespace) -> int:
    from crm_funnel.validate import run_suites, summary

    docs = Path(options.docs) if options.docs else validation_docs_path(warehouse_path())
    outcomes = run_suites(warehouse_path(), Path(options.expectations), docs)
    text, passed = summary(outcomes, verbose=options.verbose)
    print(text)
    print(f"validation report: {docs / 'index.html'}")
    return 0 if passed else 1


def cmd_generate(options: argparse.Namespace) -> int:
    import tempfile
    import time

    from crm_funnel.generate import DirtRates, generate

    started = time.perf_counter()
    crm = options.crm or os.environ.get("CRM_SOURCE") or "export"
    with tempfile.TemporaryDirectory(prefix="crm-funnel-export-") as scratch:
        summary = generate(
            options.leads,
            Path(scratch) if crm != "export" else Path(options.out),
            options.format,
            options.seed,
            DirtRates.parse(options.dirt),
            options.days,
        )
        if crm != "export":
            if crm == "salesforce":
                from crm_funnel.generate_salesforce import to_salesforce as rewrite
            else:
                from crm_funnel.generate_hubspot import to_hubspot as rewrite

            counts = rewrite(Path(scratch), Path(options.out), options.format)
            print(
                f"wrote {'Salesforce' if crm == 'salesforce' else 'HubSpot'} tables for"
                f" {summary.leads} leads to {options.out} ({options.format}; "
                + ", ".join(f"{name} {rows} rows" for name, rows in counts.items())
                + f") in {time.perf_counter() - started:.1f} s"
            )
            return 0
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
        "--crm",
        choices=["export", "salesforce", "hubspot"],
        help="whose data the raw folder or tables hold (default: CRM_SOURCE or export;"
        " docs/sources.md)",
    )
    build.add_argument(
        "--full-refresh", action="store_true", help="rebuild every model from scratch"
    )
    build.add_argument(
        "--skip-gate", action="store_true", help="swap in without running Great Expectations"
    )
    build.add_argument(
        "--skip-report",
        action="store_true",
        help="publish without writing <warehouse>_report.html (the headline is printed)",
    )
    build.add_argument("--threads", help="dbt threads (default: CRM_THREADS or 2)")
    build.add_argument(
        "--vars",
        help="dbt vars as YAML, passed to dbt build, e.g. '{as_of: \"2024-06-30\"}'",
    )
    build.add_argument("--expectations", default=str(PROJECT_DIR / "expectations"))
    build.add_argument(
        "--target",
        choices=["duckdb", "postgres", "spark"],
        default=os.environ.get("CRM_TARGET", "duckdb"),
        help="the profile's target (default: CRM_TARGET or duckdb; docs/engines.md)",
    )
    build.set_defaults(handler=cmd_build)

    load_raw = commands.add_parser(
        "load-raw", help="copy an export's files into raw tables (raw_source tables)"
    )
    load_raw.add_argument(
        "--raw-dir", help="raw export folder (default: CRM_RAW_DIR or the sample)"
    )
    load_raw.add_argument(
        "--target",
        choices=["duckdb", "postgres", "spark"],
        default=os.environ.get("CRM_TARGET", "duckdb"),
    )
    load_raw.add_argument(
        "--schema", default="crm_raw", help="the raw tables' schema (var raw_schema)"
    )
    load_raw.add_argument(
        "--crm",
        choices=["export", "salesforce", "hubspot"],
        help="whose data the raw folder or tables hold (default: CRM_SOURCE or export;"
        " docs/sources.md)",
    )
    load_raw.set_defaults(handler=cmd_load_raw)

    report = commands.add_parser(
        "report", help="headline numbers of the built warehouse; --html writes the report page"
    )
    report.add_argument("--warehouse", help="DuckDB file (default: CRM_WAREHOUSE)")
    report.add_argument(
        "--html", metavar="PATH", help="write the self-contained HTML report to PATH"
    )
    report.set_defaults(handler=cmd_report)

    validate = commands.add_parser("validate", help="run the Great Expectations suites")
    validate.add_argument("--expectations", default=str(PROJECT_DIR / "expectations"))
    validate.add_argument("--docs", help="Data Docs folder (default: next to the warehouse)")
    validate.add_argument("--verbose", action="store_true", help="print passing checks too")
    validate.add_argument(
        "--crm",
        choices=["export", "salesforce", "hubspot"],
        help="whose data the raw folder or tables hold (default: CRM_SOURCE or export;"
        " docs/sources.md)",
    )
    validate.set_defaults(handler=cmd_validate)

    generate = commands.add_parser("generate", help="write a realistic messy raw export")
    generate.add_argument("--leads", type=int, default=300)
    generate.add_argument("--out", required=True)
    generate.add_argument("--format", choices=["csv", "parquet"], default="csv")
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument(
        "--crm",
        choices=["export", "salesforce", "hubspot"],
        help="whose data the raw folder or tables hold (default: CRM_SOURCE or export;"
        " docs/sources.md)",
    )
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
    if getattr(options, "crm", None):
        # dbt's var crm_source, load-raw and the gate all read CRM_SOURCE
        os.environ["CRM_SOURCE"] = options.crm
    return int(options.handler(options))


def entry() -> None:
    """The `crm-funnel` command: main(), then an exit that skips the
    interpreter's teardown. With Great Expectations and duckdb-engine loaded,
    that teardown makes DuckDB's bindings (nanobind) print dozens of "leaked
    instance" lines after every gate, about objects the exit frees anyway
    (docs/decisions.md, 39). Output is flushed first; nothing else runs at
    exit (dbt, DuckDB and Spark are closed by the commands themselves)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
