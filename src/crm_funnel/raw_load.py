"""Load a raw CRM export (the three CSV or Parquet files, or a Salesforce or
HubSpot folder: docs/sources.md) into warehouse tables.

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
import os
import re
from pathlib import Path

import duckdb

FILES = ("lead_status_history", "leads", "activities")
# Salesforce's tables by Fivetran's name, with Airbyte's (the API name); event
# is optional (macros/sources/salesforce.sql reads the same names)
SALESFORCE_TABLES = {
    "lead_history": "LeadHistory",
    "lead": "Lead",
    "task": "Task",
    "event": "Event",
}

# HubSpot's tables by Fivetran's name, with Airbyte's stream name
# (macros/sources/hubspot.sql): Airbyte's engagements list their contacts,
# which become engagement_contact; contact_merge_audit is optional
HUBSPOT_TABLES = {
    "contact": "contacts",
    "contact_property_history": "contacts_property_history",
    "engagement": "engagements",
    "engagement_contact": None,
    "contact_merge_audit": "contacts_merged_audit",
}
HUBSPOT_NAMES = {
    "_airbyte_extracted_at": "_fivetran_synced",
    "archived": "_fivetran_deleted",
    "vid": "contact_id",
    "property": "name",
    "source-type": "source",
    "source-id": "source_id",
    "ownerId": "owner_id",
    "associations_contactIds": "contact_ids",
    "canonical-vid": "canonical_vid",
    "vid-to-merge": "vid_to_merge",
}


def hubspot_column_name(name: str) -> str:
    """Fivetran's name of an Airbyte HubSpot column (properties_email ->
    property_email, vid -> contact_id); the Jinja rule of hubspot.sql."""
    if name in HUBSPOT_NAMES:
        return HUBSPOT_NAMES[name]
    return "property_" + name[len("properties_") :] if name.startswith("properties_") else name


def crm_source() -> str:
    """The CRM whose data is read: CRM_SOURCE, as the dbt var crm_source."""
    return (os.environ.get("CRM_SOURCE") or "export").strip().lower()


def salesforce_column_name(api_name: str) -> str:
    """Fivetran's snake case of a Salesforce API name (LeadId -> lead_id,
    Segment__c -> segment_c); Airbyte's load time is Fivetran's."""
    if api_name == "_airbyte_extracted_at":
        return "_fivetran_synced"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", api_name.replace("__c", "_c")).lower()


def export_file(folder: Path, name: str, *aliases: str, optional: bool = False) -> Path | None:
    """The one .csv or .parquet file of `name` (or an alias) in the export folder."""
    found = [
        p
        for stem in (name, *aliases)
        for p in sorted(Path(folder).glob(f"{stem}.*"))
        if p.suffix in (".csv", ".parquet")
    ]
    if optional and not found:
        return None
    if len(found) != 1:
        raise RuntimeError(
            f"crm-funnel: expected one {name}.csv or {name}.parquet in {folder}, found {len(found)}"
        )
    return found[0]


def export_files(folder: Path) -> dict[str, Path]:
    """{table name: file} of the chosen CRM source."""
    if crm_source() == "hubspot":
        files = {
            table: export_file(
                folder,
                table,
                *([airbyte] if airbyte else []),
                optional=table in ("engagement_contact", "contact_merge_audit"),
            )
            for table, airbyte in HUBSPOT_TABLES.items()
        }
        return {table: path for table, path in files.items() if path is not None}
    if crm_source() != "salesforce":
        return {name: export_file(folder, name) for name in FILES}
    files = {
        table: export_file(folder, table, api_name, optional=table == "event")
        for table, api_name in SALESFORCE_TABLES.items()
    }
    return {table: path for table, path in files.items() if path is not None}


def read_export(folder: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each file's columns and rows, every value text (or None); a Salesforce
    folder's in Fivetran's names, whichever connector wrote it."""
    tables = {}
    with duckdb.connect() as connection:
        for name, path in export_files(folder).items():
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
            if crm_source() == "salesforce":
                columns = [salesforce_column_name(c) for c in columns]
            if crm_source() == "hubspot":
                columns = [hubspot_column_name(c) for c in columns]
            tables[name] = (list(columns), rows)
    if "contact_ids" in tables.get("engagement", ([], []))[0]:
        tables.update(_hubspot_associations(*tables["engagement"]))
    return tables


def _hubspot_associations(columns: list[str], rows: list[tuple]) -> dict:
    """Airbyte's engagements as Fivetran's engagement and engagement_contact:
    one association row per contact in associations_contactIds, in file order."""
    import json

    at = {c: i for i, c in enumerate(columns)}
    pairs = []
    for row in rows:
        try:
            contacts = json.loads(row[at["contact_ids"]] or "[]")
        except ValueError:
            contacts = []
        for contact in contacts if isinstance(contacts, list) else []:
            pairs.append((row[at["id"]], str(contact), row[at["_fivetran_synced"]]))
    kept = [c for c in columns if c != "contact_ids"]
    return {
        "engagement": (kept, [tuple(r[at[c]] for c in kept) for r in rows]),
        "engagement_contact": (["engagement_id", "contact_id", "_fivetran_synced"], pairs),
    }


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
