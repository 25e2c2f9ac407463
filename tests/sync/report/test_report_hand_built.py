"""The report's figures on the hand-built funnel of ``report_support``, in JSON, CSV and HTML.

Each expected number is worked out in the comments from the table in report_support.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_support import SINCE, UNTIL, hand_built_workspace

from funnelsync.sync.cli.report import report_command

# Per stage, March: opening, inflow, outflow, balance, reached, skipped, converted,
# conversion, median days, average days.
STAGES: dict[str, tuple[Any, ...]] = {
    # E enters; B and G reached it by skipping (first entry at mql); B, G reached lead.
    "subscriber": (0, 1, 0, 1, 3, 2, 2, 0.6667, None, None),
    # A and C were in lead on 1 Mar and left (A after 20 days, C after 23).
    "lead": (2, 0, 2, 0, 2, 2, 2, 1.0, 21.5, 21.5),
    # A, B, C, D (again), G enter; A, B, C leave after 1, 3, 2 days; A and B reach sal.
    "mql": (0, 5, 3, 2, 4, 0, 2, 0.5, 2.0, 2.0),
    # A enters; A (7 days) and D (11 days, into recycled) leave; B skipped it.
    "sal": (1, 1, 2, 0, 2, 1, 2, 1.0, 9.0, 9.0),
    # A and B enter; A (10 days) and F (41 days) leave; A is won.
    "sql": (1, 2, 2, 1, 2, 0, 1, 0.5, 25.5, 25.5),
    "customer": (0, 1, 0, 1, 1, 0, None, None, None, None),
    # D is recycled on 4 Mar and back in mql after 11 days.
    "recycled": (0, 1, 1, 0, None, None, None, None, 11.0, 11.0),
    "disqualified": (0, 2, 0, 2, None, None, None, None, None, None),
}
STAGE_FIELDS = (
    "opening", "inflow", "outflow", "balance", "reached", "skipped", "converted",
    "conversion", "median_days", "average_days",
)  # fmt: skip

HEADLINE = {
    "new_leads": 3,  # B, E, G first appear in March
    "mqls": 4,  # A, B, C, G reach mql (D reached it in February)
    "sqls": 2,  # A, B
    "won": 1,  # A
    "lost": 1,  # F: disqualified after reaching sql (C never reached sql)
    "mql_to_sql": 0.5,  # A, B of A, B, C, G
    "mql_to_customer": 0.25,  # A
    "win_rate": 0.5,  # 1 / (1 + 1)
    "median_days_mql_to_sql": 5.5,  # A 8 days, B 3 days
    # SLA clocks started in March: mql A met (call 2 h after), B breached (left after 3
    # days, no touch), C breached (call 26 h after), D breached (still waiting), G breached
    # (36 h by 1 Apr 00:00); sal A met (7 days).
    "sla_attainment": 0.3333,
    "sla_met": 2,
    "sla_breached": 4,
    "sla_open": 0,
}
PREVIOUS_HEADLINE = {
    "new_leads": 4,  # C, F, A, D
    "mqls": 2,  # D entered, F skipped it
    "sqls": 1,  # F
    "won": 0,
    "lost": 0,
    "mql_to_sql": 0.5,  # F of D, F
    "mql_to_customer": 0.0,
    "win_rate": None,
    "median_days_mql_to_sql": None,  # F never entered mql
    # D's mql clock: left for sal exactly 24 h later (met); D's sal clock still open on 1 Mar.
    "sla_attainment": 1.0,
    "sla_met": 1,
    "sla_breached": 0,
    "sla_open": 1,
}


def run_report(config: Path, output_format: str, *extra: str) -> str:
    args = ["--config", str(config), "--since", SINCE, "--until", UNTIL]
    result = CliRunner().invoke(
        report_command, [*args, "--format", output_format, *extra], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hand_built_workspace(tmp_path_factory.mktemp("hand") / "ws")


@pytest.fixture(scope="module")
def document(config: Path) -> dict[str, Any]:
    text = run_report(config, "json", "--by", "owner", "--by", "source", "--by", "campaign")
    result: dict[str, Any] = json.loads(text)
    return result


def test_json_period_and_previous_period(document: dict[str, Any]) -> None:
    assert document["current"]["period"] == {
        "since": "2026-03-01",
        "until": "2026-03-31",
        "start": "2026-03-01T00:00:00+00:00",
        "end": "2026-04-01T00:00:00+00:00",
        "days": 31,
    }
    assert document["previous"]["period"]["since"] == "2026-01-29"
    assert document["previous"]["period"]["until"] == "2026-02-28"
    assert document["leads"] == 7


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_json_stage_figures(document: dict[str, Any], stage: str) -> None:
    row = next(row for row in document["current"]["stages"] if row["stage"] == stage)
    assert tuple(row[name] for name in STAGE_FIELDS) == STAGES[stage]


def test_balances_add_up(document: dict[str, Any]) -> None:
    for period in ("current", "previous"):
        for row in document[period]["stages"]:
            assert row["opening"] + row["inflow"] - row["outflow"] == row["balance"], row
    previous = {row["stage"]: row["balance"] for row in document["previous"]["stages"]}
    current = {row["stage"]: row["opening"] for row in document["current"]["stages"]}
    assert previous == current


def test_json_headline_and_change(document: dict[str, Any]) -> None:
    assert document["current"]["headline"] == HEADLINE
    assert document["previous"]["headline"] == PREVIOUS_HEADLINE
    assert document["change"]["mqls"] == 2
    assert document["change"]["new_leads"] == -1
    assert document["change"]["sla_attainment"] == pytest.approx(-0.6667)
    assert document["change"]["win_rate"] is None


def test_previous_period_stages(document: dict[str, Any]) -> None:
    rows = {row["stage"]: row for row in document["previous"]["stages"]}
    # A and C were still in lead on 1 Mar, so only D and F (skipping) reached mql in time.
    assert (rows["lead"]["reached"], rows["lead"]["converted"]) == (4, 2)
    assert rows["subscriber"]["median_days"] == 14.0  # C, 1 → 15 Feb
    assert rows["sql"]["conversion"] == 0.0


def test_json_segments(document: dict[str, Any]) -> None:
    owners = {row["segment"]: row for row in document["current"]["segments"]["owner"]}
    assert list(owners) == ["Alex", "Jordan", "Priya", "(none)"]
    alex = owners["Alex"]
    assert (alex["new_leads"], alex["mqls"], alex["sqls"], alex["won"], alex["lost"]) == (
        1, 2, 2, 1, 1,
    )  # fmt: skip
    assert (alex["mql_to_sql"], alex["win_rate"]) == (1.0, 0.5)
    assert (owners["Priya"]["mqls"], owners["Priya"]["mql_to_sql"]) == (1, 0.0)
    sources = [row["segment"] for row in document["current"]["segments"]["source"]]
    assert sources == ["Webinar", "Event", "Referral"]  # Paid Social (D) is idle in March
    campaigns = {row["segment"]: row for row in document["current"]["segments"]["campaign"]}
    assert campaigns["Launch"]["mqls"] == 2  # A and B engaged with Launch (B after its MQL)
    assert campaigns["(none)"]["new_leads"] == 2  # E and G never engaged with a campaign


def test_json_campaigns(document: dict[str, Any]) -> None:
    assert document["current"]["campaigns"] == [
        # B's click came after its MQL but before its SQL.
        {"campaign": "Launch", "touched": 1, "mqls": 1, "sqls": 2, "won": 1},
        {"campaign": "Webinar Q1", "touched": 1, "mqls": 1, "sqls": 0, "won": 0},
    ]
    assert document["previous"]["campaigns"] == [
        {"campaign": "Webinar Q1", "touched": 1, "mqls": 1, "sqls": 0, "won": 0},
        {"campaign": "Launch", "touched": 1, "mqls": 0, "sqls": 0, "won": 0},
    ]


def test_json_sla_by_rule_owner_and_week(document: dict[str, Any]) -> None:
    sla = document["current"]["sla"]
    assert sla["rules"] == [
        {"key": "mql", "met": 1, "breached": 4, "open": 0, "attainment": 0.2},
        {"key": "sal", "met": 1, "breached": 0, "open": 0, "attainment": 1.0},
    ]
    assert sla["owners"] == [
        {"key": "Alex", "met": 2, "breached": 1, "open": 0, "attainment": 0.6667},
        {"key": "Jordan", "met": 0, "breached": 1, "open": 0, "attainment": 0.0},
        {"key": "Priya", "met": 0, "breached": 2, "open": 0, "attainment": 0.0},
    ]
    assert [(row["key"], row["met"], row["breached"]) for row in sla["weeks"]] == [
        ("2026-03-02", 2, 1),  # A mql, A sal, B
        ("2026-03-09", 0, 2),  # C, D (Sunday 15 Mar)
        ("2026-03-30", 0, 1),  # G
    ]


def test_json_trend(document: dict[str, Any]) -> None:
    trend = document["trend"]
    assert trend["unit"] == "week"
    points = {point["bucket"]: point for point in trend["points"]}
    # The week of Monday 23 Feb is split by the period boundary at 1 March.
    assert "2026-02-23" in points and "2026-03-01" in points
    assert sum(point["mqls"] for point in trend["points"]) == 6  # 2 previous + 4 current
    assert points["2026-03-02"]["mqls"] == 2  # A (2 Mar), B (5 Mar)
    assert points["2026-03-30"]["mqls"] == 1  # G


def test_json_states_its_definitions(document: dict[str, Any]) -> None:
    assert {"reached", "conversion", "sla", "win_rate"} <= set(document["definitions"])


def test_csv_has_the_same_figures(config: Path, document: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(run_report(config, "csv", "--by", "owner"))))
    figures = {(r["section"], r["dimension"], r["item"], r["metric"]): r for r in rows}
    for stage, expected in STAGES.items():
        for name, value in zip(STAGE_FIELDS, expected, strict=True):
            cell = figures[("stage", "", stage, name)]["value"]
            assert cell == ("" if value is None else str(value)), (stage, name)
    for name, value in HEADLINE.items():
        summary = figures[("summary", "", "", name)]
        assert summary["value"] == str(value)
        previous = PREVIOUS_HEADLINE[name]
        assert summary["previous"] == ("" if previous is None else str(previous))
    assert figures[("segment", "owner", "Alex", "mqls")]["value"] == "2"
    assert figures[("campaign", "", "Launch", "sqls")]["value"] == "2"
    assert figures[("sla_owner", "", "Priya", "breached")]["value"] == "2"
    assert figures[("sla_week", "", "2026-03-02", "attainment")]["value"] == "0.6667"
    assert any(r["section"] == "definition" and r["item"] == "reached" for r in rows)


class _Metrics(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-metric"):
            self.values[str(found["data-metric"])] = found.get("data-value") or ""


def _number(text: str) -> float | None:
    return float(text) if text else None


def test_html_shows_the_same_figures(config: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    output = run_report(config, "html", "--by", "owner", "--out", str(target))
    assert str(target.resolve()) in output
    page = target.read_text(encoding="utf-8")
    parser = _Metrics()
    parser.feed(page)
    metrics = parser.values
    for stage, expected in STAGES.items():
        for name, value in zip(STAGE_FIELDS, expected, strict=True):
            if name != "converted":  # the page shows the rate, not the count behind it
                assert _number(metrics[f"stage.{stage}.{name}"]) == value, (stage, name)
    for name in ("new_leads", "mqls", "sqls", "won", "mql_to_sql", "win_rate"):
        assert _number(metrics[f"headline.{name}"]) == HEADLINE[name]
    assert _number(metrics["headline.sla_attainment"]) == HEADLINE["sla_attainment"]
    assert _number(metrics["segment.owner.Alex.mqls"]) == 2
    assert _number(metrics["campaign.Launch.sqls"]) == 2
    assert _number(metrics["sla.owner.Alex.attainment"]) == 0.6667
    assert _number(metrics["sla.rule.mql.breached"]) == 4
    assert _number(metrics["waiting.Priya.past_due"]) == 1  # D, still waiting on 1 Apr
    assert "Reached, and skipped stages" in page  # the definitions travel with the report
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script" not in page


def test_unknown_segment_field_is_refused(config: Path) -> None:
    result = CliRunner().invoke(report_command, ["--config", str(config), "--by", "shoe_size"])
    assert result.exit_code == 2
    assert "shoe_size" in result.output and "industry" in result.output


def test_reversed_period_is_refused(config: Path) -> None:
    result = CliRunner().invoke(
        report_command, ["--config", str(config), "--since", UNTIL, "--until", SINCE]
    )
    assert result.exit_code == 2
    assert "after" in result.output


def test_docs_state_every_definition() -> None:
    from funnelsync.sync.report.definitions import DEFINITIONS

    page = (Path(__file__).resolve().parents[3] / "docs" / "report.md").read_text("utf-8")
    for title, text in DEFINITIONS.values():
        assert f"**{title}.** {text}" in page, title
