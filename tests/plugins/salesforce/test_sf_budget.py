"""funnelsync's own Salesforce calls over a rolling 24 hours, kept in the state directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from funnelsync.plugins.salesforce.budget import SalesforceBudget, UsageLedger, ledger_path

HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_calls_count_for_24_hours_and_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    path = ledger_path(tmp_path / "state", "sales")
    ledger = UsageLedger(path, clock)
    ledger.count(30)
    clock.now += 5 * HOUR
    ledger.count(12)
    ledger.save()

    again = UsageLedger(path, clock)  # the next run
    assert again.used() == 42
    clock.now += 19 * HOUR  # the first hour's calls are now 24 hours old
    assert again.used() == 12
    clock.now += 5 * HOUR
    assert again.used() == 0


def test_an_unreadable_ledger_starts_over_and_is_rewritten(tmp_path: Path) -> None:
    path = ledger_path(tmp_path, "sales/eu")
    assert path.name == "salesforce-usage-sales_eu.json"
    path.write_text("{not json", encoding="utf-8")
    ledger = UsageLedger(path)
    assert ledger.used() == 0
    ledger.count()
    ledger.save()
    assert UsageLedger(path).used() == 1


def test_the_share_is_of_funnelsyncs_calls_and_the_floor_of_the_orgs() -> None:
    ledger = UsageLedger(None)
    budget = SalesforceBudget(0.5, 100, ledger)
    assert budget.stop_reason() is None  # nothing known yet
    budget.observe(880, 1000)  # others used most of it; funnelsync none
    assert budget.stop_reason() is None
    ledger.count(500)
    assert "funnelsync made 500 calls" in str(budget.stop_reason())
    budget = SalesforceBudget(0.5, 100, UsageLedger(None))
    budget.observe(901, 1000)
    assert (
        str(budget.stop_reason()).removeprefix("API budget reached: ")
        == "the org has 99 of its 1000 daily calls left, below org_floor 100"
    )


def test_a_ledger_that_cannot_be_written_is_a_warning_not_a_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory should be", encoding="utf-8")
    ledger = UsageLedger(ledger_path(blocker, "sales"))
    ledger.count()
    ledger.save()
    assert "cannot keep funnelsync's API call count" in caplog.text
