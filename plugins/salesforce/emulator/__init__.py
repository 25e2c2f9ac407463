"""A stateful in-memory Salesforce org served over HTTP on loopback, for tests and the demo.

It implements the slice of the REST API the salesforce connector uses, with Salesforce's
shapes: SOAP and OAuth (password, JWT bearer) login, SOQL ``query``/``queryAll`` with
``nextRecordsUrl`` paging, sObject describe, sObject Collections (create, update,
upsert by external id; ≤ 200 records, per-record errors), Bulk API 2.0 ingest, converted
and deleted records, ``Sforce-Limit-Info`` and ``REQUEST_LIMIT_EXCEEDED``. Seed and
inspect it through :class:`Org` (``emulator.org``)::

    with SalesforceEmulator() as emulator:
        emulator.org.add_user("ann@example.com", "secret", "TOKEN")
        lead_id = emulator.org.add_lead(LastName="O'Brien", Email="sean@example.com")
        ...  # connector settings: domain = emulator.base_url
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator.org import EmulatorError, Org
    from funnelsync.plugins.salesforce.emulator.server import SalesforceEmulator

__all__ = ["EmulatorError", "Org", "SalesforceEmulator"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that the connector declaring its demo emulator (a module
    # of this package) does not load the whole emulator (JWT, cryptography) on every sync.
    if name in ("EmulatorError", "Org"):
        from funnelsync.plugins.salesforce.emulator import org

        return getattr(org, name)
    if name == "SalesforceEmulator":
        from funnelsync.plugins.salesforce.emulator import server

        return server.SalesforceEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
