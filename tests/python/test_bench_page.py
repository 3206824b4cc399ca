"""bench/benchmark.py --write replaces the DuckDB run's part of
docs/benchmarks.md and keeps the sections other runs wrote there (the
connector benchmarks', a PostgreSQL run's)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from conftest import PROJECT_DIR

OLD_PAGE = """# Benchmarks

old run, 1M: 51.0 s

## Against the targets

- old verdicts

## Salesforce against the export (issue 23)

| round | export | Salesforce |
|---|---:|---:|
| 1 | 51.3 s | 70.5 s |

## PostgreSQL

PostgreSQL run: 197.5 s
"""

NEW_REPORT = """# Benchmarks

new run, 1M: 49.0 s

## Against the targets

- new verdicts
"""


def benchmark_module():
    sys.path.insert(0, str(PROJECT_DIR / "bench"))
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmark_under_test", PROJECT_DIR / "bench" / "benchmark.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(PROJECT_DIR / "bench"))
    return module


def test_a_duckdb_run_keeps_the_connector_and_postgres_sections(tmp_path: Path):
    page = tmp_path / "benchmarks.md"
    page.write_text(OLD_PAGE, encoding="utf-8")
    benchmark_module().write_page(page, NEW_REPORT)
    assert page.read_text(encoding="utf-8") == (
        NEW_REPORT
        + "\n## Salesforce against the export (issue 23)\n\n| round | export | Salesforce |\n"
        "|---|---:|---:|\n| 1 | 51.3 s | 70.5 s |\n\n## PostgreSQL\n\nPostgreSQL run: 197.5 s\n"
    )


def test_a_first_run_writes_its_report_alone(tmp_path: Path):
    page = tmp_path / "benchmarks.md"
    benchmark_module().write_page(page, NEW_REPORT)
    assert page.read_text(encoding="utf-8") == NEW_REPORT
