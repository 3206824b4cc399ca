"""The connector sources against the export format, on the same generated leads.

    .venv/bin/python bench/connector_bench.py --leads 1000000 --crm salesforce hubspot

writes the generator's export (`crm-funnel generate --format parquet --seed
7`) and the same leads as each connector source's tables (`generate --crm
salesforce`, `--crm hubspot`, which rewrite that export), then times
`crm-funnel build --full-refresh --skip-gate --skip-report` on each, in turns
(export, Salesforce, HubSpot, export, ... `--rounds` times), and prints each
build's wall time, its dbt and translation phases, and each source's ratio
to the export's (issues 23 and 24: at most 1.15 at 1M leads). The baseline
is the export build of the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET = 1.15
HOOK = re.compile(r"on-run-start\.3 \.+ .*?OK.*? in ([\d.]+)s")
TOOK = re.compile(r"^took ([\d.]+) s: dbt build ([\d.]+) s", re.MULTILINE)


def build(crm: str, raw: Path, warehouse: Path) -> tuple[float, float, float]:
    """Wall seconds, dbt seconds and raw registration seconds of one build."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", GX_ANALYTICS_ENABLED="false")
    command = [str(BIN / "crm-funnel"), "build", "--crm", crm, "--raw-dir", str(raw)]
    command += ["--warehouse", str(warehouse), "--full-refresh", "--skip-gate", "--skip-report"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{crm} build failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    took, hook = TOOK.search(plain), HOOK.search(plain)
    return seconds, float(took[2]), float(hook[1]) if hook else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=1, help="builds of each source, in turns")
    parser.add_argument(
        "--crm", nargs="+", choices=["salesforce", "hubspot"], default=["salesforce", "hubspot"]
    )
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "crm-funnel-crm-bench"))
    options = parser.parse_args()
    work = Path(options.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    raw = {crm: work / crm for crm in ["export", *options.crm]}
    for crm, folder in raw.items():
        command = [str(BIN / "crm-funnel"), "generate", "--crm", crm, "--leads", str(options.leads)]
        command += ["--format", "parquet", "--seed", "7", "--out", str(folder)]
        print(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip())
    times: dict[str, list[tuple[float, float, float]]] = {crm: [] for crm in raw}
    for round_number in range(options.rounds):
        for crm, folder in raw.items():
            result = build(crm, folder, work / f"{crm}.duckdb")
            times[crm].append(result)
            print(
                f"round {round_number + 1} {crm:<10} {result[0]:7.1f} s"
                f" (dbt build {result[1]:.1f} s, of it raw registration {result[2]:.1f} s)",
                flush=True,
            )
    wall = {crm: statistics.median(t[0] for t in runs) for crm, runs in times.items()}
    print(f"\n{options.leads} leads, median of {options.rounds}: export {wall['export']:.1f} s")
    for crm in options.crm:
        ratio = wall[crm] / wall["export"]
        verdict = "met" if ratio <= TARGET else "missed"
        print(f"{crm} {wall[crm]:.1f} s: {ratio:.2f}x the export", end=" ")
        print(f"(target at most {TARGET}x: {verdict})")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
