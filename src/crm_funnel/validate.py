"""Run the Great Expectations suites in `expectations/` against the warehouse.

Each suite file names a query over the built DuckDB warehouse and the
expectations its result must meet. Frames are validated with GE's pandas data
source in an ephemeral context (no network, no usage statistics).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")


@dataclass
class Outcome:
    suite: str
    table: str
    expectation: str
    column: str | None
    success: bool
    observed: str


def load_suites(folder: Path) -> list[dict]:
    suites = []
    for path in sorted(folder.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        suite["_file"] = path.name
        suites.append(suite)
    if not suites:
        raise SystemExit(f"no expectation suites found in {folder}")
    return suites


def run_suites(warehouse: Path, folder: Path) -> list[Outcome]:
    import duckdb
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    if not warehouse.exists():
        raise SystemExit(f"warehouse {warehouse} does not exist: build it first")
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("warehouse")
    outcomes: list[Outcome] = []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        for suite in load_suites(folder):
            for table in suite["tables"]:
                frame = connection.sql(table["query"]).df()
                asset = source.add_dataframe_asset(f"{suite['name']}__{table['name']}")
                batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
                    batch_parameters={"dataframe": frame}
                )
                gx_suite = gx.ExpectationSuite(name=f"{suite['name']}.{table['name']}")
                for item in table["expectations"]:
                    config = ExpectationConfiguration(type=item["type"], kwargs=item["kwargs"])
                    gx_suite.add_expectation_configuration(config)
                result = batch.validate(gx_suite, result_format="SUMMARY")
                for check in result.results:
                    config = check.expectation_config
                    observed = check.result.get("observed_value")
                    if observed is None:
                        observed = f"unexpected={check.result.get('unexpected_count', 0)}"
                    outcomes.append(
                        Outcome(
                            suite=suite["name"],
                            table=table["name"],
                            expectation=config.type,
                            column=config.kwargs.get("column"),
                            success=bool(check.success),
                            observed=str(observed)[:80],
                        )
                    )
    return outcomes
