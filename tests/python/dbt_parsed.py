"""Run one dbt command on a manifest dbt parsed earlier (tests only).

usage: python dbt_parsed.py PARTIAL_PARSE_MSGPACK dbt-args...

dbt's own programmatic runner with a pre-parsed manifest: the command is the
real dbt command, minus the ~5 s of parsing the project, which does not depend
on the raw export a test builds (conftest.dbt_build parses once per warehouse
file name, since DuckDB names its catalog after the file).
"""

from __future__ import annotations

import sys
from pathlib import Path

from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest
from dbt.parser.manifest import extended_mashumuro_decoder

if __name__ == "__main__":
    manifest = Manifest.from_msgpack(
        Path(sys.argv[1]).read_bytes(), decoder=extended_mashumuro_decoder
    )
    manifest.build_flat_graph()  # the `graph` macros read (dbt builds it after parsing)
    sys.exit(0 if dbtRunner(manifest=manifest).invoke(sys.argv[2:]).success else 1)
