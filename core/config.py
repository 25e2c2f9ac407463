"""The workspace configuration (``funnelsync.yaml``): connections, mappings, where things live."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from funnelsync.channels import SmtpConfig
from funnelsync.contract import FunnelContract
from funnelsync.mapping import FieldMap, Mapping

ConnectionName = str


class ConnectionConfig(BaseModel):
    """One connected system: which connector, its settings, and mapping overrides."""

    model_config = ConfigDict(extra="forbid")

    connector: str = Field(min_length=1, description="Connector name, see `funnelsync plugins`.")
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Connector settings, checked by the connector's model."
    )
    mapping: Mapping | None = Field(
        default=None, description="Overrides of the connector's default mapping."
    )
    create_leads: bool = Field(
        default=True, description="Create leads that this system does not have yet."
    )
    create_from_stage: str | None = Field(
        default=None,
        description="Only create leads that reached this success-path stage (e.g. mql).",
    )
    budget_key: str | None = Field(
        default=None,
        min_length=1,
        description="Name of the vendor account (portal, org) this connection uses: "
        "connections with the same key share one rate limiter and one daily budget across "
        "all processes and workers (kept where `limits:` says).",
    )


class ScheduleConfig(BaseModel):
    """When `funnelsync schedule` runs syncs: a cron expression, plus random jitter."""

    model_config = ConfigDict(extra="forbid")

    sync: str = Field(description="Cron expression (5 fields, UTC), e.g. '*/15 * * * *'.")
    jitter_s: float = Field(
        default=0, ge=0, description="Wait up to this many extra seconds, at random, per run."
    )


NotifyOn = Literal["failed", "partial", "sla_breach"]


class NotificationsConfig(BaseModel):
    """Where the built-in notifier posts (Slack-compatible incoming webhook) and when."""

    model_config = ConfigDict(extra="forbid")

    webhook_url: SecretStr = Field(description="Incoming-webhook URL; use ${VAR} to keep it out.")
    events: list[NotifyOn] = Field(
        default_factory=lambda: list(get_args(NotifyOn)),
        description="Which events post a message.",
    )
    quarantined_at_least: int | None = Field(
        default=None,
        ge=1,
        description="Also post when a run quarantines at least this many records.",
    )
    timeout_s: float = Field(default=10, gt=0, description="Give up posting after this long.")


class StateConfig(BaseModel):
    """Where a workspace keeps its state, when not in the SQLite file under ``state_dir``."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(
        description="A SQLAlchemy URL: postgresql+psycopg://user:${PASSWORD}@host/db "
        "(or sqlite:///path). Secret: it may hold a password."
    )

    @field_validator("url")
    @classmethod
    def _supported(cls, value: SecretStr) -> SecretStr:
        scheme = value.get_secret_value().partition(":")[0]
        if scheme.partition("+")[0] not in ("postgresql", "sqlite"):
            raise ValueError(
                f"state in {scheme!r} is not supported; use postgresql+psycopg://… or sqlite:///…"
            )
        return value


class LimitsConfig(BaseModel):
    """Where the API limits of connections with a ``budget_key`` are kept and shared."""

    model_config = ConfigDict(extra="forbid")

    url: SecretStr = Field(
        description="redis://host:6379/N (e.g. the Celery broker's Redis), or a database "
        "URL (sqlite:///path, postgresql+psycopg://…) shared by the workspaces. Secret: it "
        "may hold a password."
    )

    @field_validator("url")
    @classmethod
    def _supported(cls, value: SecretStr) -> SecretStr:
        scheme = value.get_secret_value().partition(":")[0].partition("+")[0]
        if scheme not in ("redis", "rediss", "postgresql", "sqlite"):
            raise ValueError(
                f"limits in {scheme!r} are not supported; use redis://…, "
                "postgresql+psycopg://… or sqlite:///…"
            )
        return value


class IdentityConfig(BaseModel):
    """Which canonical fields identify a person, in the order they are matched."""

    model_config = ConfigDict(extra="forbid")

    keys: list[str] = Field(
        default_factory=lambda: ["email"],
        min_length=1,
        description="Built-in lead fields or contract attributes, e.g. [email, crm_id]; a "
        "record is matched by its stored link first, then by each key in order.",
    )

    @field_validator("keys")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        repeated = sorted({key for key in value if value.count(key) > 1})
        if repeated:
            raise ValueError(f"identity keys are repeated: {', '.join(repeated)}")
        return value


class WorkspaceConfig(BaseModel):
    """A client workspace: its funnel contract, its state and its connections."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    contract: Path = Field(description="Path of the funnel contract, relative to this file.")
    state_dir: Path = Field(default=Path("state"), description="Where funnelsync keeps state.")
    state: StateConfig | None = Field(
        default=None,
        description="Keep the state database elsewhere (PostgreSQL); state_dir still holds "
        "the lock file and logs when the state is SQLite.",
    )
    connections: dict[ConnectionName, ConnectionConfig] = Field(min_length=1)
    limits: LimitsConfig | None = Field(
        default=None,
        description="Where connections with a budget_key share their API limits; default: "
        "the state database (PostgreSQL), or `api-limits.db` in state_dir (SQLite).",
    )
    schedule: ScheduleConfig | None = Field(
        default=None, description="For `funnelsync schedule`; optional otherwise."
    )
    notifications: NotificationsConfig | None = Field(
        default=None, description="Webhook messages on failed or partial runs and SLA breaches."
    )
    smtp: SmtpConfig | None = Field(
        default=None, description="The SMTP server hand-off emails are sent through."
    )
    max_quarantined_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="A run that quarantines more than this share of the rows it read is "
        "`partial` (exit 4); under it, bad rows wait in quarantine and the run is `ok`.",
    )
    identity: IdentityConfig = Field(
        default_factory=IdentityConfig,
        description="Which fields identify a person (default: email only).",
    )

    @field_validator("connections")
    @classmethod
    def _names(cls, value: dict[str, ConnectionConfig]) -> dict[str, ConnectionConfig]:
        for name in value:
            if not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(
                    f"connection name {name!r} may only use letters, digits, '-' and '_'"
                )
        return value


def effective_mapping(
    default: Mapping, connection: ConnectionConfig, contract: FunnelContract, name: str
) -> Mapping:
    """The mapping one connection runs with.

    The connector's default, overlaid by the connection's config; the ``stage`` field's
    value map then takes each stage's value for this connection from the contract.
    """
    mapping = default.overlay(connection.mapping).with_attributes(contract.attributes)
    stage_map = mapping.lead_fields.get("stage")
    contract_values = {
        stage.name: stage.values[name] for stage in contract.all_stages if name in stage.values
    }
    if stage_map is None or not contract_values:
        return mapping
    merged = FieldMap.model_validate(
        {**stage_map.model_dump(), "values": {**stage_map.values, **contract_values}}
    )
    return mapping.model_copy(update={"lead_fields": {**mapping.lead_fields, "stage": merged}})
