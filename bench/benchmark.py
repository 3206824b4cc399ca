"""Benchmark the project against the hand-written floor and pandas, in one run.

usage: .venv/bin/python bench/benchmark.py [--sizes 100000 1000000 3000000]
           [--work /tmp/crm-bench] [--write docs/benchmarks.md]

For each size it generates one export (Parquet, and CSV for the format
comparison), then measures wall time and peak RSS of each step in its own
child process:

  floor       bench/floor.sql: one DuckDB query from the raw files
  pandas      bench/weekly_pandas.py
  dbt start   dbt's fixed cost: parse, connect, hooks, no model
  dbt run     seeds and every model, --full-refresh (no tests)
  dbt build   the whole `dbt build --full-refresh`: start-up, models, tests
  dbt inc     the same, incremental, after one more nightly load (~0.5% of events)
  ... and the floor and `dbt run` on CSV.
With --roomy-memory LIMIT (say 8GB), one more step: the whole `dbt build` with
CRM_MEMORY_LIMIT=LIMIT instead of the 2GB default, for sizes from --roomy-from
leads on (the default limit makes DuckDB spill its sorts at 3M leads).

Every step's weekly SAL mart (counts, rates' inputs, TTA and TTFT percentiles)
must agree before any timing is printed. Not part of the test suite: tests
never assert wall-clock times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FILES = ["lead_status_history", "leads", "activities"]
WEEKLY = (
    "mql_week, mql_handoffs, accepted, recycled, disqualified, pending,"
    " median_tta_hours, p90_tta_hours, median_ttft_hours"
)
# run a command; report its wall time and its process tree's peak RSS
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[2:]).returncode
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(json.dumps({"code": code, "seconds": seconds, "peak_kb": peak}))
"""


@dataclass
class Step:
    size: int
    name: str
    fmt: str
    events: int
    seconds: float
    peak_mb: float
    floor_ratio: float | None = None

    @property
    def rows_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def measure(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = Path(handle.name)
    with log.open("a") as output:
        output.write(f"\n$ {' '.join(command)}\n")
        output.flush()
        subprocess.run(
            [sys.executable, "-c", WRAPPER, str(report), *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
        )
    result = json.loads(report.read_text())
    report.unlink()
    if result["code"] != 0:
        raise SystemExit(f"step failed ({result['code']}): {' '.join(command)}; see {log}")
    return result["seconds"], result["peak_kb"] / 1024


def dbt(args: list[str], raw: Path, warehouse: Path, target: Path) -> tuple[list, dict]:
    env = dict(
        os.environ,
        CRM_RAW_DIR=str(raw),
        CRM_WAREHOUSE=str(warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    command = [str(BIN / "dbt"), *args, "--project-dir", str(PROJECT)]
    command += ["--profiles-dir", str(PROJECT), "--target-path", str(target)]
    command += ["--log-path", str(target / "logs")]
    return command, env


def weekly_from_warehouse(warehouse: Path, out: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute(
            f"copy (select {WEEKLY} from main.rpt_sal_rates_weekly order by mql_week)"
            f" to '{out}' (format parquet)"
        )


def read_weekly(path: Path) -> list[tuple]:
    with duckdb.connect() as connection:
        rows = connection.execute(f"select {WEEKLY} from '{path}' order by mql_week").fetchall()
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def split_last_load(full: Path, base: Path, share: float = 0.005) -> tuple[str, int, int]:
    """The export as it was before its last ~0.5% of events (whole load days)."""
    base.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        events = f"'{full}/lead_status_history.parquet'"
        cut = connection.execute(
            f"select quantile_disc(_loaded_at, {1 - share}) from {events}"
        ).fetchone()[0]
        for name in FILES:
            connection.execute(
                f"copy (select * from '{full}/{name}.parquet' where _loaded_at <= '{cut}')"
                f" to '{base}/{name}.parquet' (format parquet)"
            )
        total, appended = connection.execute(
            f"select count(*), count(*) filter (where _loaded_at > '{cut}') from {events}"
        ).fetchone()
    return cut, total, appended


def run_size(
    size: int, work: Path, log: Path, with_csv: bool, roomy: str | None = None
) -> tuple[list[Step], dict]:
    folder = work / str(size)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    parquet, csv, base = folder / "parquet", folder / "csv", folder / "base"
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "crm-funnel"), "generate", "--leads", str(size), "--out", str(parquet)]
        + ["--format", "parquet", "--seed", "7"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    generate_seconds = time.perf_counter() - started
    if with_csv:
        with duckdb.connect() as connection:
            csv.mkdir()
            for name in FILES:
                source, target = parquet / f"{name}.parquet", csv / f"{name}.csv"
                connection.execute(f"copy (select * from '{source}') to '{target}' (header)")
    cut, events, appended = split_last_load(parquet, base)
    env = dict(os.environ)
    outputs: dict[str, Path] = {}
    steps: list[Step] = []

    def step(name: str, fmt: str, command: list[str], step_env: dict) -> None:
        seconds, peak = measure(command, step_env, log)
        steps.append(Step(size, name, fmt, events, seconds, peak))
        print(f"  {size:>9} {name:<22} {fmt:<8} {seconds:8.1f} s {peak:8.0f} MB", flush=True)

    python = str(BIN / "python")
    for fmt, raw in [("parquet", parquet)] + ([("csv", csv)] if with_csv else []):
        out = folder / f"floor_{fmt}.parquet"
        step(
            "floor (DuckDB SQL)",
            fmt,
            [python, str(PROJECT / "bench/floor.py"), str(raw), fmt, str(out)],
            env,
        )
        outputs[f"floor {fmt}"] = out
    out = folder / "pandas_parquet.parquet"
    step(
        "pandas",
        "parquet",
        [python, str(PROJECT / "bench/weekly_pandas.py"), str(parquet), "parquet", str(out)],
        env,
    )
    outputs["pandas parquet"] = out

    target = folder / "target"
    models = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    command, dbt_env = dbt(
        ["run", "--select", "tag:no_such_tag"], parquet, folder / "start.duckdb", target
    )
    step("dbt start-up", "parquet", command, dbt_env)
    command, dbt_env = dbt([*models, "--full-refresh"], parquet, folder / "run.duckdb", target)
    step("dbt run (models)", "parquet", command, dbt_env)
    weekly_from_warehouse(folder / "run.duckdb", folder / "dbt_run.parquet")
    outputs["dbt run parquet"] = folder / "dbt_run.parquet"
    command, dbt_env = dbt(["build", "--full-refresh"], parquet, folder / "build.duckdb", target)
    step("dbt build (whole)", "parquet", command, dbt_env)
    weekly_from_warehouse(folder / "build.duckdb", folder / "dbt_build.parquet")
    outputs["dbt build parquet"] = folder / "dbt_build.parquet"
    if roomy:
        warehouse = folder / "roomy.duckdb"
        command, dbt_env = dbt(["build", "--full-refresh"], parquet, warehouse, target)
        step(ROOMY + roomy, "parquet", command, dict(dbt_env, CRM_MEMORY_LIMIT=roomy))
        weekly_from_warehouse(warehouse, folder / "dbt_roomy.parquet")
        outputs["dbt build roomy parquet"] = folder / "dbt_roomy.parquet"
    # the nightly run: yesterday's warehouse, today's raw files
    command, dbt_env = dbt([*models, "--full-refresh"], base, folder / "nightly.duckdb", target)
    subprocess.run(command, env=dbt_env, check=True, stdout=subprocess.DEVNULL)
    command, dbt_env = dbt(models, parquet, folder / "nightly.duckdb", target)
    step("dbt incremental run", "parquet", command, dbt_env)
    weekly_from_warehouse(folder / "nightly.duckdb", folder / "dbt_incremental.parquet")
    outputs["dbt incremental parquet"] = folder / "dbt_incremental.parquet"
    if with_csv:
        command, dbt_env = dbt([*models, "--full-refresh"], csv, folder / "run_csv.duckdb", target)
        step("dbt run (models)", "csv", command, dbt_env)
        weekly_from_warehouse(folder / "run_csv.duckdb", folder / "dbt_run_csv.parquet")
        outputs["dbt run csv"] = folder / "dbt_run_csv.parquet"

    # every implementation must give the same weekly mart before timings count
    reference = read_weekly(outputs["floor parquet"])
    for name, path in outputs.items():
        if read_weekly(path) != reference:
            raise SystemExit(f"{size} leads: {name} disagrees with the floor on the weekly mart")
    floor = {s.fmt: s.seconds for s in steps if s.name.startswith("floor")}
    for s in steps:
        s.floor_ratio = s.seconds / floor.get(s.fmt, floor["parquet"])
    facts = {
        "leads": size,
        "events": events,
        "weeks": len(reference),
        "appended_events": appended,
        "appended_share": appended / events,
        "last_load_before_append": str(cut),
        "generate_seconds": generate_seconds,
    }
    shutil.rmtree(folder, ignore_errors=True)
    return steps, facts


def machine() -> dict:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    versions = {}
    for package in ["dbt-core", "dbt-duckdb", "duckdb", "pandas"]:
        from importlib.metadata import version

        versions[package] = version(package)
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        **versions,
    }


ROOMY = "dbt build (whole), "  # + the memory limit: the --roomy-memory step


def targets(steps: list[Step]) -> list[str]:
    """The issue's targets, per size, from the measured steps."""
    lines = []
    for size in sorted({s.size for s in steps}):
        got = {(s.name, s.fmt): s for s in steps if s.size == size}

        def seconds(name: str, fmt: str = "parquet", got=got) -> float:
            return got[(name, fmt)].seconds

        start = seconds("dbt start-up")
        models = seconds("dbt run (models)") - start
        floor = seconds("floor (DuckDB SQL)")
        lines.append(f"- **{size:,} leads**")
        lines.append(
            f"  - models of the full build: {models:.1f} s ({models / floor:.2f}x the floor's"
            f" {floor:.1f} s; target 2x), plus dbt's fixed start-up {start:.1f} s"
        )
        build = seconds("dbt build (whole)")
        pandas = seconds("pandas")
        lines.append(
            f"  - whole `dbt build` {build:.1f} s vs pandas {pandas:.1f} s: pandas takes"
            f" {pandas / build:.2f}x as long as dbt (target > 1x at 1M, 2.5x at 3M)"
        )
        incremental = seconds("dbt incremental run")
        lines.append(
            f"  - incremental nightly run {incremental:.1f} s ="
            f" {incremental / seconds('dbt run (models)'):.0%} of the full run"
            f" (models only: {(incremental - start) / models:.0%}; target 15%)"
        )
        peak = max(
            s.peak_mb
            for s in got.values()
            if s.name.startswith("dbt") and not s.name.startswith(ROOMY)
        )
        lines.append(f"  - dbt peak RSS {peak / 1024:.2f} GB (target < 3 GB at 1M)")
        for s in got.values():
            if s.name.startswith(ROOMY):
                lines.append(
                    f"  - with `CRM_MEMORY_LIMIT={s.name[len(ROOMY) :]}`: whole `dbt build`"
                    f" {s.seconds:.1f} s, peak RSS {s.peak_mb / 1024:.2f} GB; pandas takes"
                    f" {pandas / s.seconds:.2f}x as long"
                )
        if ("dbt run (models)", "csv") in got:
            csv = seconds("dbt run (models)", "csv") - start
            lines.append(
                f"  - CSV input: models {csv:.1f} s = {csv / models:.2f}x Parquet (target 1.5x)"
            )
    return lines


def markdown(steps: list[Step], facts: list[dict], host: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `.venv/bin/python bench/benchmark.py` (all numbers from one run;",
        "each step in its own process, peak RSS of its process tree). Every step's",
        "weekly SAL mart agreed with the floor's before the timings were kept.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in host.items()),
        "",
        "| leads | events | step | input | seconds | events/s | peak RSS | x floor |",
        "|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for s in steps:
        lines.append(
            f"| {s.size:,} | {s.events:,} | {s.name} | {s.fmt} | {s.seconds:.1f} |"
            f" {s.rows_per_second:,.0f} | {s.peak_mb:,.0f} MB | {s.floor_ratio:.2f} |"
        )
    lines += ["", "## Against the targets", ""]
    lines += targets(steps)
    lines += ["", "Exports:", ""]
    for f in facts:
        lines.append(
            f"- {f['leads']:,} leads: {f['events']:,} events over {f['weeks']} MQL weeks,"
            f" generated in {f['generate_seconds']:.1f} s; the incremental run appends"
            f" {f['appended_events']:,} events ({f['appended_share']:.2%}) loaded after"
            f" {f['last_load_before_append']}."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "crm-funnel-bench"))
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV steps")
    parser.add_argument("--write", help="markdown file to write (JSON next to it)")
    parser.add_argument("--roomy-memory", help="also build with this CRM_MEMORY_LIMIT (e.g. 8GB)")
    parser.add_argument("--roomy-from", type=int, default=3_000_000, help="...from this size on")
    options = parser.parse_args()
    work = Path(options.work)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "benchmark.log"
    log.write_text("")
    host = machine()
    print(f"machine: {host}\nlog: {log}", flush=True)
    steps: list[Step] = []
    facts: list[dict] = []
    for size in options.sizes:
        roomy = options.roomy_memory if size >= options.roomy_from else None
        size_steps, size_facts = run_size(size, work, log, not options.no_csv, roomy)
        steps += size_steps
        facts.append(size_facts)
    report = markdown(steps, facts, host)
    print()
    print(report)
    if options.write:
        out = Path(options.write)
        out.write_text(report, encoding="utf-8")
        data = {"machine": host, "exports": facts, "steps": [asdict(s) for s in steps]}
        out.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
