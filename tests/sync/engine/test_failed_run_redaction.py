"""A failed run's error text names no secret: not in the result, the stored report or the log."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_support import open_state

from funnelsync import ReadBatch, hookimpl
from funnelsync.connector import Connector
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import CsvConnector
from funnelsync.secrets import register_secret
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.loading import load_workspace

TOKEN = f"pat-eu1-{secrets.token_hex(8)}"
"""Fresh each session: the secret registry is process-wide."""


class _LeakyCsv(CsvConnector):
    """The CSV connector, but reading fails with an error that quotes the token it holds."""

    name = "leaky_csv"

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        register_secret(TOKEN)
        raise RuntimeError(f"401 Unauthorized: token {TOKEN} expired")


class _LeakyPlugin:
    @hookimpl
    def funnelsync_register_connectors(self) -> list[type[Connector]]:
        return [_LeakyCsv]


def test_the_error_of_a_failed_run_is_redacted_before_it_is_stored_or_logged(
    workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workspace.write_text(
        workspace.read_text().replace(
            "  sales:\n    connector: csv", "  sales:\n    connector: leaky_csv"
        )
    )
    plugins = create_plugins(extra=[("leaky", _LeakyPlugin())])
    with caplog.at_level(logging.INFO), pytest.raises(RunFailedError) as failed:
        run_sync(load_workspace(workspace, plugins), plugins)
    error = failed.value.result.report.error
    assert error == "RuntimeError: 401 Unauthorized: token *** expired"
    assert TOKEN not in str(failed.value)
    store = open_state(workspace)
    try:
        [stored] = store.recent_runs()
    finally:
        store.close()
    assert stored.status == "failed"
    assert stored.error == error
    assert TOKEN not in caplog.text
    assert "token *** expired" in caplog.text
