"""The same build on DuckDB, PostgreSQL and Spark, for the parametrized tests.

`warehouse(engine, folder, name)` gives a Warehouse: `build(raw)` loads a raw
export and runs the real `dbt build` on that engine; `rows(sql)` and `one(sql)`
query the built warehouse (schema main first, as BI tools read it); `columns()`
lists every column of the build's schemas. DuckDB reads the export files (the
default, raw_source files); PostgreSQL and Spark read raw tables loaded from
them (raw_source tables), as their users' data arrives.

PostgreSQL is one throwaway server per test session (and xdist worker), a
database per warehouse; dbt runs forked from tests/python/dbt_parsed.py's
server. Spark is the profile's local session; its catalog is an embedded
Derby database that one process opens at a time, so the test process loads
the raw tables, runs dbt (dbtRunner, whose session method finds the session
already open) and reads the marts in one session, one JVM for all three. The
README's Spark steps run as a user runs them, each command a process of its own
(test_documented_commands.py).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from conftest import PROJECT_DIR, Build, dbt_build

from crm_funnel import postgres_server, raw_load, spark_session
from crm_funnel.dbt_plugin import SAMPLE_SALT

ENGINES = ["duckdb", "postgres", "spark"]
SCHEMAS = ("main", "intermediate", "staging", "reference")
_SERVER: dict[str, str] = {}


def postgres_env() -> dict[str, str]:
    """This session's throwaway PostgreSQL server (started on first use)."""
    if not _SERVER:
        folder = Path(tempfile.mkdtemp(prefix="crm-funnel-pg-"))
        os.chmod(folder, 0o755)
        # as a user starts it (docs/engines.md): the server makes the BI role
        # of the grants config (dbt_project.yml) and says its password
        _SERVER.update(postgres_server.start(folder / "server"), folder=str(folder))
    return _SERVER


def server_settings(database: str | None = None) -> dict[str, str]:
    """The CRM_PG_* settings of this session's server, for `database`."""
    env = {k: v for k, v in postgres_env().items() if k.startswith("CRM_PG_")}
    return dict(env, CRM_PG_DATABASE=database) if database else env


def stop_postgres() -> None:
    """Stop this session's server and remove its folder (about 170 MB)."""
    if _SERVER:
        postgres_server.stop(Path(_SERVER["folder"]) / "server")
        shutil.rmtree(_SERVER["folder"], ignore_errors=True)
        _SERVER.clear()


def dbt_on(target: str, env: dict[str, str], work: Path, *args: str) -> tuple[int, str]:
    """A real `dbt build` (or other command) on `target`, artifacts in `work`:
    the exit code (0 or 1) and dbt's output. Spark's runs in this process, on
    its session (above); the others in a process forked from dbt_parsed's."""
    args = (*args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR))
    args += ("--target-path", str(work / "target"), "--log-path", str(work / "logs"))
    env = dict(DBT_SEND_ANONYMOUS_USAGE_STATS="false", CRM_TARGET=target, **env)
    if target == "spark":
        _spark(Path(env["CRM_SPARK_WAREHOUSE"]))  # this warehouse's session, open
        return _dbt_in_this_process(list(args), env)
    import dbt_parsed

    return dbt_parsed.run(None, list(args), dict(os.environ, **env))


def _dbt_in_this_process(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    from dbt.cli.main import dbtRunner

    saved = dict(os.environ)
    os.environ.update(env)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            success = dbtRunner().invoke(args).success
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return (0 if success else 1), output.getvalue()


@dataclass
class Warehouse:
    engine: str
    folder: Path
    name: str
    output: str = ""
    returncode: int = 0
    _duckdb: Build | None = field(default=None, repr=False)
    second_night: tuple[int, str] | None = None

    # -- building --------------------------------------------------------
    def build(self, raw: Path, *extra: str, full_tests: bool = False) -> Warehouse:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.engine == "duckdb":
            built = dbt_build(
                raw, self.folder / self.name / "w.duckdb", *extra, full_tests=full_tests
            )
            self._duckdb = built
            self.returncode, self.output = built.returncode, built.output
            return self
        args = ["build", *extra]
        if not full_tests:
            args += ["--exclude", "test_type:unit", "tag:column_checks"]
        if self.engine == "postgres":
            env = self._postgres_env()
            connection = postgres_server.connect(env)
            raw_load.load_postgres(raw, connection)
            connection.close()
            salt = os.environ.get("CRM_EMAIL_SALT", SAMPLE_SALT)
            env["PGOPTIONS"] = f"-c crm.email_salt={salt}"
        else:
            env = self._spark_env()
            raw_load.load_spark(str(raw), _spark(self.folder / self.name))
        self.returncode, self.output = dbt_on(self.engine, env, self.folder / "dbt", *args)
        return self

    def load(self, raw: Path) -> Warehouse:
        """PostgreSQL: the raw tables of `raw` in this warehouse's database, no build."""
        connection = postgres_server.connect(self._postgres_env())
        raw_load.load_postgres(raw, connection)
        connection.close()
        return self

    def _postgres_env(self) -> dict[str, str]:
        env = server_settings()
        admin = postgres_server.connect(env, dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (self.name,))
            if cursor.fetchone() is None:
                cursor.execute(f'create database "{self.name}"')
        admin.close()
        env["CRM_PG_DATABASE"] = self.name
        return env

    def _spark_env(self) -> dict[str, str]:
        salt = os.environ.get("CRM_EMAIL_SALT", SAMPLE_SALT)
        return {"CRM_SPARK_WAREHOUSE": str(self.folder / self.name), "CRM_EMAIL_SALT": salt}

    def run(self, *args: str) -> tuple[int, str]:
        """Another dbt command on this built warehouse (PostgreSQL or Spark)."""
        env = self._spark_env() if self.engine == "spark" else self._postgres_env()
        if self.engine == "postgres":
            env["PGOPTIONS"] = "-c crm.email_salt=" + os.environ.get("CRM_EMAIL_SALT", SAMPLE_SALT)
        return dbt_on(self.engine, env, self.folder / "dbt", *args)

    def rows_as(self, user: str, sql: str) -> list[tuple]:
        """PostgreSQL: the rows of `sql` as another login role."""
        env = server_settings(self.name)
        connection = postgres_server.connect(env, user=user, password=_SERVER["CRM_BI_PASSWORD"])
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()

    # -- reading ---------------------------------------------------------
    def rows(self, sql: str) -> list[tuple]:
        if self.engine == "duckdb":
            return self._duckdb.rows(sql)
        if self.engine == "postgres":
            connection = postgres_server.connect(server_settings(self.name))
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"set search_path = {', '.join(SCHEMAS)}")
                    cursor.execute(sql)
                    return [tuple(row) for row in cursor.fetchall()]
            finally:
                connection.close()
        session = _spark(self.folder / self.name)
        session.catalog.setCurrentDatabase("main")
        return [tuple(row) for row in session.sql(sql).collect()]

    def one(self, sql: str) -> tuple:
        rows = self.rows(sql)
        assert len(rows) == 1, rows
        return rows[0]

    def columns(self) -> list[tuple[str, str, str, bool]]:
        """(schema, table, column, is_text) of every table of the build."""
        if self.engine == "spark":
            found = []
            session = _spark(self.folder / self.name)
            for schema in SCHEMAS:
                for table in session.sql(f"show tables in {schema}").collect():
                    for column in session.table(f"{schema}.{table.tableName}").schema.fields:
                        is_text = column.dataType.simpleString() == "string"
                        found.append((schema, table.tableName, column.name, is_text))
            return found
        text = "('VARCHAR', 'character varying', 'text')"
        return [
            (schema, table, column, bool(is_text))
            for schema, table, column, is_text in self.rows(
                "select table_schema, table_name, column_name, data_type in "
                + text
                + " from information_schema.columns where table_schema in "
                + "('"
                + "', '".join(SCHEMAS)
                + "')"
            )
        ]

    def attach(self, built: Build) -> Warehouse:
        """This warehouse as the DuckDB build `built` (already made)."""
        self._duckdb, self.returncode, self.output = built, built.returncode, built.output
        return self

    def sorted_rows(self, sql: str, rows: list[tuple] | None = None) -> list[tuple]:
        """The rows of `sql` (or `rows`), in a fixed order, floats to 1e-9:
        the form in which engines' results are compared."""
        rows = self.rows(sql) if rows is None else rows
        return sorted(
            (tuple(round(float(v), 9) if isinstance(v, float) else v for v in row) for row in rows),
            key=repr,
        )


_SESSIONS: dict[Path, object] = {}


def _spark(folder: Path):
    """The test process's session on the Spark warehouse in `folder` (one at
    a time: opening another stops this one, the JVM stays)."""
    if folder not in _SESSIONS:
        os.environ["TZ"] = "UTC"  # PySpark returns timestamps in the process's zone
        time.tzset()
        # the JVM reads the email salt from its environment, once, when it
        # starts (macros/privacy.sql): the builds' salt, before the first session
        os.environ.setdefault("CRM_EMAIL_SALT", SAMPLE_SALT)
        for other in list(_SESSIONS.values()):
            other.stop()
        _SESSIONS.clear()
        _SESSIONS[folder] = spark_session.session(folder)
    return _SESSIONS[folder]


def warehouse(engine: str, folder: Path, name: str) -> Warehouse:
    return Warehouse(engine, Path(folder), name)
