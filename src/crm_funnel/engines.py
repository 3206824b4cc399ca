"""The warehouses crm-funnel builds besides the default DuckDB file.

`crm-funnel build --target postgres|spark` runs the real `dbt build` on that
engine and then the Great Expectations gate, reading the marts through the
engine (`reader`). The DuckDB-only steps say so instead: the atomic swap of a
warehouse file, the headline numbers and the HTML report (the semantic layer's
engine reads DuckDB). docs/engines.md says what differs per engine and why.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

TARGETS = ("duckdb", "postgres", "spark")


def dbt_env(target: str, salt: str) -> dict[str, str]:
    """What dbt needs in its environment on `target`, besides the profile's
    own CRM_* variables: the email salt, bound the engine's way
    (docs/engines.md, "Email salt"), never as SQL text."""
    if target == "postgres":
        # a server setting of the session; PGOPTIONS is read by libpq. Spaces
        # and backslashes in an option value are escaped with a backslash.
        value = salt.replace("\\", "\\\\").replace(" ", "\\ ")
        options = os.environ.get("PGOPTIONS", "")
        return {"PGOPTIONS": f"{options} -c crm.email_salt={value}".strip()}
    if target == "spark":
        return {"CRM_EMAIL_SALT": salt}
    return {}


def local_copy(target: str, tables: list[tuple[str, str]], path):
    """A DuckDB file at `path` holding `tables` ((schema, table) pairs) as read
    from `target`: the Great Expectations suites' queries then run unchanged
    on Spark, which has no SQLAlchemy driver here (docs/engines.md). Returns
    the open connection; close it before another process reads the file."""
    import duckdb

    connection = duckdb.connect(str(path))
    with reader(target) as query:
        for schema, table in sorted(set(tables)):
            frame = query(f"select * from {schema}.{table}")  # noqa: F841 (DuckDB reads it)
            connection.execute(f"create schema if not exists {schema}")
            connection.execute(f"create table {schema}.{table} as select * from frame")
    return connection


def _floats(frame):
    """Decimal columns (PostgreSQL's numeric, Spark's decimal) as floats."""
    for column in frame.columns:
        if frame[column].map(lambda v: type(v).__name__ == "Decimal").any():
            frame[column] = frame[column].astype(float)
    return frame


def postgres_settings() -> dict[str, str]:
    """The connection settings of the profile's postgres target (the same
    CRM_PG_* variables and defaults as profiles.yml)."""
    defaults = {
        "CRM_PG_HOST": "127.0.0.1",
        "CRM_PG_PORT": "5432",
        "CRM_PG_USER": "postgres",
        "CRM_PG_PASSWORD": "",
        "CRM_PG_DATABASE": "crm_funnel",
    }
    return {name: os.environ.get(name, default) for name, default in defaults.items()}


@contextmanager
def reader(target: str) -> Iterator[Callable[[str], object]]:
    """`query(sql) -> pandas.DataFrame` on the warehouse of `target`, as the
    profile describes it (CRM_PG_* or CRM_SPARK_WAREHOUSE)."""
    import pandas as pd

    if target == "postgres":
        from crm_funnel.postgres_server import connect

        connection = connect(postgres_settings())

        def query(sql: str):
            with connection.cursor() as cursor:
                cursor.execute(sql)
                columns = [column.name for column in cursor.description]
                frame = pd.DataFrame(cursor.fetchall(), columns=columns)
            connection.rollback()
            return _floats(frame)

        try:
            yield query
        finally:
            connection.close()
    elif target == "spark":
        from crm_funnel.spark_session import session

        spark = session()
        try:
            yield lambda sql: _floats(spark.sql(sql).toPandas())
        finally:
            spark.stop()
    else:
        raise ValueError(f"no reader for target {target!r}; DuckDB is read from its file")
