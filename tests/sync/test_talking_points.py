"""Talking points: a lead's stage's points, then those of the (at most 3) contract campaigns
it engaged with most recently; written to the mapped ``talking_points`` field, cut to its
length, and shown by `funnelsync explain`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner
from sync_support import NOW, iso, read_csv, small_workspace, sync_json, write_csv

from funnelsync.sync.cli.main import main

VP = "vp@hospital.example.com"
MQL_POINTS = [
    "Open with what they did most recently; the explanation lists it",
    "Offer a 30-minute discovery call this week",
]
CAMPAIGNS = {
    # campaign → (days since the VP last engaged, its talking point)
    "Launch": (1, "Launch: ask about the new connector"),
    "Spring Webinar": (3, "Webinar: they saw the live demo"),
    "Pricing Retargeting": (5, "Pricing: have the plan comparison ready"),
    "Old Ebook": (40, "Ebook: an old download"),
}


def _workspace(tmp_path: Path, max_length: int) -> Path:
    config = small_workspace(tmp_path)
    contract_path = config.parent / "contract.yaml"
    contract = yaml.safe_load(contract_path.read_text(encoding="utf-8"))
    contract["campaigns"] = [
        {"id": name, "description": f"{name} campaign", "talking_points": [point]}
        for name, (_, point) in CAMPAIGNS.items()
    ]
    contract["campaigns"][1] = {**contract["campaigns"][1], "id": "web-1", "name": "Spring Webinar"}
    # Ended before the report's 30 days: not among the campaigns communicated.
    contract["campaigns"][3]["end"] = (NOW - timedelta(days=35)).date().isoformat()
    contract_path.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    fields = settings["connections"]["sales"]["mapping"]["lead_fields"]
    fields["talking_points"] = {"field": "Talking Points", "max_length": max_length}
    config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    activities = config.parent / "data" / "marketing" / "activities.csv"
    rows = read_csv(activities)
    for number, (name, (days, _)) in enumerate(CAMPAIGNS.items()):
        rows.append(
            {
                "activity_id": f"c{number}",
                "email": VP,
                "type": "email_click",
                "occurred_at": iso(days),
                "campaign": name.upper() if name == "Launch" else name,  # any case matches
                "asset": "",
            }
        )
    write_csv(activities, rows)
    return config


def _explain(config: Path) -> dict[str, object]:
    result = CliRunner().invoke(main, ["explain", "--config", str(config), "--json", VP])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_stage_points_then_the_three_most_recent_campaigns(tmp_path: Path) -> None:
    config = _workspace(tmp_path, max_length=1000)
    sync_json(config)
    expected = [*MQL_POINTS, *(point for _, point in list(CAMPAIGNS.values())[:3])]

    explained = _explain(config)
    assert explained["stage"] == "mql"
    assert explained["talking_points"] == expected
    assert explained["campaigns"] == ["Launch", "Spring Webinar", "Pricing Retargeting"]
    [sales] = [r for r in read_csv(config.parent / "data/sales/leads.csv") if r["Email"] == VP]
    assert sales["Talking Points"] == " · ".join(expected)

    text = CliRunner().invoke(main, ["explain", "--config", str(config), VP]).output
    assert "Talking points (recent campaigns: Launch, Spring Webinar, Pricing Retargeting):" in text
    assert "  - Pricing: have the plan comparison ready" in text
    assert "Old Ebook" not in text


def test_the_written_points_are_cut_to_the_fields_length(tmp_path: Path) -> None:
    config = _workspace(tmp_path, max_length=60)
    sync_json(config)
    [sales] = [r for r in read_csv(config.parent / "data/sales/leads.csv") if r["Email"] == VP]
    written = sales["Talking Points"]
    assert len(written) == 60 and written.endswith("…")
    assert written == MQL_POINTS[0][:59] + "…"


def test_the_report_lists_the_campaigns_communicated_with_their_influence(
    tmp_path: Path,
) -> None:
    config = _workspace(tmp_path, max_length=255)
    sync_json(config)
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["campaigns_communicated"]
    assert [row["name"] for row in rows] == ["Launch", "Spring Webinar", "Pricing Retargeting"]
    webinar = rows[1]
    assert webinar["id"] == "web-1" and webinar["description"] == "Spring Webinar campaign"
    assert webinar["talking_points"] == ["Webinar: they saw the live demo"]
    # The VP engaged with each (by name, in any case) and then became this period's MQL.
    assert [(r["touched"], r["mqls"], r["sqls"], r["won"]) for r in rows] == [(1, 1, 0, 0)] * 3

    html_path = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", "--config", str(config), "--out", str(html_path)])
    assert result.exit_code == 0, result.output
    page = html_path.read_text(encoding="utf-8")
    section = page[page.index("<h2>Campaigns communicated</h2>") :]
    section = section[: section.index("</section>")]
    assert (
        "Spring Webinar campaign" in section
        and "<li>Webinar: they saw the live demo</li>" in section
    )
    assert 'data-metric="communicated.web-1.mqls" data-value="1"' in section
    assert "Old Ebook" not in section
