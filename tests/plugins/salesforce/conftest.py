"""Fixtures: a running emulator with one user and the funnel fields, and a connector on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sf_support import (
    PASSWORD,
    PASSWORD_ENV,
    TOKEN,
    TOKEN_ENV,
    USERNAME,
    add_funnel_fields,
    make_connector,
)

from funnelsync.plugins.salesforce import SalesforceConnector
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
def emulator() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator() as running:
        running.org.add_user(USERNAME, PASSWORD, TOKEN)
        add_funnel_fields(running.org)
        yield running


@pytest.fixture
def connector(emulator: SalesforceEmulator, tmp_path: Path) -> Iterator[SalesforceConnector]:
    made = make_connector(emulator, tmp_path)
    yield made
    made.close()
