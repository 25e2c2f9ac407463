"""The salesforce connector passes funnelsync's conformance kit against the emulator.

The org is the connector's declared demo emulator (its login, funnel fields); the target
adds the knobs a vendor would use: record deletion, a restricted picklist the org refuses,
row locks that outlast the connector's retries, a secret the org refuses, and a daily
allowance funnelsync's own calls have used up to its share.

With ``--funnelsync-conformance`` (in the project's pytest ``addopts``) the kit collects
its checks beside this conftest, as it does for a vendor's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from funnelsync import LeadWrite
from funnelsync.connector import ConnectorContext
from funnelsync.plugins.salesforce import SalesforceConnector, SalesforceSettings
from funnelsync.plugins.salesforce.emulator.demo import SalesforceDemoEmulator
from funnelsync.plugins.salesforce.emulator.org import Org
from funnelsync.testing import ConformanceTarget

REFUSED_ENV = "FUNNELSYNC_KIT_SF_REFUSED_SECRET"
REFUSED_SECRET = "kit-refused-s3cret"


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


def allowance_spent(org: Org) -> Callable[[], AbstractContextManager[None]]:
    """While entered, the org's daily allowance is so small that funnelsync's own calls
    so far are past its share (the org's answers say so)."""

    @contextmanager
    def spend() -> Iterator[None]:
        used, limit = org.api_used, org.api_limit
        org.set_api_usage(0, 2)
        try:
            yield
        finally:
            org.set_api_usage(used, limit)

    return spend


def delete(org: Org, ids: Sequence[str]) -> None:
    for record_id in ids:
        org.delete(record_id)


@pytest.fixture
def funnelsync_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[ConformanceTarget]:
    emulator = SalesforceDemoEmulator()
    emulator.start()
    org = emulator.org
    org.query_batch_size = 200  # Salesforce's smallest page: fewer leads to seed
    secrets = {**emulator.environment(), REFUSED_ENV: REFUSED_SECRET}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)

    def connector(refused: bool = False) -> SalesforceConnector:
        """A connector as the demo connects; ``refused``: its secret variable swapped."""
        settings = emulator.connection_settings()
        if refused:
            auth = settings["auth"]
            settings["auth"] = {
                k: REFUSED_ENV if k.endswith("_env") else v for k, v in auth.items()
            }
        made = SalesforceConnector(
            SalesforceSettings.model_validate(settings), ConnectorContext("kit", tmp_path)
        )
        made.sleep = lambda seconds: None
        return made

    yield ConformanceTarget(
        make_connector=connector,
        seed=lambda leads: emulator.seed(leads, []),
        seed_activities=emulator.seed,
        page_size=org.query_batch_size,
        secrets=tuple(secrets.values()),
        refused_connector=lambda: connector(refused=True),
        delete=lambda ids: delete(org, ids),
        rejected_fields={"Status": "Not A Lead Status"},
        busy=locked(org),
        detour_values=("sql", "recycled"),
        system_requests=lambda: sum(org.calls.values()),
        spend_budget=allowance_spent(org),
    )
    emulator.stop()
