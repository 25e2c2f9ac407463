"""The ``salesforce`` connector (REST API through simple-salesforce) and its local emulator.

Reads Leads and Contacts changed since a cursor (converted Leads as their Contact),
completed Tasks/Events and campaign responses as activities, and deletions; writes
through sObject Collections or Bulk API 2.0 within a share of the org's daily API
allowance. :mod:`funnelsync.plugins.salesforce.emulator` serves a stateful emulated org
on loopback for tests and the demo. See ``docs/connectors/salesforce.md``.
"""

from funnelsync.plugins.salesforce.connector import SalesforceConnector
from funnelsync.plugins.salesforce.settings import (
    FunnelFields,
    JwtAuth,
    PasswordAuth,
    SalesforceSettings,
    SessionAuth,
)

__all__ = [
    "FunnelFields",
    "JwtAuth",
    "PasswordAuth",
    "SalesforceConnector",
    "SalesforceSettings",
    "SessionAuth",
]
