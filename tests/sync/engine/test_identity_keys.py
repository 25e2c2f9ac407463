"""Real orgs' data: people keyed by something other than email, scored on custom attributes.

The workspace here is what issue 12 describes: a marketing CSV with no email column, keyed
by a prospect id (``identity: {keys: [prospect_id]}``), a custom decimal attribute used in
fit rules, and an event file that links activities to leads by a lead id column and has
no type column (the mapping gives a constant type).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sync_support import iso, postgres_database, read_csv, sync_json, use_state_url, write_csv

from funnelsync.sync.cli.main import main
from funnelsync.sync.state.store import DATABASE_NAME, StateStore

CONTRACT: dict[str, Any] = {
    "version": "1",
    "attributes": {
        "prospect_id": {"type": "text"},
        "annual_revenue": {"type": "decimal"},
        "job_level": {"type": "picklist", "values": ["c-level", "vp", "manager", "ic"]},
        "trial_started": {"type": "date"},
    },
    "stages": [
        {"name": "lead", "team": "marketing", "entry": {}},
        {"name": "mql", "team": "marketing", "entry": {"score_min": 20}},
    ],
    "scoring": {
        "fit": {
            "rules": [
                {"field": "annual_revenue", "min": 1000000, "points": 20, "label": "Big"},
                {"field": "job_level", "in": ["vp", "c-level"], "points": 5},
            ]
        },
        "engagement": {"points": {"meeting": 15}},
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest) -> str | None:
    """Where the state goes: the SQLite file (``None``) or a fresh PostgreSQL database."""
    return postgres_database(request) if request.param == "postgresql" else None


def _config(identity_keys: list[str], key_column: str) -> dict[str, Any]:
    mapping: dict[str, Any] = {
        "lead_fields": {
            "email": None,
            "prospect_id": "Prospect Number",
            "annual_revenue": "Annual Revenue",
            "job_level": "Job Level",
            "trial_started": {"field": "Trial Started", "format": ["%d/%m/%Y", "%Y-%m-%d"]},
        },
        "lead_key": {"key": "prospect_id", "field": "Lead Number"},
        "activity_fields": {
            "email": None,
            "type": {"value": "meeting"},
            "occurred_at": "When",
            "activity_id": "Event Id",
            "campaign": None,
            "asset": None,
        },
    }
    return {
        "version": 1,
        "contract": "contract.yaml",
        "identity": {"keys": identity_keys},
        "connections": {
            "marketing": {
                "connector": "csv",
                "settings": {
                    "leads": {"path": "leads.csv", "key_column": key_column},
                    "activities": {"path": "events.csv", "id_column": "Event Id"},
                },
                "mapping": mapping,
            }
        },
    }


def _workspace(
    tmp_path: Path,
    leads: list[dict[str, str]],
    events: list[dict[str, str]],
    identity_keys: list[str] | None = None,
    key_column: str = "Prospect Number",
) -> Path:
    (tmp_path / "contract.yaml").write_text(yaml.safe_dump(CONTRACT), encoding="utf-8")
    config = tmp_path / "funnelsync.yaml"
    config.write_text(
        yaml.safe_dump(_config(identity_keys or ["prospect_id"], key_column)), encoding="utf-8"
    )
    write_csv(tmp_path / "leads.csv", leads)
    if events:
        write_csv(tmp_path / "events.csv", events)
    else:
        (tmp_path / "events.csv").write_text("Event Id,Lead Number,When\n", encoding="utf-8")
    return config


def _partial_sync(config: Path) -> dict[str, Any]:
    """A sync that quarantines more than max_quarantined_share of its rows: exit 4."""
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    assert result.exit_code == 4, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["status"] == "partial"
    return document


def _sync_recomputing_everyone(tmp_path: Path, config: Path) -> dict[str, Any]:
    """A sync after a new contract version with the same rules: every person is rebuilt
    from the state (links, identity keys, stored activities), so it writes nothing only
    if the state links each record and activity to its person as the first sync did."""
    contract = tmp_path / "contract.yaml"
    document = yaml.safe_load(contract.read_text(encoding="utf-8"))
    contract.write_text(yaml.safe_dump({**document, "version": "2"}), encoding="utf-8")
    report = sync_json(config)
    assert report["touched"] == report["leads"], "every person is recomputed"
    return report


def _lead(number: str, revenue: str, level: str = "ic", trial: str = "") -> dict[str, str]:
    return {
        "Row": f"row-{revenue}",
        "Prospect Number": number,
        "Annual Revenue": revenue,
        "Job Level": level,
        "Trial Started": trial,
    }


def test_no_email_workspace_syncs_scores_by_attribute_and_a_second_sync_writes_nothing(
    tmp_path: Path, state_url: str | None
) -> None:
    config = _workspace(
        tmp_path,
        [
            _lead("P-1", "2500000.50", "VP", "15/04/2021"),
            _lead("P-2", "10000", trial="2021-04-30"),
            _lead("P-3", ""),
        ],
        [{"Event Id": "e1", "Lead Number": "P-2", "When": iso(1)}],
    )
    if state_url:
        use_state_url(config, state_url)

    first = sync_json(config)

    counts = first["connections"]["marketing"]
    assert (counts["read"], counts["quarantined"], counts["activities_read"]) == (3, 0, 1)
    assert first["activities_without_lead"] == 0
    rows = {row["Prospect Number"]: row for row in read_csv(tmp_path / "leads.csv")}
    # Scored by the decimal attribute (20) and the picklist (5), written back.
    assert (rows["P-1"]["fit_score"], rows["P-1"]["score"], rows["P-1"]["stage"]) == (
        "25",
        "25",
        "mql",
    )
    # The meeting linked by the lead id column, with its constant type, is scored.
    assert (rows["P-2"]["engagement_score"], rows["P-2"]["stage"]) == ("15", "lead")
    assert (rows["P-3"]["score"], rows["P-3"]["stage"]) == ("0", "lead")
    assert counts["updated"] == 3

    second = _sync_recomputing_everyone(tmp_path, config)

    again = second["connections"]["marketing"]
    assert (again["read"], again["created"], again["updated"]) == (3, 0, 0)
    assert (second["leads"], second["touched"]) == (3, 3)  # the same three people


def test_explain_finds_a_person_by_identity_key_and_shows_attributes(tmp_path: Path) -> None:
    config = _workspace(tmp_path, [_lead("P-1", "2500000", "vp", "15/04/2021")], [])
    sync_json(config)

    result = CliRunner().invoke(
        main, ["explain", "prospect_id:P-1", "--config", str(config), "--json"]
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["attributes"] == {
        "prospect_id": "P-1",
        "annual_revenue": 2500000.0,
        "job_level": "vp",
        "trial_started": "2021-04-15",
    }
    assert document["fit"] == 25


def test_a_record_with_none_of_the_keys_is_quarantined_with_that_reason(tmp_path: Path) -> None:
    config = _workspace(tmp_path, [_lead("P-1", "5"), _lead(" ", "7")], [], key_column="Row")

    report = _partial_sync(config)

    assert report["connections"]["marketing"]["quarantined"] == 1
    result = CliRunner().invoke(main, ["errors", "--config", str(config), "--json"])
    (entry,) = json.loads(result.stdout)["quarantined"]
    assert "no identity key: Prospect Number (prospect_id) is blank" in entry["reason"]


def test_a_bad_attribute_value_quarantines_the_record_naming_attribute_value_and_type(
    tmp_path: Path,
) -> None:
    config = _workspace(tmp_path, [_lead("P-1", "lots"), _lead("P-2", "12.5")], [])

    report = _partial_sync(config)

    assert report["connections"]["marketing"]["quarantined"] == 1
    result = CliRunner().invoke(main, ["errors", "--config", str(config), "--json"])
    (entry,) = json.loads(result.stdout)["quarantined"]
    assert entry["reason"] == (
        "Annual Revenue (annual_revenue): 'lots' is not a decimal number (attribute type decimal)"
    )


def test_an_unreadable_optional_date_syncs_the_record_and_is_a_field_warning(
    tmp_path: Path, state_url: str | None
) -> None:
    config = _workspace(
        tmp_path,
        [_lead("P-1", "5", trial="15 Apr, 2021 00:03:00"), _lead("P-2", "6", trial="03/04/2021")],
        [],
    )
    if state_url:
        use_state_url(config, state_url)

    report = sync_json(config)

    counts = report["connections"]["marketing"]
    assert (counts["read"], counts["quarantined"], counts["field_warnings"]) == (2, 0, 1)
    result = CliRunner().invoke(main, ["errors", "--warnings", "--config", str(config), "--json"])
    warnings = {w["record_key"]: w["message"] for w in json.loads(result.stdout)["warnings"]}
    assert warnings["P-1"] == (
        "Trial Started (trial_started): '15 Apr, 2021 00:03:00' is not format "
        "'%d/%m/%Y' or '%Y-%m-%d'; left empty"
    )
    assert "P-2" not in warnings  # one format fits it: not ambiguous


def test_ambiguous_day_month_under_a_format_list_is_a_warning(tmp_path: Path) -> None:
    config = _workspace(tmp_path, [_lead("P-1", "5", trial="03/04/2021")], [])
    path = tmp_path / "funnelsync.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    trial = document["connections"]["marketing"]["mapping"]["lead_fields"]["trial_started"]
    trial["format"] = ["%d/%m/%Y", "%m/%d/%Y"]
    path.write_text(yaml.safe_dump(document), encoding="utf-8")

    report = sync_json(config)

    assert report["connections"]["marketing"]["field_warnings"] == 1
    result = CliRunner().invoke(main, ["errors", "--warnings", "--config", str(config)])
    assert "'03/04/2021' is ambiguous: read as 2021-04-03" in result.stdout.replace("\n", "")
    explained = CliRunner().invoke(
        main, ["explain", "prospect_id:P-1", "--config", str(config), "--json"]
    )
    assert json.loads(explained.stdout)["attributes"]["trial_started"] == "2021-04-03"


# --- two systems, keys [email, crm_id] -------------------------------------------------------


def _two_systems(tmp_path: Path, marketing_creates: bool) -> Path:
    contract = {
        **CONTRACT,
        "attributes": {"crm_id": {"type": "text"}, "annual_revenue": {"type": "decimal"}},
        "scoring": {
            "fit": {"rules": [{"field": "annual_revenue", "min": 100, "points": 30}]},
            "engagement": {"points": {"meeting": 15}},
        },
    }
    (tmp_path / "contract.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")
    config = {
        "version": 1,
        "contract": "contract.yaml",
        "identity": {"keys": ["email", "crm_id"]},
        "connections": {
            "marketing": {
                "connector": "csv",
                "create_leads": marketing_creates,
                "settings": {"leads": {"path": "marketing.csv", "key_column": "email"}},
                "mapping": {"lead_fields": {"crm_id": "crm_id"}},
            },
            "sales": {
                "connector": "csv",
                "settings": {
                    "leads": {"path": "sales.csv", "key_column": "Lead Id"},
                    "activities": {"path": "sales_events.csv", "id_column": "Id"},
                },
                "mapping": {
                    "lead_fields": {
                        "email": "Email",
                        "crm_id": "Lead Id",
                        "annual_revenue": "Revenue",
                        "score": "Score",
                        "stage": "Stage",
                    },
                    # Activities name their lead by its crm_id, a key that is not the
                    # person's first (a@example.com's label is the email).
                    "lead_key": {"key": "crm_id", "field": "Lead Id"},
                    "activity_fields": {
                        "email": None,
                        "type": {"value": "meeting"},
                        "occurred_at": "When",
                        "activity_id": "Id",
                        "campaign": None,
                        "asset": None,
                    },
                },
            },
        },
    }
    path = tmp_path / "funnelsync.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    write_csv(
        tmp_path / "marketing.csv",
        [
            {"email": "a@example.com", "crm_id": "L1", "title": "CEO"},
            {"email": "c@example.com", "crm_id": "", "title": "CTO"},
        ],
    )
    write_csv(
        tmp_path / "sales.csv",
        [
            # No email: the same person as marketing's a@example.com by crm_id.
            {"Lead Id": "L1", "Email": "", "Revenue": "500"},
            # No email and nowhere else: a full person of its own.
            {"Lead Id": "L9", "Email": "", "Revenue": "5"},
            # Matched by email first (no crm_id in marketing).
            {"Lead Id": "L3", "Email": "C@example.com", "Revenue": "200"},
        ],
    )
    write_csv(tmp_path / "sales_events.csv", [{"Id": "m1", "Lead Id": "L1", "When": iso(1)}])
    return path


def test_records_match_by_each_key_in_order_and_no_email_people_are_full_persons(
    tmp_path: Path, state_url: str | None
) -> None:
    config = _two_systems(tmp_path, marketing_creates=False)
    if state_url:
        use_state_url(config, state_url)

    report = sync_json(config)

    assert report["leads"] == 3
    assert report["connections"]["sales"]["quarantined"] == 0
    marketing = {row["email"]: row for row in read_csv(tmp_path / "marketing.csv")}
    # Merged across systems by crm_id: marketing gets the revenue-based score (30) and
    # the meeting sales logged against crm_id L1 (15).
    assert (marketing["a@example.com"]["score"], marketing["a@example.com"]["stage"]) == (
        "45",
        "mql",
    )
    # Matched by email (the first key); marketing learns its crm_id (two-way, only given).
    assert marketing["c@example.com"]["crm_id"] == "L3"
    sales = {row["Lead Id"]: row for row in read_csv(tmp_path / "sales.csv")}
    # The person with no email anywhere is scored, staged and written back.
    assert (sales["L9"]["Score"], sales["L9"]["Stage"]) == ("0", "lead")

    second = _sync_recomputing_everyone(tmp_path, config)

    assert (second["leads"], second["touched"]) == (3, 3)  # the same three people
    for counts in second["connections"].values():
        assert (counts["created"], counts["updated"]) == (0, 0)


def test_creating_a_no_email_person_where_the_row_needs_one_is_a_clear_rejection(
    tmp_path: Path,
) -> None:
    config = _two_systems(tmp_path, marketing_creates=True)

    CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])

    emails = [row["email"] for row in read_csv(tmp_path / "marketing.csv")]
    assert sorted(emails) == ["a@example.com", "c@example.com"]  # no row without a key
    result = CliRunner().invoke(main, ["errors", "--config", str(config), "--json"])
    (entry,) = json.loads(result.stdout)["quarantined"]
    assert (entry["connection"], entry["kind"], entry["record_key"]) == (
        "marketing",
        "write",
        "new:crm_id:L9",
    )
    assert entry["reason"].endswith(
        "a new row needs a value in the key column email; this person has no email and "
        "the mapping writes nothing there (crm_id:L9)"
    )


# --- attributes in report, simulate and schema -------------------------------------------------


def test_report_groups_by_an_attribute(tmp_path: Path) -> None:
    config = _workspace(
        tmp_path,
        [_lead("P-1", "2000000", "vp"), _lead("P-2", "5", "vp"), _lead("P-3", "5", "ic")],
        [],
    )
    sync_json(config)

    result = CliRunner().invoke(
        main, ["report", "--config", str(config), "--format", "json", "--by", "job_level"]
    )

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["current"]["segments"]["job_level"]
    assert {row["segment"]: row["mqls"] for row in rows} == {"vp": 1, "ic": 0}


def test_report_by_an_unknown_field_lists_the_attributes(tmp_path: Path) -> None:
    config = _workspace(tmp_path, [_lead("P-1", "5")], [])
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--by", "job_levl"])
    assert result.exit_code == 2
    assert "annual_revenue, job_level, prospect_id, trial_started" in result.output


def test_simulate_replays_fit_rules_on_attributes(tmp_path: Path) -> None:
    config = _workspace(
        tmp_path, [_lead("P-1", "2000000"), _lead("P-2", "600000"), _lead("P-3", "5")], []
    )
    sync_json(config)

    result = CliRunner().invoke(
        main,
        ["simulate", "--config", str(config), "--json", "--set", "scoring.fit.rules.0.min=500000"],
    )

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["current_mqls"], document["simulated_mqls"]) == (1, 2)


def test_schema_contract_covers_attributes() -> None:
    result = CliRunner().invoke(main, ["schema", "contract"])
    schema = json.loads(result.stdout)
    attribute = schema["$defs"]["Attribute"]
    assert set(attribute["properties"]) == {"type", "values", "label"}
    assert "attributes" in schema["properties"]
    config = json.loads(CliRunner().invoke(main, ["schema", "config"]).stdout)
    assert "identity" in config["properties"]
    assert "keys" in config["$defs"]["IdentityConfig"]["properties"]


def test_state_rebuild_keeps_the_identity_key_people_without_email_are_listed_by(
    tmp_path: Path,
) -> None:
    config = _workspace(tmp_path, [_lead("P-1", "2500000", "vp"), _lead("P-2", "10")], [])
    sync_json(config)
    database = tmp_path / "state" / DATABASE_NAME
    listed = _listed_at_stages(tmp_path)
    assert listed == {"mql": ["prospect_id:P-1"], "lead": ["prospect_id:P-2"]}
    database.write_bytes(b"garbage " * 100)

    rebuilt = CliRunner().invoke(main, ["state", "rebuild", "--yes", "--config", str(config)])
    assert rebuilt.exit_code == 0, rebuilt.output
    sync_json(config)

    # The admin screen's lead lists (and the plans' texts) name each person by this label.
    assert _listed_at_stages(tmp_path) == listed


def _listed_at_stages(root: Path) -> dict[str, list[str]]:
    store = StateStore.open(root / "state")
    try:
        return {stage: store.emails_at_stage(stage) for stage in ("lead", "mql")}
    finally:
        store.close()
