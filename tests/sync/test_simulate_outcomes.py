"""`simulate` on outcomes: a hand-computed history, every figure checked.

The template contract: an MQL needs fit >= 25 and engagement >= 30; a VP in healthcare
has fit 35 (senior title 20 + target industry 15). Points: demo request 40, form fill 10,
webinar 10, meeting 15; activities on one day count in full on that day.

| lead | fit | engagement when it peaks      | sales made it     | MQL at 20 | 30 | 40 |
| A    | 35  | 40 on 2026-03-10 (demo)       | customer (won)    | yes       | yes| yes|
| B    | 35  | 20 on 2026-04-05 (form+webinar)| sql              | yes       | no | no |
| C    | 35  | 40 on 2026-04-20 (demo)       | mql               | yes       | yes| yes|
| D    | 35  | 25 on 2026-05-02 (meeting+form)| customer (won)   | yes       | no | no |
| E    | 0   | 40 on 2026-05-15 (demo)       | lead              | no        | no | no |
| F    | 35  | 40 on 2026-06-01 (demo)       | sql               | yes       | yes| yes|
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.rule_kinds import NO_RULE_KINDS
from funnelsync.sync.cli.main import main
from funnelsync.sync.simulation import Outcomes, apply_settings, outcomes, sweep_values
from funnelsync.sync.state.store import StoredActivity
from funnelsync.sync.workspace.scaffold import template_text

AS_OF = datetime(2026, 6, 30, 12, tzinfo=UTC)
KEY = "stages.mql.entry.engagement_min"


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00")


def _lead(email: str, stage: str, dates: dict[str, str], fit: bool = True) -> Lead:
    return Lead(
        email=email,
        title="VP Marketing" if fit else "Analyst",
        industry="Healthcare" if fit else "Retail",
        created_at=_at("2026-01-05"),
        stage=stage,
        stage_dates={name: _at(day) for name, day in dates.items()},
    )


LEADS = [
    _lead(
        "a@x.example.com",
        "customer",
        {"mql": "2026-03-10", "sql": "2026-03-20", "customer": "2026-04-01"},
    ),
    _lead("b@x.example.com", "sql", {"sql": "2026-04-10"}),
    _lead("c@x.example.com", "mql", {"mql": "2026-04-20"}),
    _lead("d@x.example.com", "customer", {"sql": "2026-05-05", "customer": "2026-05-20"}),
    _lead("e@x.example.com", "lead", {"lead": "2026-05-15"}, fit=False),
    _lead("f@x.example.com", "sql", {"mql": "2026-06-01", "sql": "2026-06-10"}),
]
DONE = [
    ("a@x.example.com", "demo_request", "2026-03-10"),
    ("b@x.example.com", "form_fill", "2026-04-05"),
    ("b@x.example.com", "webinar_attended", "2026-04-05"),
    ("c@x.example.com", "demo_request", "2026-04-20"),
    ("d@x.example.com", "meeting", "2026-05-02"),
    ("d@x.example.com", "form_fill", "2026-05-02"),
    ("e@x.example.com", "demo_request", "2026-05-15"),
    ("f@x.example.com", "demo_request", "2026-06-01"),
]
ACTIVITIES: dict[str, list[StoredActivity]] = {}
for number, (email, kind, day) in enumerate(DONE):
    ACTIVITIES.setdefault(email, []).append(
        StoredActivity("marketing", f"a{number}", email, kind, _at(day), None, None)
    )


def _contract(threshold: int | None = None) -> FunnelContract:
    contract = FunnelContract.model_validate(yaml.safe_load(template_text("contract.yaml")))
    return contract if threshold is None else apply_settings(contract, [f"{KEY}={threshold}"])


def _outcomes(threshold: int | None = None) -> Outcomes:
    leads = dict(enumerate(LEADS))
    by_person = {number: ACTIVITIES.get(lead.email or "", []) for number, lead in leads.items()}
    return outcomes(_contract(threshold), leads, by_person, AS_OF, NO_RULE_KINDS)


def test_a_low_bar_makes_every_converter_an_mql_at_lower_precision() -> None:
    assert _outcomes(20) == Outcomes(
        mqls=5,  # A B C D F
        mqls_reached_sql=4,  # A D (customers, past SQL) B F
        mqls_won=2,  # A D
        sql_precision=0.8,
        won_precision=0.4,
        converters=2,
        converters_missed=0,
        recall=1.0,
        mqls_per_month={"2026-03": 1, "2026-04": 2, "2026-05": 1, "2026-06": 1},
    )


def test_the_current_bar_misses_a_converter_whatever_stage_sales_gave_it() -> None:
    expected = Outcomes(
        mqls=3,  # A C F; B (20) and D (25) stay under 30 although sales took them further
        mqls_reached_sql=2,  # A F
        mqls_won=1,  # A
        sql_precision=0.667,
        won_precision=0.333,
        converters=2,
        converters_missed=1,  # D
        recall=0.5,
        mqls_per_month={"2026-03": 1, "2026-04": 1, "2026-06": 1},
    )
    assert _outcomes() == expected
    assert _outcomes(30) == expected
    assert _outcomes(40) == expected


def test_sweep_values_cover_the_range_and_refuse_a_bad_one() -> None:
    assert sweep_values(f"{KEY}=20:40:10") == (KEY, [20.0, 30.0, 40.0])
    assert sweep_values(f"{KEY}=0.5:1:0.25") == (KEY, [0.5, 0.75, 1.0])
    for bad in (f"{KEY}=40:20:10", f"{KEY}=20:40", f"{KEY}=a:b:c", "20:40:10"):
        try:
            sweep_values(bad)
        except ValueError as exc:
            assert "expected KEY=A:B:STEP" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_simulate_sweep_prints_a_row_per_threshold(workspace: Path) -> None:
    synced = CliRunner().invoke(main, ["sync", "--config", str(workspace)])
    assert synced.exit_code == 0, synced.output
    result = CliRunner().invoke(
        main, ["simulate", "--config", str(workspace), "--sweep", f"{KEY}=20:40:10", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert [row["contract"] for row in rows] == ["current", f"{KEY}=20", f"{KEY}=30", f"{KEY}=40"]
    assert rows[0]["mqls"] == rows[2]["mqls"] == 1  # the VP with a demo request
    table = CliRunner().invoke(
        main, ["simulate", "--config", str(workspace), "--sweep", f"{KEY}=20:40:10"]
    )
    assert f"{KEY}=40" in table.output and "recall" in table.output
    refused = CliRunner().invoke(main, ["simulate", "--config", str(workspace)])
    assert refused.exit_code == 2


# --- the same history, people keyed by a prospect id, activities linked by a lead id ----------

BY_PROSPECT = {  # lead → (prospect id, sales' lead status): the stored outcomes above
    "a": ("P-A", "Closed - Converted"),
    "b": ("P-B", "Qualified"),
    "c": ("P-C", ""),
    "d": ("P-D", "Closed - Converted"),
    "e": ("P-E", ""),
    "f": ("P-F", "Qualified"),
}


def _keyed_workspace(tmp_path: Path) -> Path:
    """:data:`LEADS` and :data:`DONE` as a CRM export without emails: people keyed by
    ``prospect_id``, events naming them by a ``Lead Number`` column."""
    mapping = {
        "lead_fields": {
            "email": None,
            "prospect_id": "Prospect Number",
            "title": "Title",
            "industry": "Industry",
            "lead_status": "Lead Status",
            "created_at": {"field": "Created", "direction": "read"},
        },
        "lead_key": {"key": "prospect_id", "field": "Lead Number"},
        "activity_fields": {
            "email": None,
            "type": "Type",
            "occurred_at": "When",
            "activity_id": "Event Id",
            "campaign": None,
            "asset": None,
        },
    }
    config = {
        "version": 1,
        "contract": "contract.yaml",
        "identity": {"keys": ["prospect_id"]},
        "connections": {
            "sales": {
                "connector": "csv",
                "settings": {
                    "leads": {"path": "leads.csv", "key_column": "Prospect Number"},
                    "activities": {"path": "events.csv", "id_column": "Event Id"},
                },
                "mapping": mapping,
            }
        },
    }
    contract = yaml.safe_load(template_text("contract.yaml"))
    contract["attributes"] = {"prospect_id": {"type": "text"}}
    for stage in contract["stages"] + contract["detours"]:
        stage["values"].pop("marketing")
    contract["ownership"] = {"lead_status": "always sales"}
    (tmp_path / "contract.yaml").write_text(yaml.safe_dump(contract), encoding="utf-8")
    (tmp_path / "funnelsync.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with (tmp_path / "leads.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Prospect Number", "Title", "Industry", "Lead Status", "Created"])
        for lead in LEADS:
            prospect, status = BY_PROSPECT[lead.email[0]]
            created = lead.created_at.isoformat() if lead.created_at else ""
            writer.writerow([prospect, lead.title, lead.industry, status, created])
    with (tmp_path / "events.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Event Id", "Lead Number", "Type", "When"])
        for number, (email, kind, day) in enumerate(DONE):
            writer.writerow([f"e{number}", BY_PROSPECT[email[0]][0], kind, _at(day).isoformat()])
    return tmp_path / "funnelsync.yaml"


def test_simulate_sweep_replays_email_less_leads_with_the_activities_linked_by_their_key(
    tmp_path: Path,
) -> None:
    config = _keyed_workspace(tmp_path)
    synced = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.output)["activities_without_lead"] == 0

    result = CliRunner().invoke(
        main, ["simulate", "--config", str(config), "--sweep", f"{KEY}=20:40:10", "--json"]
    )

    assert result.exit_code == 0, result.output
    rows = {row.pop("contract"): row for row in json.loads(result.output)["rows"]}
    low = asdict(_outcomes(20))
    assert low["mqls"] == 5  # the hand-computed figures of the tests above
    assert rows[f"{KEY}=20"] == low
    assert rows["current"] == rows[f"{KEY}=30"] == rows[f"{KEY}=40"] == asdict(_outcomes())
    table = CliRunner().invoke(
        main,
        ["simulate", "--config", str(config), "--sweep", f"{KEY}=20:40:10"],
        env={"COLUMNS": "200"},
    )
    printed = [line.split("│")[1:-1] for line in table.output.splitlines() if "│" in line]
    assert [[cell.strip() for cell in row] for row in printed] == [
        [
            "current",
            "3",
            "2 (66.7%)",
            "1 (33.3%)",
            "1 of 2",
            "50.0%",
            "2026-03:1 2026-04:1 2026-06:1",
        ],
        [
            f"{KEY}=20",
            "5",
            "4 (80.0%)",
            "2 (40.0%)",
            "0 of 2",
            "100.0%",
            "2026-03:1 2026-04:2 2026-05:1 2026-06:1",
        ],
        [
            f"{KEY}=30",
            "3",
            "2 (66.7%)",
            "1 (33.3%)",
            "1 of 2",
            "50.0%",
            "2026-03:1 2026-04:1 2026-06:1",
        ],
        [
            f"{KEY}=40",
            "3",
            "2 (66.7%)",
            "1 (33.3%)",
            "1 of 2",
            "50.0%",
            "2026-03:1 2026-04:1 2026-06:1",
        ],
    ]
    simulated = CliRunner().invoke(
        main, ["simulate", "--config", str(config), "--set", f"{KEY}=20", "--json"]
    )
    assert simulated.exit_code == 0, simulated.output
    document = json.loads(simulated.output)
    assert (document["current"], document["simulated"]) == (asdict(_outcomes()), low)
    assert (document["added_mqls"], document["dropped_mqls"]) == (2, 0)  # B and D
