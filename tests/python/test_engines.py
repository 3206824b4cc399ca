"""PostgreSQL as a user meets it: bad raw tables, export files, a missing BI role.

The throwaway server of tests/python/engines.py; the golden assertions on
every engine are in test_golden_funnel.py (one parametrized suite). The
documented path, load-raw then `crm-funnel build --target postgres` with the
gate, runs as written in test_documented_commands.py.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import ACTIVITIES, CLI, EVENTS, LEADS, write_export
from engines import dbt_on, server_settings, warehouse

from crm_funnel import postgres_server


def fresh_database(name: str) -> dict[str, str]:
    env = server_settings()
    admin = postgres_server.connect(env, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'drop database if exists "{name}"')
        cursor.execute(f'create database "{name}"')
    admin.close()
    return dict(env, CRM_PG_DATABASE=name)


def crm_funnel(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), *args],
        env=dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", **env),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "drop table crm_raw.activities",
            'crm-funnel raw input error in table "{db}"."crm_raw"."activities": table is missing;'
            " expected the activities table with columns activity_id, lead_id,",
        ),
        (
            "alter table crm_raw.lead_status_history drop column reason",
            'crm-funnel raw input error in table "{db}"."crm_raw"."lead_status_history": missing'
            " required column reason; expected columns of lead_status_history:",
        ),
    ],
)
def test_postgres_bad_raw_table_is_one_line_before_any_model(damage, message, tmp_path):
    name = "damaged_" + str(abs(hash(damage)) % 10_000)
    env = fresh_database(name)
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    built = warehouse("postgres", tmp_path, name).load(raw)
    connection = postgres_server.connect(env)
    with connection.cursor() as cursor:
        cursor.execute(damage)
    connection.commit()
    connection.close()
    returncode, output = built.run("build")
    assert returncode != 0
    assert message.format(db=name) in " ".join(output.split())
    assert "START sql" not in output  # stopped in on-run-start, before any model


def test_postgres_refuses_export_files(tmp_path):
    env = fresh_database("files")
    returncode, output = dbt_on("postgres", env, tmp_path, "build", "--vars", "{raw_source: files}")
    assert returncode != 0
    assert (
        "crm-funnel: var raw_source='files' reads export files, which only the DuckDB target can"
        in " ".join(output.split())
    )


def test_postgres_missing_bi_role_stops_before_any_model_and_says_how_to_make_it(tmp_path):
    """A real server whose DBA has not made the BI role yet: the build stops
    in on-run-start with one line naming the role, the statement that makes
    it and the variable that names another. Running that statement as it is
    written lets the next build grant to the role (never skipped)."""
    env = fresh_database("no_role")
    raw = write_export(tmp_path / "raw", EVENTS, LEADS, ACTIVITIES)
    assert (
        crm_funnel("load-raw", "--target", "postgres", "--raw-dir", str(raw), **env).returncode == 0
    )
    role = dict(env, CRM_BI_READER="report_readers")
    built = crm_funnel("build", "--target", "postgres", **role)
    assert built.returncode == 1
    assert built.stderr.strip().splitlines() == [
        'crm-funnel: the BI role "report_readers" that the marts are granted to does not exist'
        ' on this server; have an administrator run `create role "report_readers" nologin`'
        " (or `login password '...'` for a BI tool's login), or set CRM_BI_READER to a role"
        " that exists"
    ]
    assert "START sql" not in built.stdout  # stopped in on-run-start, before any model
    statement = built.stderr.split("`")[1]
    connection = postgres_server.connect(env)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    rebuilt = crm_funnel("build", "--target", "postgres", "--skip-gate", **role)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:] + rebuilt.stderr[-2000:]
    with connection.cursor() as cursor:
        cursor.execute(
            "select has_table_privilege('report_readers', 'main.fct_lead_handoffs', 'select'),"
            " has_table_privilege('report_readers', 'staging.stg_crm__leads', 'select')"
        )
        assert cursor.fetchone() == (True, False)
    connection.close()
