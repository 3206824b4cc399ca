"""Load a raw CRM export (the three CSV or Parquet files) into warehouse tables.

On PostgreSQL and Spark the models read raw tables in place (var raw_source
`tables`, docs/engines.md): this is how the bundled sample, the tests' hand-made
exports and a user's first try get there. Every column is loaded as text,
exactly as the file view of the DuckDB build reads it (an empty unquoted CSV
cell is null, a quoted empty one is an empty text), so the models see the same
values on every engine.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

FILES = ("lead_status_history", "leads", "activities")


def export_file(folder: Path, name: str) -> Path:
    """The one .csv or .parquet file of `name` in the export folder."""
    found = [p for p in sorted(Path(folder).glob(f"{name}.*")) if p.suffix in (".csv", ".parquet")]
    if len(found) != 1:
        raise RuntimeError(
            f"crm-funnel: expected one {name}.csv or {name}.parquet in {folder}, found {len(found)}"
        )
    return found[0]


def read_export(folder: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each file's columns and rows, every value text (or None)."""
    tables = {}
    with duckdb.connect() as connection:
        for name in FILES:
            path = export_file(folder, name)
            literal = "'" + str(path).replace("'", "''") + "'"
            if path.suffix == ".csv":
                with path.open(encoding="utf-8", newline="") as handle:
                    header = [cell.strip() for cell in next(csv.reader(handle))]
                columns = ", ".join(f"'{c}': 'VARCHAR'" for c in header)
                reader = (
                    f"read_csv({literal}, header = true, auto_detect = false, delim = ',',"
                    f" quote = '\"', escape = '\"', columns = {{{columns}}})"
                )
            else:
                reader = f"read_parquet({literal})"
            relation = connection.sql(f"select * from {reader}")
            columns = relation.columns
            casts = ", ".join(f'cast("{c}" as varchar)' for c in columns)
            rows = connection.sql(f"select {casts} from {reader}").fetchall()
            tables[name] = (list(columns), rows)
    return tables


def _csv_text(columns: list[str], rows: list[tuple]) -> io.StringIO:
    """Rows as PostgreSQL's COPY csv reads them: None unquoted, '' quoted."""
    out = io.StringIO()
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("")
            else:
                cells.append('"' + value.replace('"', '""') + '"')
        out.write(",".join(cells) + "\n")
    out.seek(0)
    return out


def load_postgres(folder: Path, connection, schema: str = "crm_raw", append: bool = False) -> None:
    """Replace schema.<file> with the export's rows (a psycopg2 connection), or
    with `append`, add them to the existing tables, as a connector's night does."""
    tables = read_export(folder)
    with connection.cursor() as cursor:
        cursor.execute(f'create schema if not exists "{schema}"')
        for name, (columns, rows) in tables.items():
            if not append:
                cursor.execute(f'drop table if exists "{schema}"."{name}"')
                column_list = ", ".join(f'"{c}" text' for c in columns)
                cursor.execute(f'create table "{schema}"."{name}" ({column_list})')
            names = ", ".join(f'"{c}"' for c in columns)
            cursor.copy_expert(
                f'copy "{schema}"."{name}" ({names}) from stdin with (format csv)',
                _csv_text(columns, rows),
            )
    connection.commit()


def load_duckdb(folder: Path, connection, schema: str = "crm_raw") -> None:
    """The same tables in a DuckDB file: the tables path on the default engine."""
    tables = read_export(folder)
    connection.execute(f'create schema if not exists "{schema}"')
    for name, (columns, rows) in tables.items():
        column_list = ", ".join(f'"{c}" varchar' for c in columns)
        connection.execute(f'create or replace table "{schema}"."{name}" ({column_list})')
        if rows:
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f'insert into "{schema}"."{name}" values ({marks})', rows)


def load_spark(folder: Path, spark, schema: str = "crm_raw") -> None:
    """The same tables in a Spark session's catalog (managed tables)."""
    from pyspark.sql.types import StringType, StructField, StructType

    tables = read_export(folder)
    spark.sql(f"create schema if not exists `{schema}`")
    for name, (columns, rows) in tables.items():
        frame = spark.createDataFrame(
            rows, StructType([StructField(c, StringType(), True) for c in columns])
        )
        spark.sql(f"drop table if exists `{schema}`.`{name}`")
        frame.write.mode("overwrite").saveAsTable(f"`{schema}`.`{name}`")
