"""Helpers shared by the salesforce connector tests: a seeded emulator, a connector, reads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnelsync.connector import ConnectorContext, ReadBatch, SystemRecord
from funnelsync.plugins.salesforce import SalesforceConnector, SalesforceSettings
from funnelsync.plugins.salesforce.emulator import Org, SalesforceEmulator

USERNAME = "ops@acme.example"
PASSWORD = "pa55-w0rd-!x"
TOKEN = "TOKENabc123"
PASSWORD_ENV = "SF_TEST_PASSWORD"
TOKEN_ENV = "SF_TEST_TOKEN"

FUNNEL_FIELDS = {
    "Funnel_Score__c": ("double", 0),
    "Funnel_Fit_Score__c": ("double", 0),
    "Funnel_Engagement_Score__c": ("double", 0),
    "Funnel_Stage__c": ("string", 80),
    "Funnel_Explanation__c": ("textarea", 32768),
    "Funnel_Talking_Points__c": ("string", 255),
}
"""The default funnel fields: name → (type, length), as docs/connectors/salesforce.md says."""


def add_funnel_fields(org: Org) -> None:
    """The custom fields funnelsync writes, on Lead and Contact (as an admin would add them)."""
    for sobject in ("Lead", "Contact"):
        for name, (kind, length) in FUNNEL_FIELDS.items():
            org.add_field(sobject, name, kind, length=length)


def password_auth() -> dict[str, Any]:
    """Settings for username + password + token, secrets in the test environment."""
    return {
        "kind": "password",
        "username": USERNAME,
        "password_env": PASSWORD_ENV,
        "security_token_env": TOKEN_ENV,
    }


def make_connector(
    emulator: SalesforceEmulator, workspace: Path, **settings: Any
) -> SalesforceConnector:
    """A connector on the emulator (password login unless ``auth`` is given; no waiting)."""
    config: dict[str, Any] = {
        "auth": password_auth(),
        "domain": emulator.base_url,
        "bulk_poll_seconds": 0,
        **settings,
    }
    connector = SalesforceConnector(
        SalesforceSettings.model_validate(config), ConnectorContext("sales", workspace)
    )
    connector.sleep = lambda seconds: None
    return connector


@dataclass
class Read:
    """Everything one read returned."""

    batches: list[ReadBatch] = field(default_factory=list)

    @property
    def records(self) -> list[SystemRecord]:
        return [record for batch in self.batches for record in batch.records]

    @property
    def ids(self) -> list[str]:
        return [record.record_id for record in self.records]

    @property
    def cursor(self) -> str | None:
        return self.batches[-1].cursor


def read_all(batches: Iterable[ReadBatch]) -> Read:
    """Drain a read."""
    return Read(list(batches))
