"""Measure what a change costs: the same export built by two commits, one run.

usage: .venv/bin/python bench/compare_commits.py --base REF [--leads 1000000]
           [--format parquet|csv] [--repeat 2] [--work /tmp/crm-compare]

Checks the base commit out into a git worktree beside this one, generates one
export (seed 7) and the same export before its last ~0.5% of events, then for
each commit, alternating so that a busy machine hurts both alike, measures in
its own child process:

  models      every model, --full-refresh (no tests)
  build       the whole `dbt build --full-refresh`
  nightly     an incremental run of the models after the last load

Prints seconds and peak RSS per step and commit (the best of --repeat runs)
and the head/base ratio, then the models whose time changed most in the
`models` step (dbt's run_results.json, best of the runs), so a slower head
says where. The weekly SAL mart of every step must agree between the
commits first. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmark import BIN, measure, read_weekly, split_last_load, weekly_from_warehouse

PROJECT = Path(__file__).resolve().parents[1]
MODELS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def dbt(project: Path, args: list[str], raw: Path, warehouse: Path) -> tuple[list, dict]:
    env = dict(
        os.environ,
        CRM_RAW_DIR=str(raw),
        CRM_WAREHOUSE=str(warehouse),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    target = warehouse.parent / f"target_{project.name}"
    command = [str(BIN / "dbt"), *args, "--project-dir", str(project)]
    command += ["--profiles-dir", str(project), "--target-path", str(target)]
    command += ["--log-path", str(target / "logs")]
    return command, env


def model_seconds(target: Path) -> dict[str, float]:
    """Each model's execution time in the last dbt run whose artifacts are in target."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in results
        if result["unique_id"].startswith("model.")
    }


def print_model_changes(per_model: dict[str, dict[str, float]], top: int = 12) -> None:
    """The models whose time moved most between the commits (a model only one
    commit has counts 0 s on the other side)."""
    base, head = per_model["base"], per_model["head"]
    rows = sorted(
        ((head.get(name, 0.0) - base.get(name, 0.0), name) for name in set(base) | set(head)),
        reverse=True,
    )
    print(f"\n{'model (models step)':<42} {'base s':>8} {'head s':>8} {'change':>8}")
    for change, name in rows[:top]:
        print(f"{name:<42} {base.get(name, 0.0):8.2f} {head.get(name, 0.0):8.2f} {change:+8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with (e.g. HEAD~3)")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--repeat", type=int, default=1, help="runs per step and commit")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "crm-funnel-compare"))
    options = parser.parse_args()
    work = Path(options.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = work / "compare.log"
    base_tree = work / "base"
    subprocess.run(
        ["git", "-C", str(PROJECT), "worktree", "add", "--detach", str(base_tree), options.base],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    head_tree = work / "head"  # this working tree, uncommitted changes included
    shutil.copytree(
        PROJECT,
        head_tree,
        ignore=shutil.ignore_patterns(".venv", ".git", "target", "logs", "warehouse"),
    )
    try:
        full, before = work / "export", work / "export_before"
        subprocess.run(
            [str(BIN / "crm-funnel"), "generate", "--leads", str(options.leads)]
            + ["--out", str(full), "--format", options.format, "--seed", "7"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if options.format == "csv":
            raise SystemExit("--format csv: not supported yet (the split reads Parquet)")
        _, events, appended = split_last_load(full, before)
        print(f"{options.leads} leads, {events} events, {appended} appended for the nightly run")
        results: dict[tuple[str, str], tuple[float, float]] = {}
        weekly: dict[tuple[str, str], list] = {}
        per_model: dict[str, dict[str, float]] = {"base": {}, "head": {}}
        for _ in range(options.repeat):
            for name, tree in [("base", base_tree), ("head", head_tree)]:
                folder = work / f"out_{name}"
                folder.mkdir(exist_ok=True)
                steps = [
                    ("models", [*MODELS, "--full-refresh"], full, folder / "models.duckdb"),
                    ("build", ["--full-refresh"], full, folder / "build.duckdb"),
                ]
                for step, args, raw, warehouse in steps:
                    command, env = dbt(tree, ["build", *args], raw, warehouse)
                    seconds, peak, _cpu = measure(command, env, log)
                    best = results.get((step, name), (float("inf"), 0.0))
                    results[(step, name)] = min(best, (seconds, peak))
                    if step == "models":
                        for model, took in model_seconds(folder / f"target_{tree.name}").items():
                            known = per_model[name].get(model, float("inf"))
                            per_model[name][model] = min(known, took)
                    weekly_from_warehouse(warehouse, folder / f"{step}.parquet")
                    weekly[(step, name)] = read_weekly(folder / f"{step}.parquet")
                nightly = folder / "nightly.duckdb"
                command, env = dbt(tree, ["build", *MODELS, "--full-refresh"], before, nightly)
                subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
                command, env = dbt(tree, ["build", *MODELS], full, nightly)
                seconds, peak, _cpu = measure(command, env, log)
                best = results.get(("nightly", name), (float("inf"), 0.0))
                results[("nightly", name)] = min(best, (seconds, peak))
                weekly_from_warehouse(nightly, folder / "nightly.parquet")
                weekly[("nightly", name)] = read_weekly(folder / "nightly.parquet")
        for step in ["models", "build", "nightly"]:
            if weekly[(step, "base")] != weekly[(step, "head")]:
                raise SystemExit(f"{step}: the two commits disagree on the weekly mart")
        columns = ["base s", "head s", "head/base", "base MB", "head MB"]
        print(f"{'step':<10} " + " ".join(f"{c:>9}" for c in columns))
        for step in ["models", "build", "nightly"]:
            (b, b_mb), (h, h_mb) = results[(step, "base")], results[(step, "head")]
            print(f"{step:<10} {b:9.1f} {h:9.1f} {h / b:9.2f} {b_mb:9.0f} {h_mb:9.0f}")
        print_model_changes(per_model)
    finally:
        subprocess.run(
            ["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(base_tree)],
            check=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
