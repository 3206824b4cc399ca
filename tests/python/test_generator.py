"""The export generator: deterministic, realistic shares, every kind of dirt."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from conftest import CLI, PROJECT_DIR, dbt_build

from crm_funnel.generate import DirtRates, generate


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    generate(500, tmp_path / "a", seed=3)
    generate(500, tmp_path / "b", seed=3)
    generate(500, tmp_path / "c", seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_dirt_rates_are_validated():
    assert DirtRates.parse(["duplicate=0.02"]).duplicate == 0.02
    assert DirtRates.parse(["clean"]).late == 0.0
    with pytest.raises(SystemExit, match="unknown dirt"):
        DirtRates.parse(["dupes=0.1"])
    with pytest.raises(SystemExit, match="not a share"):
        DirtRates.parse(["late=2"])


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    summary = generate(3000, folder / "raw", "parquet", seed=11)
    build = dbt_build(folder / "raw", folder / "w.duckdb")
    assert build.returncode == 0, build.output[-3000:]
    return summary, build


def test_decision_shares_match_the_background(realistic):
    _, build = realistic
    accepted, recycled, disqualified, pending = build.one(
        "select avg((decision = 'accepted')::int), avg((decision = 'recycled')::int),"
        " avg((decision = 'disqualified')::int), avg((decision = 'pending')::int)"
        " from fct_lead_handoffs where entry_stage = 'mql'"
    )
    assert 0.72 <= accepted <= 0.86
    assert 0.08 <= recycled <= 0.17
    assert 0.04 <= disqualified <= 0.11
    assert pending <= 0.06
    # recycled leads come back and are decided again
    (second_handoffs,) = build.one(
        "select count(*) from fct_lead_handoffs where handoff_number >= 2 and decision != 'pending'"
    )
    assert second_handoffs > 50


def test_high_intent_sources_are_decided_faster(realistic):
    _, build = realistic
    high, standard = build.one(
        "select median(tta_hours) filter (where priority = 'high'),"
        " median(tta_hours) filter (where priority = 'standard')"
        " from fct_lead_handoffs where decision != 'pending'"
    )
    assert high * 2 < standard


def test_every_kind_of_dirt_reaches_dq_issues(realistic):
    _, build = realistic
    issues = {row[0] for row in build.rows("select distinct issue from dq_issues")}
    expected = {
        "duplicate_event_id",
        "superseded_event",
        "duplicate_event_content",
        "repeated_stage",
        "invalid_timestamp",
        "future_timestamp",
        "unknown_status",
        "missing_lead_id",
        "orphan_lead",
        "sequence_gap",
        "unmapped_reason",
        "superseded_lead_row",
        "duplicate_activity_id",
    }
    assert expected <= issues, expected - issues
    # about 1% of events are exact re-sends
    (share,) = build.one(
        "select count(*) filter (where issue = 'duplicate_event_id') / any_value(raw_rows)"
        " from dq_issues, dq_load_summary where dq_issues.source = 'lead_status_history'"
        " and dq_load_summary.source = 'lead_status_history'"
    )
    assert 0.005 <= share <= 0.015


def test_rows_land_on_many_load_days(realistic):
    _, build = realistic
    (days,) = build.one(
        "select count(distinct load_date) from rpt_data_quality_daily"
        " where source = 'lead_status_history'"
    )
    assert days > 100


def test_the_bundled_salesforce_sample_is_what_the_documented_command_writes(tmp_path):
    """docs/sources.md: data/sample_salesforce/ is `crm-funnel generate --crm
    salesforce --leads 300 --seed 7`, byte for byte, with the shapes the
    contract's section "Salesforce" handles."""
    import duckdb

    out = tmp_path / "sample_salesforce"
    command = [str(CLI), "generate", "--crm", "salesforce", "--leads", "300", "--seed", "7"]
    done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    bundled = PROJECT_DIR / "data" / "sample_salesforce"
    assert sorted(p.name for p in out.iterdir()) == ["lead.csv", "lead_history.csv", "task.csv"]
    for name in ("lead.csv", "lead_history.csv", "task.csv"):
        assert (out / name).read_bytes() == (bundled / name).read_bytes(), name
    with duckdb.connect() as connection:

        def count(sql: str) -> int:
            return connection.execute(sql.replace("{dir}", str(bundled))).fetchone()[0]

        lead = "read_csv('{dir}/lead.csv', all_varchar = true)"
        task = "read_csv('{dir}/task.csv', all_varchar = true)"
        history = "read_csv('{dir}/lead_history.csv', all_varchar = true)"
        assert count(f"select count(*) from {lead} where master_record_id is not null") > 0
        assert count(f"select count(*) from {lead} where is_deleted = 'true'") > count(
            f"select count(*) from {lead} where master_record_id is not null"
        )
        assert count(f"select count(*) from {task} where who_id like '003%'") > 0
        assert count(f"select count(*) from {history} where field != 'Status'") > 0
        assert count(f"select count(*) from {history} where created_date like '%.___+0000'") == (
            count(f"select count(*) from {history}")
        )


def test_the_bundled_hubspot_sample_is_what_the_documented_command_writes(tmp_path):
    """docs/sources.md: data/sample_hubspot/ is `crm-funnel generate --crm
    hubspot --leads 300 --seed 7`, byte for byte, with the shapes the
    contract's section "HubSpot" handles."""
    import duckdb

    out = tmp_path / "sample_hubspot"
    command = [str(CLI), "generate", "--crm", "hubspot", "--leads", "300", "--seed", "7"]
    done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    bundled = PROJECT_DIR / "data" / "sample_hubspot"
    names = [
        "contact.csv",
        "contact_property_history.csv",
        "engagement.csv",
        "engagement_contact.csv",
    ]
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        assert (out / name).read_bytes() == (bundled / name).read_bytes(), name
    with duckdb.connect() as connection:

        def count(sql: str) -> int:
            return connection.execute(sql.replace("{dir}", str(bundled))).fetchone()[0]

        contact = "read_csv('{dir}/contact.csv', all_varchar = true)"
        history = "read_csv('{dir}/contact_property_history.csv', all_varchar = true)"
        assert (
            count(f"select count(*) from {contact} where property_hs_merged_object_ids <> ''") > 0
        )
        assert count(f"select count(*) from {contact} where _fivetran_deleted = 'true'") > 0
        # re-sent rows: the same contact, property and time twice
        assert (
            count(f"select count(*) - count(distinct (contact_id, name, timestamp)) from {history}")
            > 0
        )
        assert count(f"select count(*) from {history} where name = 'rejection_reason'") > 0
        # new values only: the table has no old value
        assert (
            "old_value" not in (bundled / "contact_property_history.csv").read_text().split("\n")[0]
        )
