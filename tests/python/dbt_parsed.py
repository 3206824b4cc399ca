"""Run dbt commands on a manifest dbt parsed earlier (tests only).

dbt's own programmatic runner with a pre-parsed manifest: the command is the
real dbt command, minus the ~7 CPU-s of parsing the project, which does not depend
on the raw export a test builds (conftest.dbt_build parses once per warehouse
file name, since DuckDB names its catalog after the file).

Each command runs in a process of its own, forked from a server that has
imported dbt once per test process (multiprocessing's forkserver, this module
preloaded): a build starts with nothing of an earlier build in memory, and
without the ~2 CPU-seconds a new Python spends importing dbt (measured: six
builds of the sample, 53 CPU-s as new processes, 44 forked).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

# what every build imports: loaded once, in the fork server
from dbt.adapters.duckdb import impl as _duckdb_impl  # noqa: F401
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest
from dbt.parser.manifest import extended_mashumuro_decoder
from dbt.task import build as _build_task  # noqa: F401

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload([__name__])


def _child(manifest: str, args: list[str], env: dict[str, str], output: str) -> None:
    """In the forked process: dbt's output to `output`, the exit code 0 or 1."""
    sink = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(sink, 1)
    os.dup2(sink, 2)
    os.environ.clear()
    os.environ.update(env)
    parsed = None
    if manifest:
        data = Path(manifest).read_bytes()
        parsed = Manifest.from_msgpack(data, decoder=extended_mashumuro_decoder)
        parsed.build_flat_graph()  # the `graph` macros read (dbt builds it after parsing)
    success = dbtRunner(manifest=parsed).invoke(args).success
    # what a process does when it exits, which a forked one skips: dbt-duckdb
    # closes DuckDB there, which moves the write-ahead log into the file
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(0 if success else 1)


def run(manifest: Path | None, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """`dbt <args>` with environment `env`, on the parsed `manifest` (None: dbt
    parses the project, as `dbt parse` does): the exit code (0 or 1) and dbt's
    output."""
    with tempfile.NamedTemporaryFile(prefix="dbt-", suffix=".log") as output:
        where = str(manifest or "")
        process = _CONTEXT.Process(target=_child, args=(where, args, env, output.name))
        process.start()
        process.join()
        return process.exitcode, Path(output.name).read_text(errors="replace")
