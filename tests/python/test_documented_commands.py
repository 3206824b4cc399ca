"""Every shell block of the README and of docs/*.md runs as written.

A user copies a ```bash block into a shell at the repository root, after the
README's first command (scripts/setup.sh, which .ci/run runs before this
suite). Each block runs here the same way: verbatim, in `bash -e`, in a shell
with none of the project's settings (no CRM_*, no DBT_PROFILES_DIR), so a
step the docs leave out fails the block. A block that writes to a path the
user names (`path/to/export`) runs in a temporary folder holding `.venv`
and that path; a throwaway PostgreSQL server is the block's own.

A block the tests cannot run says why in an HTML comment on the line before
it, `<!-- not run by the tests: why -->`, and is listed below by name;
`<!-- run by .ci/run, as written -->` marks the README's two commands, which
.ci/run must run line for line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT_DIR

DOCS = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
NOT_RUN = "not run by the tests: "
RUN_BY_CI = "run by .ci/run, as written"

# Blocks no test runs, by name, and why (the docs say the same above each).
SKIPPED = {
    "README.md, Generating exports and benchmarking, block 2": "a benchmark takes 20 to 60 minutes",
}


@dataclass(frozen=True)
class Block:
    name: str  # "<file>, <heading>, block <n>"
    text: str
    marker: str  # the HTML comment before the fence, if any
    where: str  # "<file>-L<line>", the test's id (headings name engines: -k would match them)

    @property
    def engine(self) -> str:
        for engine in ("postgres", "spark"):
            if f"--target {engine}" in self.text:
                return engine
        return "duckdb"


def shell_blocks() -> list[Block]:
    blocks = []
    for path in DOCS:
        heading, count, previous = "", {}, ""
        lines = iter(enumerate(path.read_text().splitlines(), start=1))
        for number, line in lines:
            if line.startswith("#") and not line.startswith("#!"):
                heading = line.lstrip("#").strip()
            if line.strip() in ("```bash", "```sh", "```shell"):
                body = []
                for _, inner in lines:
                    if inner.strip() == "```":
                        break
                    body.append(inner)
                count[heading] = count.get(heading, 0) + 1
                marker = re.fullmatch(r"<!--\s*(.*?)\s*-->", previous.strip())
                name = f"{path.relative_to(PROJECT_DIR)}, {heading}, block {count[heading]}"
                where = f"{path.name}-L{number}"
                text = "\n".join(body) + "\n"
                blocks.append(Block(name, text, marker[1] if marker else "", where))
            previous = line
    return blocks


BLOCKS = shell_blocks()
TO_RUN: dict[str, Block] = {}
for _block in BLOCKS:  # a block repeated word for word in two pages runs once
    if not _block.marker and _block.text not in {b.text for b in TO_RUN.values()}:
        TO_RUN[_block.name] = _block


def users_shell() -> dict[str, str]:
    """The environment of a user's new shell: none of the project's settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CRM_", "DBT_PROFILES_DIR", "DBT_TARGET_PATH", "PYTEST_"))
    }


def run_block(block: Block, folder: Path) -> subprocess.CompletedProcess:
    """`block` as a user runs it: at the repository root, or in `folder`
    (with .venv, as at the root) when it names a path of the user's own."""
    cwd = PROJECT_DIR
    if "path/to/" in block.text:
        cwd = folder
        (folder / ".venv").symlink_to(PROJECT_DIR / ".venv")
        # the user's own export, where the block's placeholder path says
        shutil.copytree(PROJECT_DIR / "data" / "sample", folder / "path" / "to" / "export")
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.text],
        cwd=cwd,
        env=users_shell(),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_the_docs_have_shell_blocks_and_every_skip_is_named():
    names = {block.name for block in BLOCKS}
    assert len(TO_RUN) >= 6, sorted(TO_RUN)
    assert "README.md, crm-funnel, block 1" in names  # the two commands
    marked = {b.name: b.marker for b in BLOCKS if b.marker and b.marker != RUN_BY_CI}
    assert all(marker.startswith(NOT_RUN) for marker in marked.values()), marked
    skipped = {name: marker.removeprefix(NOT_RUN) for name, marker in marked.items()}
    assert set(skipped) == set(SKIPPED), skipped
    for name, why in SKIPPED.items():
        assert skipped[name].startswith(why), (name, skipped[name])


def test_ci_runs_the_readmes_two_commands_as_written():
    (block,) = [b for b in BLOCKS if b.marker == RUN_BY_CI]
    commands = [line.split("#")[0].strip() for line in block.text.splitlines() if line.strip()]
    ci = [line.strip() for line in (PROJECT_DIR / ".ci" / "run").read_text().splitlines()]
    assert commands == ["bash scripts/setup.sh", "bash scripts/test.sh"]
    assert [line for line in ci if line in commands] == commands


@pytest.mark.parametrize(
    "name",
    # the id names the engine, so that `-k spark` and `-k "not postgres"` choose
    [pytest.param(name, id=f"{block.where}-{block.engine}") for name, block in TO_RUN.items()],
)
def test_documented_block_runs_as_written(name, tmp_path):
    block = TO_RUN[name]
    started = time.time()
    done = run_block(block, tmp_path)
    if block.engine != "duckdb":
        # another engine's artifacts go to target/<engine>/: target/'s semantic
        # manifest stays the DuckDB warehouse's, which `crm-funnel report` reads
        run_results = PROJECT_DIR / "target" / block.engine / "run_results.json"
        assert run_results.exists() and run_results.stat().st_mtime >= started
    assert done.returncode == 0, (
        f"{name} failed:\n{block.text}\n--- stdout\n{done.stdout[-4000:]}"
        f"\n--- stderr\n{done.stderr[-3000:]}"
    )
    failures = [line for line in done.stderr.splitlines() if line.startswith("crm-funnel: ")]
    assert failures == [], failures
    if block.engine != "duckdb" and "crm-funnel build" in block.text:
        # dbt's unit tests ran on this engine (the golden builds on PostgreSQL
        # and Spark leave them to the README's build of the sample)
        results = json.loads(run_results.read_text())["results"]
        units = [r["status"] for r in results if r["unique_id"].startswith("unit_test.")]
        assert units and set(units) == {"pass"}, units
    for command in re.findall(r"crm-funnel build\b[^\n#]*", block.text):
        # the whole build ran: dbt, the gate, every raw row accounted for
        where = "built on" if "--target" in command else "SAL rate"
        assert where in done.stdout, (command, done.stdout[-3000:])
        assert "== Great Expectations (release gate)" in done.stdout
        assert re.search(r"^\d+ passed, \d+ warnings, 0 failed$", done.stdout, re.M)
        assert re.search(
            r"^(lead_status_history|lead_history|contact_property_history): (\d+) raw rows = \d+ clean \+ \d+ dropped$",
            done.stdout,
            re.M,
        ), done.stdout[-3000:]
    if "mf query" in block.text:
        assert "sal_rate" in done.stdout or "rejections" in done.stdout, done.stdout[-3000:]
    if "--html funnel.html" in block.text:
        page = PROJECT_DIR / "funnel.html"
        assert "<html" in page.read_text()[:2000].lower()
        page.unlink()
