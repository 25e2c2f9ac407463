"""The salesforce connector passes funnelsync's conformance kit against the emulator.

The org is the connector's declared demo emulator (integration user, funnel fields); the
target adds the knobs a vendor would use: record deletion, a restricted picklist the org
refuses, and row locks that outlast the connector's retries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from funnelsync import LeadWrite
from funnelsync.connector import ConnectorContext
from funnelsync.plugins.salesforce import SalesforceConnector, SalesforceSettings
from funnelsync.plugins.salesforce.emulator.demo import (
    PASSWORD,
    PASSWORD_ENV,
    SECURITY_TOKEN,
    SalesforceDemoEmulator,
)
from funnelsync.plugins.salesforce.emulator.org import Org
from funnelsync.testing import ConformanceTarget, ConnectorConformance

REFUSED_ENV = "FUNNELSYNC_KIT_SF_REFUSED_PASSWORD"
REFUSED_PASSWORD = "kit-refused-Passw0rd"


def locked(org: Org) -> Callable[[Sequence[LeadWrite]], AbstractContextManager[None]]:
    """While entered, saves of these writes' leads fail with ``UNABLE_TO_LOCK_ROW``."""

    @contextmanager
    def busy(writes: Sequence[LeadWrite]) -> Iterator[None]:
        for write in writes:
            org.inject_error(write.key, "UNABLE_TO_LOCK_ROW", times=1_000)
        try:
            yield
        finally:
            keys = {write.key for write in writes}
            org.injected[:] = [error for error in org.injected if error.match not in keys]

    return busy


def delete(org: Org, ids: Sequence[str]) -> None:
    for record_id in ids:
        org.delete(record_id)


class TestSalesforceConformance(ConnectorConformance):
    @pytest.fixture
    def funnelsync_target(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> Iterator[ConformanceTarget]:
        emulator = SalesforceDemoEmulator()
        emulator.start()
        org = emulator.org
        org.query_batch_size = 200  # Salesforce's smallest page: fewer leads to seed
        for name, value in {**emulator.environment(), REFUSED_ENV: REFUSED_PASSWORD}.items():
            monkeypatch.setenv(name, value)

        def connector(password_env: str = PASSWORD_ENV) -> SalesforceConnector:
            settings = emulator.connection_settings()
            settings["auth"] = {**settings["auth"], "password_env": password_env}
            made = SalesforceConnector(
                SalesforceSettings.model_validate(settings), ConnectorContext("kit", tmp_path)
            )
            made.sleep = lambda seconds: None
            return made

        yield ConformanceTarget(
            make_connector=connector,
            seed=lambda leads: emulator.seed(leads, []),
            page_size=org.query_batch_size,
            secrets=(PASSWORD, SECURITY_TOKEN, REFUSED_PASSWORD),
            refused_connector=lambda: connector(REFUSED_ENV),
            delete=lambda ids: delete(org, ids),
            rejected_fields={"Status": "Not A Lead Status"},
            busy=locked(org),
            detour_values=("sql", "recycled"),
            system_requests=lambda: sum(org.calls.values()),
        )
        emulator.stop()
