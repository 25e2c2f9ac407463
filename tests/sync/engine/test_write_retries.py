"""Writes the system asks to retry are retried within the run, with backoff, then left."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from sync_support import read_csv

from funnelsync import LeadWrite, WriteResult, WriteStatus, hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.sync.engine.run import RunResult, run_sync
from funnelsync.sync.workspace.loading import load_workspace

VP = "vp@hospital.example.com"


class _BusyCsv(CsvConnector):
    """The CSV connector, but the first ``busy_for`` writes of the VP come back retryable
    (as a locked record or a throttled row would), without reaching the file."""

    name = "busy_csv"
    busy_for: ClassVar[int] = 0
    silent: ClassVar[bool] = False
    """Give no result at all for a busy write (as a system that drops part of a batch)."""
    attempts: ClassVar[list[str]] = []

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        busy = [w for w in writes if w.key == VP and len(_BusyCsv.attempts) < _BusyCsv.busy_for]
        _BusyCsv.attempts.extend(w.key for w in writes if w.key == VP)
        allowed = [w for w in writes if w not in busy]
        results = super().write_leads(allowed) if allowed else []
        if _BusyCsv.silent:
            return results
        return results + [
            WriteResult(w.key, WriteStatus.retryable, message="UNABLE_TO_LOCK_ROW") for w in busy
        ]


class _BusyPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_BusyCsv]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits asked of ``time.sleep`` (recorded, not slept)."""
    asked: list[float] = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def _sync(workspace: Path, busy_for: int, *, silent: bool = False) -> RunResult:
    _BusyCsv.busy_for = busy_for
    _BusyCsv.silent = silent
    _BusyCsv.attempts = []
    text = workspace.read_text()
    workspace.write_text(
        text.replace("  sales:\n    connector: csv", "  sales:\n    connector: busy_csv")
    )
    plugins = create_plugins(extra=[("busy", _BusyPlugin())])
    return run_sync(load_workspace(workspace, plugins), plugins)


def _sales_emails(workspace: Path) -> list[str]:
    return [row["Email"] for row in read_csv(workspace.parent / "data/sales/leads.csv")]


def test_a_retryable_write_is_retried_with_backoff_and_lands_in_the_same_run(
    workspace: Path, sleeps: list[float]
) -> None:
    result = _sync(workspace, busy_for=2)
    assert _BusyCsv.attempts == [VP, VP, VP]
    assert VP in _sales_emails(workspace)
    assert result.report.status == "ok"
    assert result.report.connections["sales"].created == 1
    assert [q for q in result.quarantined if q.kind == "write"] == []
    # two waits between the three tries, growing exponentially from 0.5 s (full jitter)
    assert len(sleeps) == 2
    assert all(0 < wait <= 0.5 * 2**n for n, wait in enumerate(sleeps, start=1))


def test_a_write_still_retryable_after_the_tries_is_left_for_the_next_run(
    workspace: Path, sleeps: list[float]
) -> None:
    result = _sync(workspace, busy_for=100)
    assert _BusyCsv.attempts == [VP] * 4
    assert len(sleeps) == 3
    assert VP not in _sales_emails(workspace)
    assert result.report.status == "partial"
    [left] = [q for q in result.quarantined if q.kind == "write"]
    assert left.reason == "retryable: UNABLE_TO_LOCK_ROW"

    _BusyCsv.busy_for = 0
    again = _sync(workspace, busy_for=0)
    assert VP in _sales_emails(workspace)
    assert again.report.status == "ok"
    assert again.report.connections["sales"].created == 1


def test_a_write_the_system_gives_no_result_for_is_retried_then_left(
    workspace: Path, sleeps: list[float]
) -> None:
    result = _sync(workspace, busy_for=100, silent=True)
    assert _BusyCsv.attempts == [VP] * 4
    assert result.report.status == "partial"
    [left] = [q for q in result.quarantined if q.kind == "write"]
    assert left.reason == "retryable: the system gave no result"
