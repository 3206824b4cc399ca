"""One set of defaults: `crm-funnel build` and a plain `dbt build` read the
same raw folder and warehouse and use the same threads and memory limit when
nothing is set. The CLI keeps its defaults in cli.py; dbt reads them from
profiles.yml and macros/raw_files.sql, which the CLI cannot share, so this
test keeps the three equal."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import PROJECT_DIR

from crm_funnel import cli


def dbt_default(text: str, variable: str) -> str:
    found = re.search(rf"env_var\('{variable}', '([^']*)'\)", text)
    assert found, f"{variable} has no default"
    return found.group(1)


def test_the_cli_and_dbt_share_their_defaults():
    profile = (PROJECT_DIR / "profiles.yml").read_text()
    raw_files = (PROJECT_DIR / "macros" / "raw_files.sql").read_text()
    project = PROJECT_DIR
    assert project / dbt_default(profile, "CRM_WAREHOUSE") == cli.DEFAULT_WAREHOUSE
    assert dbt_default(profile, "CRM_THREADS") == cli.DEFAULT_THREADS
    assert dbt_default(profile, "CRM_MEMORY_LIMIT") == cli.DEFAULT_MEMORY_LIMIT
    assert project / dbt_default(raw_files, "CRM_RAW_DIR") == cli.DEFAULT_RAW_DIR


def test_the_spark_session_outside_dbt_is_the_profiles():
    """Loading raw tables and reading marts start the same local Spark session
    as dbt's `spark` target: the same settings, and the same JVM for short runs
    (spark_session.JAVA_OPTIONS, which CRM_SPARK_JAVA_OPTIONS replaces)."""
    from crm_funnel import spark_session

    profile = (PROJECT_DIR / "profiles.yml").read_text()
    assert dbt_default(profile, "CRM_SPARK_JAVA_OPTIONS") == spark_session.JAVA_OPTIONS
    block = profile.split("server_side_parameters:", 1)[1]
    keys = re.findall(r"^ {8}(spark\.[\w.]+):", block, re.M)
    assert keys == list(spark_session.settings(PROJECT_DIR / "warehouse" / "spark"))


def machine_memory_bytes() -> int:
    """The memory DuckDB sizes a percentage against: the cgroup's limit where
    one is set (v2 memory.max, v1 memory.limit_in_bytes), else the machine's
    MemTotal."""
    total = None
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            total = int(line.split()[1]) * 1024
    assert total, "no MemTotal in /proc/meminfo"
    for limit in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]:
        path = Path(limit)
        if path.exists() and path.read_text().strip().isdecimal():
            return min(total, int(path.read_text()))
    return total


def test_the_default_memory_limit_is_half_the_machine():
    """The profile's default share (decision 35) becomes half of this
    machine's memory in DuckDB, not a fixed size and not DuckDB's own 80%."""
    import duckdb

    assert cli.DEFAULT_MEMORY_LIMIT.endswith("%")
    with duckdb.connect() as connection:
        connection.execute(f"set memory_limit = '{cli.DEFAULT_MEMORY_LIMIT}'")
        size = connection.execute("select current_setting('memory_limit')").fetchone()[0]
    number, unit = size.split()
    units = {"MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
    got = float(number) * units[unit]
    expected = machine_memory_bytes() / 2
    assert abs(got - expected) <= 0.02 * expected, (size, expected)
