"""`funnelsync sla`: who waits past due, per owner, and the breach hook fired once each."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_support import email, hand_built_workspace, noon

from funnelsync.contract import SlaRule
from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.sync.cli import common as cli_common
from funnelsync.sync.cli.report import sla_command
from funnelsync.sync.state.person_rows import person_row_chunks
from funnelsync.sync.state.store import RunCommit, StateStore


def sla_json(config: Path, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        sla_command, ["--config", str(config), "--json", *extra], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return hand_built_workspace(tmp_path / "ws")


def test_past_due_leads_per_owner_with_their_wait(config: Path) -> None:
    document = sla_json(config, "--at", "2026-04-01T00:00")
    assert (document["past_due"], document["due_soon"], document["on_track"]) == (2, 0, 0)
    assert document["new_breaches_notified"] == 0  # --at judges a moment; it announces nothing
    assert [owner["owner"] for owner in document["owners"]] == ["Jordan", "Priya"]
    waiting = {lead["email"]: lead for lead in document["leads"]}
    assert set(waiting) == {email("d"), email("g")}
    d = waiting[email("d")]
    # D re-entered mql on 15 Mar 12:00 and nobody called: 16.5 days = 396 h, due after 24.
    assert (d["owner"], d["stage"], d["waited_hours"], d["hours_past_due"]) == (
        "Priya", "mql", 396.0, 372.0,
    )  # fmt: skip
    assert d["due_at"] == "2026-03-16T12:00:00+00:00"
    assert d["urgency"] == "past_due"
    g = waiting[email("g")]
    assert (g["owner"], g["waited_hours"], g["hours_past_due"]) == ("Jordan", 36.0, 12.0)


def test_due_soon_is_a_quarter_of_the_rule_or_soon_hours(config: Path) -> None:
    # 30 Mar 20:00: G entered mql at 12:00 and has 16 h left of 24.
    default = sla_json(config, "--at", "2026-03-30T20:00")
    assert (default["past_due"], default["due_soon"], default["on_track"]) == (1, 0, 1)
    wider = sla_json(config, "--at", "2026-03-30T20:00", "--soon", "20")
    assert (wider["past_due"], wider["due_soon"]) == (1, 1)
    assert {lead["email"] for lead in wider["leads"]} == {email("d"), email("g")}


def test_text_output_groups_by_owner(config: Path) -> None:
    result = CliRunner().invoke(
        sla_command, ["--config", str(config), "--at", "2026-04-01T00:00"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert "2 past due, 0 due soon" in result.output
    assert "Priya" in result.output and email("d") in result.output


class BreachSpy:
    """A plugin that records every breach it is told about."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, datetime, datetime]] = []

    @hookimpl
    def funnelsync_sla_breached(
        self, lead: Lead, rule: SlaRule, entered_at: datetime, due_at: datetime
    ) -> None:
        self.calls.append((lead.email, rule.stage, entered_at, due_at))


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> BreachSpy:
    found = BreachSpy()

    def plugins() -> FunnelPlugins:
        return create_plugins(extra=[("spy", found)])

    monkeypatch.setattr(cli_common, "create_plugins", plugins)
    return found


def test_each_new_breach_is_announced_once(config: Path, spy: BreachSpy) -> None:
    assert sla_json(config)["new_breaches_notified"] == 2
    assert sorted(spy.calls) == [
        (email("d"), "mql", noon(3, 15), noon(3, 16)),
        (email("g"), "mql", noon(3, 30), noon(3, 31)),
    ]
    assert sla_json(config)["new_breaches_notified"] == 0
    assert len(spy.calls) == 2
    assert sla_json(config, "--no-notify")["past_due"] == 2
    # A new lead enters mql and is left waiting: one new announcement, the old ones stay quiet.
    store = StateStore.open(config.parent / "state")
    late = Lead(email=email("h"), owner="Sam", stage="mql", stage_dates={"mql": noon(3, 20)})
    store.commit_run(
        RunCommit(
            "later",
            noon(3, 21).isoformat(),
            person_row_chunks({8: late}),
            [],
            [],
            [],
            [],
            [],
            [],
            {},
            {},
        )
    )
    store.close()
    assert sla_json(config)["new_breaches_notified"] == 1
    assert spy.calls[-1][:2] == (email("h"), "mql")
    assert len(spy.calls) == 3
