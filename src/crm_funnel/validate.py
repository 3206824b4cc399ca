"""Run the Great Expectations suites in `expectations/` against the warehouse.

Each suite file names queries over the built DuckDB warehouse and the
expectations each result must meet. Frames are validated with GE's pandas data
source in an ephemeral context (no network, no usage statistics), and the
results are rendered as Data Docs HTML when a folder is given.

Suite format (JSON):

    {"name": "marts", "description": "...", "tables": [
        {"name": "fct_lead_handoffs", "query": "select ... from main.fct_lead_handoffs",
         "expectations": [{"type": "expect_column_values_to_be_unique",
                           "kwargs": {"column": "handoff_id"},
                           "severity": "warn"}]}]}

`severity` is `error` (default: a failure fails the gate) or `warn` (reported,
shown in Data Docs, does not fail). A kwarg written as "${name}" takes the value
of parameter `name` (see `gate_parameters`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

PARAMETER = re.compile(r"^\$\{(\w+)\}$")
DEFAULT_PARAMETERS = {
    # share of a raw file's rows that may be dropped before the gate fails;
    # the same env var sets the dbt var max_dropped_share (a dbt warning)
    "max_dropped_share": ("CRM_MAX_DROPPED_SHARE", 0.1),
    # latest load day's dropped share may be this many times the earlier days'
    # median before it is flagged (a warning)
    "max_dropped_share_growth": ("CRM_MAX_DROPPED_SHARE_GROWTH", 2.0),
}


@dataclass
class Outcome:
    suite: str
    table: str
    expectation: str
    column: str | None
    success: bool
    severity: str
    observed: str

    @property
    def blocks(self) -> bool:
        """A failed error-severity expectation stops the release."""
        return not self.success and self.severity == "error"


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def gate_parameters() -> dict[str, float]:
    """Thresholds of the suites, from environment variables or their defaults."""
    values = {}
    for name, (variable, default) in DEFAULT_PARAMETERS.items():
        raw = os.environ.get(variable)
        try:
            values[name] = float(raw) if raw not in (None, "") else default
        except ValueError:
            raise SystemExit(f"{variable}={raw!r} is not a number") from None
    return values


def load_suites(folder: Path) -> list[dict]:
    suites = []
    for path in sorted(folder.glob("*.json")):
        try:
            suite = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise SystemExit(f"{path}: not valid JSON ({error})") from None
        suite["_file"] = path.name
        suites.append(suite)
    if not suites:
        raise SystemExit(f"no expectation suites found in {folder}")
    return suites


def tables_read(folder: Path) -> list[tuple[str, str]]:
    """The (schema, table) pairs the suites' queries read."""
    found = set()
    for suite in load_suites(folder):
        for table in suite["tables"]:
            found.update(re.findall(r"\b(main|intermediate|staging)\.(\w+)", table["query"]))
    return sorted(found)


def resolve(kwargs: dict, parameters: dict[str, float], where: str) -> dict:
    """Replace "${name}" values by their parameter."""
    resolved = {}
    for key, value in kwargs.items():
        match = PARAMETER.match(value) if isinstance(value, str) else None
        if match:
            if match.group(1) not in parameters:
                raise SystemExit(f"{where}: unknown parameter {value}")
            value = parameters[match.group(1)]
        resolved[key] = value
    return resolved


def run_suites(
    warehouse: Path | None,
    folder: Path,
    docs_dir: Path | None = None,
    parameters: dict[str, float] | None = None,
    query=None,
) -> list[Outcome]:
    """Validate every suite; write Data Docs into docs_dir when given. The
    tables are read from the DuckDB file `warehouse`, or with `query(sql)`
    (a DataFrame) on another engine (crm_funnel.engines.reader)."""
    if query is None:
        import duckdb

        if not warehouse.exists():
            raise SystemExit(f"warehouse {warehouse} does not exist: build it first")
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            return run_suites(
                warehouse, folder, docs_dir, parameters, lambda sql: connection.execute(sql).df()
            )
    import warnings

    # Great Expectations imports pyspark when it is installed (for Spark data
    # sources, unused here); pyspark warns about pandas 3 on import
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    parameters = gate_parameters() if parameters is None else parameters
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        shutil.rmtree(docs_dir, ignore_errors=True)
        context.add_data_docs_site(
            "crm_funnel",
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas("warehouse")
    outcomes: list[Outcome] = []
    for suite in load_suites(folder):
        for table in suite["tables"]:
            name = f"{suite['name']}.{table['name']}"
            try:
                frame = query(table["query"])
            except Exception as error:  # the engine's own error type
                message = first_line(str(error))
                raise SystemExit(f"{suite['_file']}: query of {name} failed: {message}") from None
            asset = source.add_dataframe_asset(name.replace(".", "__"))
            batch_definition = asset.add_batch_definition_whole_dataframe("all")
            gx_suite = context.suites.add(gx.ExpectationSuite(name=name))
            for item in table["expectations"]:
                severity = item.get("severity", "error")
                if severity not in ("error", "warn"):
                    raise SystemExit(f"{name}: severity must be error or warn, got {severity}")
                kwargs = resolve(item["kwargs"], parameters, name)
                config = ExpectationConfiguration(
                    type=item["type"], kwargs=kwargs, meta={"severity": severity}
                )
                gx_suite.add_expectation_configuration(config)
            gx_suite.save()
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
            )
            result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
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
                        severity=(config.meta or {}).get("severity", "error"),
                        observed=str(observed)[:80],
                    )
                )
    if docs_dir is not None:
        context.build_data_docs(site_names=["crm_funnel"])
    return outcomes


def summary(outcomes: list[Outcome], verbose: bool = False) -> tuple[str, bool]:
    """Printable lines (failures and warnings; every check when verbose), and
    whether the gate passes."""
    lines = []
    for o in outcomes:
        if o.success and not verbose:
            continue
        mark = "ok  " if o.success else ("FAIL" if o.severity == "error" else "WARN")
        lines.append(f"{mark} {o.suite}.{o.table} {o.expectation} {o.column or ''} {o.observed}")
    failed = sum(o.blocks for o in outcomes)
    warned = sum(not o.success and not o.blocks for o in outcomes)
    passed = len(outcomes) - failed - warned
    lines.append(f"{passed} passed, {warned} warnings, {failed} failed")
    return "\n".join(lines), failed == 0
