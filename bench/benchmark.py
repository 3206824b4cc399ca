"""Benchmark the project against the hand-written floor and pandas, in one run.

usage: .venv/bin/python bench/benchmark.py [--sizes 1000000 3000000 10000000]
           [--also-memory 2GB] [--work /tmp/crm-bench] [--write docs/benchmarks.md]
           [--target postgres]   (bench/postgres_bench.py: PostgreSQL beside DuckDB)

For each size it generates one export (Parquet, and CSV for the format
comparison), then measures wall time and peak RSS of each step in its own
child process:

  floor       bench/floor.sql: one DuckDB query from the raw files
  pandas      bench/weekly_pandas.py (up to --pandas-up-to leads: it needs
              about 3.4 GB per million leads)
  dbt start   dbt's fixed cost: parse, connect, hooks, no model; first
              parsing from scratch, then reusing that parse
  dbt run     seeds and every model, --full-refresh (no tests)
  dbt build   the whole `dbt build --full-refresh`: start-up, models, tests
  dbt inc     the models, incremental, after one more nightly load (~0.5% of
              events), on the warehouse built from the export before it
  crm-funnel  what a user runs: `crm-funnel build --full-refresh` with its
              defaults (the Great Expectations gate and the report on), its
              phases as its last line prints them; then the gate alone
              (`crm-funnel validate`, for its peak memory) and `crm-funnel
              report --html` on that warehouse
  ... and the floor and `dbt run` on CSV.
Every dbt step builds the same warehouse path with one target folder, as a
scheduled job does, so dbt reuses its parse after the first step. With
--also-memory LIMIT, one more whole `dbt build` with CRM_MEMORY_LIMIT=LIMIT.
From --lean-from leads on (10M), only the floor, the whole build of the
export before its last load, and the nightly run after it.

Every step's weekly SAL mart (counts, rates' inputs, TTA and TTFT percentiles)
must agree before any timing is printed. Not part of the test suite: tests
never assert wall-clock times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from crm_funnel.cli import remove_database

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FILES = ["lead_status_history", "leads", "activities"]
WEEKLY = (
    "mql_week, mql_handoffs, accepted, recycled, disqualified, pending,"
    " median_tta_hours, p90_tta_hours, median_ttft_hours"
)
# run a command; report its wall time, its process tree's peak RSS and the
# CPU seconds (user + system) the tree used: on a shared machine the CPU
# seconds move less from run to run than the wall time does
WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[2:]).returncode
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
report = {"code": code, "seconds": seconds, "peak_kb": usage.ru_maxrss, "cpu_seconds": cpu}
open(sys.argv[1], "w").write(json.dumps(report))
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
    cpu_seconds: float | None = None  # user + system; runs before it have none
    phases: dict[str, float] | None = None  # crm-funnel build's own "took" line

    @property
    def rows_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def measure(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds of `command`."""
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
    return result["seconds"], result["peak_kb"] / 1024, result["cpu_seconds"]


TOOK = re.compile(r"^took [\d.]+ s: (.*)$", re.MULTILINE)


def phases_in(log: Path) -> dict[str, float]:
    """The phases of the last `crm-funnel build` in the log ("took 62.6 s:
    dbt build 45.5 s, gate 12.3 s, report 3.3 s, the rest 1.5 s")."""
    found = TOOK.findall(log.read_text(encoding="utf-8", errors="replace"))
    if not found:
        raise SystemExit(f"crm-funnel build printed no 'took' line; see {log}")
    parts = (part.rsplit(" ", 2) for part in found[-1].split(", "))
    return {name: float(seconds) for name, seconds, _ in parts}


def crm_funnel(args: list[str], raw: Path, warehouse: Path) -> tuple[list, dict]:
    """A `crm-funnel` command as a user runs it, on this export and warehouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_RAW_DIR=str(raw), CRM_WAREHOUSE=str(warehouse))
    return [str(BIN / "crm-funnel"), *args], env


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


def split_last_load(
    full: Path, base: Path, share: float = 0.005, night: Path | None = None
) -> tuple[str, int, int]:
    """The export as it was before its last ~0.5% of events (whole load days);
    with `night`, also the rows loaded after it, as a connector adds them."""
    base.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        events = f"'{full}/lead_status_history.parquet'"
        cut = connection.execute(
            f"select quantile_disc(_loaded_at, {1 - share}) from {events}"
        ).fetchone()[0]
        parts = [(base, "<=")] + ([(night, ">")] if night else [])
        for folder, compare in parts:
            folder.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                rows = f"select * from '{full}/{name}.parquet' where _loaded_at {compare} '{cut}'"
                connection.execute(f"copy ({rows}) to '{folder}/{name}.parquet' (format parquet)")
        total, appended = connection.execute(
            f"select count(*), count(*) filter (where _loaded_at > '{cut}') from {events}"
        ).fetchone()
    return cut, total, appended


def run_size(
    size: int,
    work: Path,
    log: Path,
    with_csv: bool,
    also_memory: str | None = None,
    pandas_up_to: int = 3_000_000,
    lean: bool = False,
    target_engine: str = "duckdb",
) -> tuple[list[Step], dict]:
    """Every step at one size. `lean` (the largest sizes): the floor, the
    whole build of the export before its last load, and the nightly run
    after it; nothing else, so that 10M leads fit in a session."""
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
    with_csv = with_csv and not lean and target_engine == "duckdb"
    if with_csv:
        with duckdb.connect() as connection:
            csv.mkdir()
            for name in FILES:
                source, target = parquet / f"{name}.parquet", csv / f"{name}.csv"
                connection.execute(f"copy (select * from '{source}') to '{target}' (header)")
    night = folder / "night" if target_engine == "postgres" else None
    cut, events, appended = split_last_load(parquet, base, night=night)
    env = dict(os.environ)
    outputs: dict[str, Path] = {}
    steps: list[Step] = []

    def step(name: str, fmt: str, command: list[str], step_env: dict, phases=None) -> None:
        """Time one command; `phases(log)` reads what it printed of its phases."""
        seconds, peak, cpu = measure(command, step_env, log)
        steps.append(Step(size, name, fmt, events, seconds, peak, cpu_seconds=cpu))
        steps[-1].phases = phases(log) if phases else None
        print(
            f"  {size:>9} {name:<32} {fmt:<8} {seconds:8.1f} s {cpu:8.1f} CPU s {peak:8.0f} MB",
            flush=True,
        )

    facts = {
        "leads": size,
        "events": events,
        "appended_events": appended,
        "appended_share": appended / events,
        "last_load_before_append": str(cut),
        "generate_seconds": generate_seconds,
    }
    if target_engine == "postgres":
        from postgres_bench import run_postgres_size

        run_postgres_size(size, folder, parquet, base, night, step, log)
        duckdb_build = next(s.seconds for s in steps if s.name.startswith("DuckDB"))
        for s in steps:
            s.floor_ratio = s.seconds / duckdb_build  # here: x DuckDB's whole build
        shutil.rmtree(folder, ignore_errors=True)
        return steps, dict(facts, weeks=None)

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
    if size <= pandas_up_to and not lean:
        out = folder / "pandas_parquet.parquet"
        step(
            "pandas",
            "parquet",
            [python, str(PROJECT / "bench/weekly_pandas.py"), str(parquet), "parquet", str(out)],
            env,
        )
        outputs["pandas parquet"] = out
    else:
        print(f"  {size:>9} pandas: not run (it needs about 3.4 GB per million leads)")

    # Every dbt step builds the same warehouse path with the same target
    # folder, as a user's nightly job does: dbt parses the project once and
    # then reuses its parse (partial parsing; a new warehouse path counts as a
    # new profile and parses again). The cold start-up is measured first.
    target = folder / "target"
    warehouse = folder / "warehouse.duckdb"
    models = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]

    def fresh() -> Path:
        remove_database(warehouse)
        return warehouse

    def keep_weekly(label: str) -> None:
        out = folder / f"dbt_{label.replace(' ', '_')}.parquet"
        weekly_from_warehouse(warehouse, out)
        outputs[f"dbt {label}"] = out

    startup = ["run", "--select", "tag:no_such_tag"]
    command, dbt_env = dbt(startup, parquet, fresh(), target)
    step(COLD_START, "parquet", command, dbt_env)
    command, dbt_env = dbt(startup, parquet, fresh(), target)
    step(START, "parquet", command, dbt_env)
    if not lean:
        command, dbt_env = dbt([*models, "--full-refresh"], parquet, fresh(), target)
        step(MODELS, "parquet", command, dbt_env)
        keep_weekly("run parquet")
        command, dbt_env = dbt(["build", "--full-refresh"], parquet, fresh(), target)
        step(BUILD, "parquet", command, dbt_env)
        keep_weekly("build parquet")
        # the user's path: crm-funnel build with its defaults, then the gate
        # and the report alone on the warehouse it published
        user = folder / "user.duckdb"
        command, user_env = crm_funnel(["build", "--full-refresh"], parquet, user)
        step(USER_BUILD, "parquet", command, user_env, phases_in)
        weekly_from_warehouse(user, folder / "user_build.parquet")
        outputs["crm-funnel build"] = folder / "user_build.parquet"
        command, user_env = crm_funnel(["validate"], parquet, user)
        step(GATE_ALONE, "parquet", command, user_env)
        report = ["report", "--html", str(folder / "report.html")]
        command, user_env = crm_funnel(report, parquet, user)
        step(REPORT_ALONE, "parquet", command, user_env)
        remove_database(user)
        if also_memory:
            command, dbt_env = dbt(["build", "--full-refresh"], parquet, fresh(), target)
            step(
                OTHER_MEMORY + also_memory,
                "parquet",
                command,
                dict(dbt_env, CRM_MEMORY_LIMIT=also_memory),
            )
            keep_weekly("build other memory")
        # the nightly run: yesterday's warehouse, today's raw files
        command, dbt_env = dbt([*models, "--full-refresh"], base, fresh(), target)
        subprocess.run(command, env=dbt_env, check=True, stdout=subprocess.DEVNULL)
    else:
        command, dbt_env = dbt(["build", "--full-refresh"], base, fresh(), target)
        step(BUILD_BEFORE, "parquet", command, dbt_env)
    command, dbt_env = dbt(models, parquet, warehouse, target)
    step(NIGHTLY, "parquet", command, dbt_env)
    keep_weekly("incremental parquet")
    if with_csv:
        command, dbt_env = dbt([*models, "--full-refresh"], csv, fresh(), target)
        step(MODELS, "csv", command, dbt_env)
        keep_weekly("run csv")
    fresh()

    # every implementation must give the same weekly mart before timings count
    reference = read_weekly(outputs["floor parquet"])
    for name, path in outputs.items():
        if read_weekly(path) != reference:
            raise SystemExit(f"{size} leads: {name} disagrees with the floor on the weekly mart")
    floor = {s.fmt: s.seconds for s in steps if s.name.startswith("floor")}
    for s in steps:
        s.floor_ratio = s.seconds / floor.get(s.fmt, floor["parquet"])
    facts["weeks"] = len(reference)
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


# step names
COLD_START = "dbt start-up, first parse"
START = "dbt start-up"
MODELS = "dbt run (models)"
BUILD = "dbt build (whole)"
BUILD_BEFORE = "dbt build (whole), before last load"
NIGHTLY = "dbt incremental run"
OTHER_MEMORY = "dbt build (whole), limit "  # + the memory limit: the --also-memory step
USER_BUILD = "crm-funnel build (defaults)"
GATE_ALONE = "crm-funnel validate (the gate)"
REPORT_ALONE = "crm-funnel report --html"


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def targets(steps: list[Step]) -> list[str]:
    """Issue 13's targets, per size, from the measured steps."""
    lines = []
    for size in sorted({s.size for s in steps}):
        got = {(s.name, s.fmt): s for s in steps if s.size == size}

        def seconds(name: str, fmt: str = "parquet", got=got) -> float:
            return got[(name, fmt)].seconds

        start = seconds(START)
        floor = seconds("floor (DuckDB SQL)")
        lines.append(f"- **{size:,} leads**")
        lines.append(
            f"  - dbt start-up: {start:.1f} s reusing its parse (every build after the first),"
            f" {seconds(COLD_START):.1f} s parsing from scratch"
        )
        peak = max(
            s.peak_mb
            for s in got.values()
            if s.name.startswith("dbt")
            and s.fmt == "parquet"
            and not s.name.startswith(OTHER_MEMORY)
        )
        if (BUILD, "parquet") not in got:  # a lean size: build and nightly only
            build = seconds(BUILD_BEFORE)
            nightly = seconds(NIGHTLY)
            lines.append(
                f"  - whole `dbt build` of the export before its last load: {build:.1f} s"
                f" ({build / floor:.1f}x the floor's {floor:.1f} s on the whole export)"
            )
            lines.append(
                f"  - nightly incremental run after it: {nightly:.1f} s ="
                f" {nightly / build:.0%} of that build"
            )
            lines.append(f"  - dbt peak RSS {peak / 1024:.2f} GB")
            continue
        models = seconds(MODELS) - start
        build = seconds(BUILD)
        lines.append(
            f"  - models of the full build: {models:.1f} s, {models / floor:.2f}x the floor's"
            f" {floor:.1f} s (target 2.5x: {verdict(models / floor <= 2.5)})"
        )
        if ("pandas", "parquet") in got:
            pandas = seconds("pandas")
            goal = 2 if size < 3_000_000 else 3
            lines.append(
                f"  - whole `dbt build` {build:.1f} s vs pandas {pandas:.1f} s: dbt is"
                f" {pandas / build:.2f}x as fast (target {goal}x at"
                f" {'1M' if goal == 2 else '3M'}: {verdict(pandas / build >= goal)})"
            )
        else:
            lines.append(f"  - whole `dbt build` {build:.1f} s (pandas not run at this size)")
        nightly = seconds(NIGHTLY)
        lines.append(
            f"  - nightly incremental run {nightly:.1f} s = {nightly / build:.0%} of the whole"
            f" build (target 10%: {verdict(nightly / build <= 0.10)}); without the"
            f" start-up, {(nightly - start) / (build - start):.0%}"
        )
        floor_peak = got[("floor (DuckDB SQL)", "parquet")].peak_mb
        lines.append(
            f"  - dbt peak RSS {peak / 1024:.2f} GB, {peak / floor_peak:.2f}x the floor's"
            f" {floor_peak / 1024:.2f} GB"
            + (
                f" (target 1.5x at 1M: {verdict(peak / floor_peak <= 1.5)})"
                if size == 1_000_000
                else ""
            )
        )
        for s in got.values():
            if s.name.startswith(OTHER_MEMORY):
                lines.append(
                    f"  - with `CRM_MEMORY_LIMIT={s.name[len(OTHER_MEMORY) :]}`: whole `dbt build`"
                    f" {s.seconds:.1f} s, peak RSS {s.peak_mb / 1024:.2f} GB"
                )
        if (MODELS, "csv") in got:
            csv = seconds(MODELS, "csv") - start
            lines.append(f"  - CSV input: models {csv:.1f} s = {csv / models:.2f}x Parquet")
        if (USER_BUILD, "parquet") in got:
            lines += user_path(got, size, peak)
    return lines


def user_path(got: dict, size: int, dbt_peak: float) -> list[str]:
    """Issue 26's targets: what `crm-funnel build` costs around its dbt build."""
    user = got[(USER_BUILD, "parquet")]
    phases = user.phases or {}
    inside = phases.get("dbt build", 0.0)
    gate, report = phases.get("gate", 0.0), phases.get("report", 0.0)
    own = user.seconds - inside - gate - report  # interpreter start-up included
    gate_alone = got[(GATE_ALONE, "parquet")]
    lines = [
        f"  - `crm-funnel build` with its defaults: {user.seconds:.1f} s (its dbt build"
        f" {inside:.1f} s)",
        f"    - the gate {gate:.1f} s = {gate / inside:.0%} of the dbt build (target 10%:"
        f" {verdict(gate <= 0.10 * inside)}); alone, `crm-funnel validate` {gate_alone.seconds:.1f}"
        f" s with a peak RSS of {gate_alone.peak_mb / 1024:.2f} GB, the dbt build's"
        f" {dbt_peak / 1024:.2f} GB (target below: {verdict(gate_alone.peak_mb < dbt_peak)})",
        f"    - the report {report:.1f} s"
        + (f" (target 3 s at 1M: {verdict(report <= 3)})" if size == 1_000_000 else "")
        + ";"
        f" `crm-funnel report --html` alone {got[(REPORT_ALONE, 'parquet')].seconds:.1f} s",
        f"    - crm-funnel's own work (start-up, copy, swap, headline, per-file summary)"
        f" {own:.1f} s (target 5 s: {verdict(own <= 5)})",
    ]
    if ("pandas", "parquet") in got:
        pandas = got[("pandas", "parquet")].seconds
        speedup = pandas / user.seconds
        goal = "1.5x at 3M" if size >= 3_000_000 else "faster at 1M"
        met = speedup >= 1.5 if size >= 3_000_000 else speedup > 1
        lines.append(
            f"    - against pandas {pandas:.1f} s: {speedup:.2f}x as fast"
            f" (target {goal}: {verdict(met)})"
        )
    return lines


def markdown(steps: list[Step], facts: list[dict], host: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `.venv/bin/python bench/benchmark.py` (all numbers from one run;",
        "each step in its own process; peak RSS and CPU seconds, user + system, of its",
        "process tree). Every step's weekly SAL mart agreed with the floor's before the",
        "timings were kept.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in host.items()),
        "",
        "| leads | events | step | input | seconds | CPU s | events/s | peak RSS | x floor |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in steps:
        lines.append(
            f"| {s.size:,} | {s.events:,} | {s.name} | {s.fmt} | {s.seconds:.1f} |"
            f" {'-' if s.cpu_seconds is None else f'{s.cpu_seconds:.1f}'} |"
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


POSTGRES_SECTION = "## PostgreSQL"


def write_postgres(steps: list[Step], facts: list[dict], host: dict, write: str | None) -> int:
    """Print the PostgreSQL run; with `write`, it replaces that page's
    PostgreSQL section (the DuckDB figures above it stay)."""
    from postgres_bench import targets as postgres_targets

    lines = [
        POSTGRES_SECTION,
        "",
        "Measured by `.venv/bin/python bench/benchmark.py --target postgres` (one run;",
        "DuckDB's whole build on the same export first; a throwaway PostgreSQL server on",
        "loopback, Debian's build, its settings as `crm_funnel.postgres_server` starts it).",
        "Every step's weekly SAL mart agreed with DuckDB's before the timings were kept.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in host.items()),
        "",
        "| leads | events | step | input | seconds | CPU s | peak RSS | x DuckDB build |",
        "|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for s in steps:
        lines.append(
            f"| {s.size:,} | {s.events:,} | {s.name} | {s.fmt} | {s.seconds:.1f} |"
            f" {s.cpu_seconds:.1f} | {s.peak_mb:,.0f} MB | {s.floor_ratio:.2f} |"
        )
    lines += ["", "CPU seconds and peak RSS are the client's (dbt, Python), not the server's.", ""]
    lines += postgres_targets(steps)
    lines += [""] + [
        f"- {f['leads']:,} leads: {f['events']:,} events; the night appends"
        f" {f['appended_events']:,} events ({f['appended_share']:.2%}) loaded after"
        f" {f['last_load_before_append']}."
        for f in facts
    ]
    section = "\n".join(lines) + "\n"
    print()
    print(section)
    if write:
        page = Path(write)
        text = page.read_text(encoding="utf-8") if page.exists() else "# Benchmarks\n"
        kept = text.split("\n" + POSTGRES_SECTION + "\n")[0].rstrip("\n")
        page.write_text(kept + "\n\n" + section, encoding="utf-8")
    return 0


def page_sections(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each `## ` section of a page, after its preamble."""
    parts = re.split(r"(?m)^(?=## )", text)[1:]
    return [(part.splitlines()[0], part) for part in parts]


def write_page(out: Path, report: str) -> None:
    """The DuckDB run's page. The page's other sections (a PostgreSQL run's,
    the connector benchmarks' of bench/connector_bench.py) stay after it."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    own = {heading for heading, _ in page_sections(report)}
    kept = [text for heading, text in page_sections(old) if heading not in own]
    page = "".join([report.rstrip("\n") + "\n\n", *kept]) if kept else report
    out.write_text(page, encoding="utf-8")


def main() -> int:
    # a stopped run (kill, a CI time limit) still stops its PostgreSQL server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("benchmark: stopped"))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "crm-funnel-bench"))
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV steps")
    parser.add_argument("--write", help="markdown file to write (JSON next to it)")
    parser.add_argument(
        "--also-memory", help="also build with this CRM_MEMORY_LIMIT (e.g. 2GB, the old default)"
    )
    parser.add_argument(
        "--pandas-up-to", type=int, default=3_000_000, help="run pandas up to this many leads"
    )
    parser.add_argument(
        "--lean-from",
        type=int,
        default=10_000_000,
        help="from this many leads on: floor, whole build and nightly run only",
    )
    parser.add_argument(
        "--target",
        choices=["duckdb", "postgres"],
        default="duckdb",
        help="postgres: DuckDB's whole build beside PostgreSQL's load, build and nightly run on"
        " raw tables (bench/postgres_bench.py); --write then replaces the page's PostgreSQL"
        " section",
    )
    parser.add_argument(
        "--summarize",
        metavar="JSON",
        help="no run: write --write's markdown again from a run's JSON (its summary changed)",
    )
    options = parser.parse_args()
    if options.summarize:
        data = json.loads(Path(options.summarize).read_text(encoding="utf-8"))
        steps = [Step(**step) for step in data["steps"]]
        report = markdown(steps, data["exports"], data["machine"])
        print(report)
        if options.write:
            write_page(Path(options.write), report)
        return 0
    work = Path(options.work)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "benchmark.log"
    log.write_text("")
    host = machine()
    print(f"machine: {host}\nlog: {log}", flush=True)
    steps: list[Step] = []
    facts: list[dict] = []
    for size in options.sizes:
        size_steps, size_facts = run_size(
            size,
            work,
            log,
            not options.no_csv,
            options.also_memory,
            options.pandas_up_to,
            lean=size >= options.lean_from,
            target_engine=options.target,
        )
        steps += size_steps
        facts.append(size_facts)
    if options.target == "postgres":
        return write_postgres(steps, facts, host, options.write)
    report = markdown(steps, facts, host)
    print()
    print(report)
    if options.write:
        out = Path(options.write)
        write_page(out, report)
        data = {"machine": host, "exports": facts, "steps": [asdict(s) for s in steps]}
        out.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
