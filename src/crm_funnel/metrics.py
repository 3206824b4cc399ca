"""The semantic layer, queried from Python: MetricFlow on a DuckDB warehouse.

Every number the CLI prints and the HTML report shows comes from here, so it
comes from one metric definition (models/marts/funnel/_funnel__metrics.yml),
not from SQL or pandas written again in Python (docs/semantic-layer.md).

MetricFlow plans each query from dbt's semantic manifest
(`target/semantic_manifest.json`, written by every dbt parse or build) and
renders DuckDB SQL; `DuckDbClient` runs that SQL on one read-only connection
to the warehouse. That is the DuckDB SqlClient MetricFlow's own CLI gets from
a dbt adapter, without starting dbt: `mf query` spends about 5 s before the
first query, this about 1 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]


class MetricsError(Exception):
    """The semantic layer cannot answer (no manifest, an unknown metric)."""


def semantic_manifest_path() -> Path:
    """Where dbt writes the semantic manifest: its target path."""
    target = os.environ.get("DBT_TARGET_PATH") or str(PROJECT_DIR / "target")
    return Path(target) / "semantic_manifest.json"


def write_semantic_manifest() -> Path:
    """Run `dbt parse` (no warehouse needed) when no manifest is there yet."""
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), "parse", "--quiet", "--project-dir", str(PROJECT_DIR)]
    command += ["--profiles-dir", str(PROJECT_DIR)]
    done = subprocess.run(command, capture_output=True, text=True)
    path = semantic_manifest_path()
    if done.returncode != 0 or not path.exists():
        raise MetricsError(f"dbt parse could not write {path}: {done.stdout[-500:]}")
    return path


@dataclass(frozen=True)
class Metric:
    """A metric's name, label and description as its YAML defines them."""

    name: str
    label: str
    description: str


def import_metricflow() -> None:
    """Import what a SemanticLayer and its queries use (about 0.3 s once
    crm_funnel.report is imported); crm-funnel build does it while dbt builds."""
    import metricflow.engine.metricflow_engine  # noqa: F401
    import metricflow_semantics.model.dbt_manifest_parser  # noqa: F401
    import metricflow_semantics.model.semantic_manifest_lookup  # noqa: F401

    _duckdb_client_class()


def _duckdb_client_class():  # imported lazily: MetricFlow takes about a second to import
    from metricflow.data_table.mf_table import MetricFlowDataTable
    from metricflow.protocols.sql_client import SqlEngine
    from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

    class DuckDbClient:
        """MetricFlow's SqlClient on one DuckDB connection (read-only queries)."""

        def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
            self._connection = connection
            self._renderer = DuckDbSqlPlanRenderer()

        @property
        def sql_engine_type(self) -> SqlEngine:
            return SqlEngine.DUCKDB

        @property
        def sql_plan_renderer(self) -> DuckDbSqlPlanRenderer:
            return self._renderer

        def query(self, stmt: str, sql_bind_parameter_set=None) -> MetricFlowDataTable:
            self._refuse_parameters(sql_bind_parameter_set)
            cursor = self._connection.execute(stmt)
            names = [column[0] for column in cursor.description]
            return MetricFlowDataTable.create_from_rows(
                column_names=names, rows=[list(row) for row in cursor.fetchall()]
            )

        def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
            self._refuse_parameters(sql_bind_parameter_set)
            self._connection.execute(stmt)

        def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
            self._refuse_parameters(sql_bind_parameter_set)
            self._connection.execute(f"explain {stmt}")

        def close(self) -> None:
            self._connection.close()

        def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
            return f"${bind_parameter_key}"

        @staticmethod
        def _refuse_parameters(parameters) -> None:
            if parameters is not None and parameters.param_dict:
                raise MetricsError("bind parameters are not used by crm-funnel's queries")

    return DuckDbClient


class SemanticLayer:
    """Metric queries on one warehouse file; use as a context manager."""

    def __init__(self, warehouse: Path, manifest: Path | None = None) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import (
            parse_manifest_from_dbt_generated_manifest,
        )
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        path = manifest or semantic_manifest_path()
        if not path.exists():
            path = write_semantic_manifest()
        self.warehouse = warehouse
        self.connection = duckdb.connect(str(warehouse), read_only=True)
        database = self.connection.execute("select current_database()").fetchone()[0]
        raw = json.loads(path.read_text())
        # the manifest names the database dbt parsed against (the file's stem);
        # the same tables are read from whatever file this warehouse is
        relations = [model["node_relation"] for model in raw["semantic_models"]]
        configuration = raw["project_configuration"]
        relations += [spine["node_relation"] for spine in configuration.get("time_spines", [])]
        for relation in relations:
            relation["database"] = database
            relation["relation_name"] = (
                f'"{database}"."{relation["schema_name"]}"."{relation["alias"]}"'
            )
        semantic_manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(raw))
        self.catalog = {
            metric.name: Metric(metric.name, metric.label or metric.name, metric.description or "")
            for metric in semantic_manifest.metrics
        }
        self._engine = MetricFlowEngine(
            SemanticManifestLookup(semantic_manifest), _duckdb_client_class()(self.connection)
        )

    def __enter__(self) -> SemanticLayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.close()

    def query(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
    ) -> list[dict]:
        """Rows of {column: value}, ordered by the group-by columns."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        unknown = [name for name in metrics if name not in self.catalog]
        if unknown:
            raise MetricsError(f"no metric named {', '.join(unknown)} in the semantic layer")
        request = MetricFlowQueryRequest.create(
            metric_names=list(metrics),
            group_by_names=list(group_by),
            order_by_names=list(group_by),
            where_constraints=list(where) or None,
        )
        table = self._engine.query(request).result_df
        names = list(table.column_names)
        return [dict(zip(names, row, strict=True)) for row in table.rows]
