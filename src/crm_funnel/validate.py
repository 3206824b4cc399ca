"""Run the Great Expectations suites in `expectations/` against the warehouse.

Each suite file names queries over the built warehouse and the expectations
each result must meet. The checks run where the data is: GE's SQL data source
(SQLAlchemy; duckdb-engine for the DuckDB file, psycopg2 for PostgreSQL) turns
every expectation into SQL aggregates, so no table is read into Python. The
context is ephemeral (no network, no usage statistics), and the results are
rendered as Data Docs HTML when a folder is given. The queries are written in
the SQL DuckDB and PostgreSQL share (docs/decisions.md, 39).

Suite format (JSON):

    {"name": "marts", "description": "...", "tables": [
        {"name": "fct_lead_handoffs", "query": "select ... from main.fct_lead_handoffs",
         "expectations": [{"type": "expect_column_values_to_not_be_null",
                           "kwargs": {"column": "handoff_id"},
                           "severity": "warn"}]}]}

`type` is any of GE's expectation types, or one of the two in
`crm_funnel.gate_expectations` (GE's uniqueness checks by a grouped count; on
PostgreSQL they run as GE's own, `GE_OWN_TYPES`).
`severity` is `error` (default: a failure fails the gate) or `warn` (reported,
shown in Data Docs, does not fail). A kwarg written as "${name}" takes the value
of parameter `name` (see `gate_parameters`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
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


# the raw tables dq_load_summary lists, by CRM source (CRM_SOURCE, as the dbt
# var crm_source; macro crm_raw_tables)
RAW_TABLES = {
    "export": ["lead_status_history", "leads", "activities"],
    "salesforce": ["lead_history", "lead", "task", "event"],
    "hubspot": ["contact_property_history", "contact", "engagement_contact"],
}


def gate_parameters() -> dict[str, float | list[str]]:
    """Thresholds of the suites, from environment variables or their defaults,
    and the raw tables of the CRM source the warehouse was built from."""
    source = (os.environ.get("CRM_SOURCE") or "export").strip().lower()
    if source not in RAW_TABLES:
        raise SystemExit(f"CRM_SOURCE={source!r}: expected one of {', '.join(RAW_TABLES)}")
    values: dict[str, float | list[str]] = {
        "raw_tables": RAW_TABLES[source],
        "raw_table_count": len(RAW_TABLES[source]),
    }
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


def check_suites(folder: Path, parameters: dict | None = None) -> None:
    """Everything about the suites that needs no database: each file is JSON,
    each table has a name, a query and expectations, each severity is known,
    each "${name}" is a parameter (and the parameters' variables are numbers).
    `crm-funnel build` calls it before dbt runs, so a broken suite stops the
    build at once rather than after it; run_suites makes the same checks."""
    parameters = gate_parameters() if parameters is None else parameters
    for suite in load_suites(folder):
        tables = suite.get("tables")
        if not isinstance(tables, list) or not tables:
            raise SystemExit(f"{suite['_file']}: expected a non-empty list of tables")
        for table in tables:
            where = f"{suite['_file']}: {suite.get('name')}.{table.get('name')}"
            if not table.get("name") or not table.get("query"):
                raise SystemExit(f"{where}: each table needs a name and a query")
            if not isinstance(table.get("expectations"), list):
                raise SystemExit(f"{where}: expected a list of expectations")
            for item in table["expectations"]:
                severity = item.get("severity", "error")
                if severity not in ("error", "warn"):
                    raise SystemExit(f"{where}: severity must be error or warn, got {severity}")
                resolve(item.get("kwargs", {}), parameters, where)


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


@dataclass(frozen=True)
class Warehouse:
    """Where the gate's queries run: a SQLAlchemy URL Great Expectations'
    SQL data source connects to, and what the driver needs besides it (a
    password stays out of the URL, so out of any message and of Data Docs)."""

    url: str
    connect_args: dict
    engine_options: dict = field(default_factory=dict)

    @classmethod
    def duckdb(cls, path: Path) -> Warehouse:
        """The DuckDB file, read-only, with twice as many DuckDB threads as
        cores: at 1M leads on 2 cores the gate took 4.2-4.3 s with 4 threads
        against 6.9-7.3 s with DuckDB's default of one per core, and less CPU
        (docs/performance.md, "Issue 26: the gate's DuckDB threads")."""
        if not path.exists():
            raise SystemExit(f"warehouse {path} does not exist: build it first")
        threads = 2 * (os.cpu_count() or 1)
        return cls(
            f"duckdb:///{path.absolute()}", {"read_only": True, "config": {"threads": threads}}
        )

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    @classmethod
    def postgres(cls, settings: dict[str, str]) -> Warehouse:
        """The profile's postgres target (crm_funnel.engines.postgres_settings)."""
        from sqlalchemy.engine import URL

        url = URL.create(
            "postgresql+psycopg2",
            username=settings["CRM_PG_USER"],
            host=settings["CRM_PG_HOST"],
            port=int(settings["CRM_PG_PORT"]),
            database=settings["CRM_PG_DATABASE"],
        )
        password = settings.get("CRM_PG_PASSWORD") or None
        args = {"password": password} if password else {}
        # GE runs a query asset's whole query once to learn its column names
        # and reads none of its rows; psycopg2 would fetch them all into
        # Python first (4.7M rows at 1M leads). A server-side cursor fetches
        # rows only when asked.
        return cls(
            url.render_as_string(hide_password=False),
            args,
            {"execution_options": {"stream_results": True}},
        )


def read_rows_before_closing() -> None:
    """Make Great Expectations' SQL execution work over duckdb-engine.

    GE 1.24's `SqlAlchemyExecutionEngine.execute_query` returns the cursor
    result after the `with` block that closed its connection (it keeps
    connections open only for SQLite, SQL Server, BigQuery and Databricks).
    psycopg2's default cursor has read every row by then; duckdb-engine's
    cursor has not (nor has the server-side cursor the gate uses on
    PostgreSQL, `Warehouse.postgres`), so `fetchall()` returns no rows and
    every metric fails with `list index out of range` (GE issue 11579,
    closed with a clearer error, not a fix). Here the rows are read while
    the connection is open, for every dialect; GE's own queries are
    aggregates or carry a `limit`, and the queries and results are
    unchanged (docs/decisions.md, 39)."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    cls = engine.SqlAlchemyExecutionEngine
    if getattr(cls, "_crm_funnel_reads_rows", False):
        return

    def execute_query(self, query):
        with self.get_connection() as connection:
            result = self._execute_query_with_recovery(connection, query)
            return result.freeze()()

    cls.execute_query = execute_query
    cls._crm_funnel_reads_rows = True


def import_great_expectations():
    """`import great_expectations`, with its SQL driver, safe in any process.

    GE imports pyspark when it is installed (for Spark data sources, unused
    here). pyspark warns about pandas 3 on import, and its Spark Connect module
    calls `sys.exit(0)` when `__main__` has neither a file nor a spec, taking
    the process for a doctest run: so it does in a pytest-xdist worker or an
    embedding host. `sys.ps1` (an interactive session) tells it otherwise for
    the length of the import. crm-funnel build calls this while dbt runs, so
    the gate does not wait for the import (about 4 s)."""
    import sys
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    main = sys.modules.get("__main__")
    doctest_like = (
        getattr(main, "__spec__", None) is None
        and not hasattr(main, "__file__")
        and not hasattr(sys, "ps1")
    )
    if doctest_like:
        sys.ps1 = ""
    try:
        import duckdb_engine  # noqa: F401 (SQLAlchemy's DuckDB dialect)
        import great_expectations
    finally:
        if doctest_like:
            del sys.ps1
    return great_expectations


def as_select(query: str) -> str:
    """GE's query assets must start with `select`; a query opening with a
    `with` clause is read as a subquery."""
    if re.match(r"\s*select\s", query, re.IGNORECASE):
        return query
    return f"select * from ({query}) as suite_query"


# GE's SUMMARY without the sample of unexpected values: every check's counts
# (its observed value in Data Docs) in fewer queries. A table with a failed
# check is validated again with the sample (docs/decisions.md, 44).
COUNTS_ONLY = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


# PostgreSQL checks a row's key against the grouped count's repeated keys with
# a subplan it scans again for every row (it hashes it only when it expects a
# small result it prefers to hash): fast when a check passes, but when keys
# repeat in millions of rows (the failure the check is for) the work grows with
# rows times repeated keys: 4.7M rows with 47K repeated keys were not checked
# after 3 minutes (docs/decisions.md, 44, amended). There the suites'
# uniqueness checks are GE's own types (the same kwargs, success rule and
# results), whose window counts cost the same whether a check passes or not.
GE_OWN_TYPES = {
    "expect_column_values_to_be_unique_by_group_count": "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique_by_group_count": "expect_compound_columns_to_be_unique",
}


def expectation_type(name: str, warehouse: Warehouse) -> str:
    """The GE type a suite's check runs as in this warehouse."""
    return GE_OWN_TYPES.get(name, name) if warehouse.is_postgres else name


def run_suites(
    warehouse: Warehouse | Path,
    folder: Path,
    docs_dir: Path | None = None,
    parameters: dict[str, float] | None = None,
) -> list[Outcome]:
    """Validate every suite where the data is: each table's query runs in the
    warehouse, and Great Expectations computes every check there as SQL
    aggregates (its SQL data source). Data Docs go into docs_dir when given."""
    if isinstance(warehouse, Path):
        warehouse = Warehouse.duckdb(warehouse)
    gx = import_great_expectations()
    import sqlalchemy as sa
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    from crm_funnel import gate_expectations  # noqa: F401 (registers the suites' own types)

    read_rows_before_closing()
    parameters = gate_parameters() if parameters is None else parameters
    check_suites(folder, parameters)
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
    # the PostgreSQL data source is GE's SQL one with the dialect's own settings
    add = context.data_sources.add_sql
    if warehouse.is_postgres:
        add = context.data_sources.add_postgres
    source = add(
        "warehouse",
        connection_string=warehouse.url,
        kwargs={"connect_args": warehouse.connect_args, **warehouse.engine_options},
    )
    outcomes: list[Outcome] = []
    try:
        for suite in load_suites(folder):
            for number, table in enumerate(suite["tables"]):
                name = f"{suite['name']}.{table['name']}"
                query = as_select(table["query"])
                try:  # a query that cannot run is named here, not as N failed checks
                    with source.get_engine().connect() as connection:
                        connection.execute(sa.text(f"select * from ({query}) as q limit 0"))
                except Exception as error:  # the engine's own error type
                    message = first_line(str(getattr(error, "orig", None) or error))
                    raise SystemExit(
                        f"{suite['_file']}: query of {name} failed: {message}"
                    ) from None
                asset = source.add_query_asset(f"{suite['name']}_{number}", query=query)
                batch_definition = asset.add_batch_definition_whole_table("all")
                gx_suite = context.suites.add(gx.ExpectationSuite(name=name))
                for item in table["expectations"]:
                    severity = item.get("severity", "error")  # known: check_suites
                    kwargs = resolve(item["kwargs"], parameters, name)
                    config = ExpectationConfiguration(
                        type=expectation_type(item["type"], warehouse),
                        kwargs=kwargs,
                        meta={"severity": severity},
                    )
                    gx_suite.add_expectation_configuration(config)
                gx_suite.save()
                definition = context.validation_definitions.add(
                    gx.ValidationDefinition(name=name, data=batch_definition, suite=gx_suite)
                )
                result = definition.run(result_format=COUNTS_ONLY)
                if not result.success:
                    # the failed table again, with the values that broke its
                    # checks; the same run id, so Data Docs keep this result only
                    result = definition.run(result_format="SUMMARY", run_id=result.meta["run_id"])
                outcomes += [outcome(suite, table, check) for check in result.results]
        if docs_dir is not None:
            context.build_data_docs(site_names=["crm_funnel"])
    finally:
        source.get_engine().dispose()
    return outcomes


def outcome(suite: dict, table: dict, check) -> Outcome:
    """One check's result; a check GE could not compute is a clear error, not
    a failure to read as data."""
    config = check.expectation_config
    raised = (check.exception_info or {}).get("raised_exception")
    if raised:
        message = first_line(check.exception_info.get("exception_message") or "")
        raise SystemExit(
            f"{suite['_file']}: {suite['name']}.{table['name']} {config.type} "
            f"could not be computed: {message}"
        )
    observed = check.result.get("observed_value")
    if observed is None:
        observed = f"unexpected={check.result.get('unexpected_count', 0)}"
    return Outcome(
        suite=suite["name"],
        table=table["name"],
        expectation=config.type,
        column=config.kwargs.get("column"),
        success=bool(check.success),
        severity=(config.meta or {}).get("severity", "error"),
        observed=str(observed)[:80],
    )


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
