"""One set of defaults: `crm-funnel build` and a plain `dbt build` read the
same raw folder and warehouse and use the same threads and memory limit when
nothing is set. The CLI keeps its defaults in cli.py; dbt reads them from
profiles.yml and macros/raw_files.sql, which the CLI cannot share, so this
test keeps the three equal."""

from __future__ import annotations

import re

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
