"""Settings of a Salesforce connection: how to log in, where, and how much it may do.

Secrets never appear in the settings: they name the environment variables that hold
them, read at login into ``SecretStr`` values.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from funnelsync.connector import ConnectorSettings

API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_MY_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_DOMAIN_HELP = (
    "expected 'login' (production), 'test' (sandbox), a My Domain such as 'acme.my', an "
    "https://<name>.salesforce.com URL, or http(s)://127.0.0.1:<port> for a local emulator"
)


def _api_name(value: str, what: str) -> str:
    if not API_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a Salesforce API name ({what})")
    return value


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PasswordAuth(_Auth):
    """Username, password and security token (SOAP ``login``)."""

    kind: Literal["password"] = Field(description="Log in with username, password and token.")
    username: str = Field(min_length=1, description="The Salesforce username.")
    password_env: str = Field(
        pattern=_ENV_NAME, description="Environment variable that holds the password."
    )
    security_token_env: str = Field(
        pattern=_ENV_NAME,
        description="Environment variable that holds the user's security token.",
    )


class JwtAuth(_Auth):
    """OAuth 2.0 JWT bearer flow of a connected app (no password; the right choice for servers)."""

    kind: Literal["jwt"] = Field(description="Log in with a connected app's JWT bearer flow.")
    username: str = Field(min_length=1, description="The Salesforce username to act as.")
    consumer_key: str = Field(min_length=1, description="The connected app's consumer key.")
    private_key_file: Path = Field(
        description=(
            "PEM file with the private key whose certificate the connected app holds; a "
            "relative path is relative to the workspace directory."
        )
    )


class ClientCredentialsAuth(_Auth):
    """OAuth 2.0 client-credentials flow of an External Client App (or connected app).

    No user password: the app runs as the integration user set in its policies. Salesforce
    serves this flow on the org's My Domain only, so ``domain`` must be one.
    """

    kind: Literal["client_credentials"] = Field(
        description="Log in with an External Client App's client-credentials flow."
    )
    consumer_key: str = Field(min_length=1, description="The app's consumer key (client id).")
    consumer_secret_env: str = Field(
        pattern=_ENV_NAME,
        description="Environment variable that holds the app's consumer secret.",
    )


class SessionAuth(_Auth):
    """An existing session id (access token) and its instance; cannot log in again."""

    kind: Literal["session"] = Field(description="Use an existing session id.")
    session_id_env: str = Field(
        pattern=_ENV_NAME, description="Environment variable that holds the session id."
    )
    instance_url: str = Field(
        description=(
            "The org's instance, e.g. https://acme.my.salesforce.com (or the local "
            "emulator's http://127.0.0.1:<port>)."
        )
    )

    @field_validator("instance_url")
    @classmethod
    def _instance(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value.rstrip("/")
        if parts.scheme == "http" and _loopback(value):
            return value.rstrip("/")
        raise ValueError(
            f"{value!r}: expected an https:// URL, or http://127.0.0.1:<port> for the emulator"
        )


Auth = Annotated[
    PasswordAuth | JwtAuth | ClientCredentialsAuth | SessionAuth, Field(discriminator="kind")
]


class FunnelFields(BaseModel):
    """The custom fields funnelsync writes; ``check`` says how to create any that are missing.

    They must exist on Lead and on Contact (converted leads are written on their Contact).
    """

    model_config = ConfigDict(extra="forbid")

    score: str = Field(default="Funnel_Score__c", description="Total score: Number(18, 0).")
    fit_score: str = Field(default="Funnel_Fit_Score__c", description="Fit score: Number(18, 0).")
    engagement_score: str = Field(
        default="Funnel_Engagement_Score__c", description="Engagement score: Number(18, 0)."
    )
    stage: str = Field(
        default="Funnel_Stage__c",
        description="Funnel stage: Text(80), or a picklist of the contract's stage values.",
    )
    explanation: str = Field(
        default="Funnel_Explanation__c",
        description="Why the lead has its score and stage: Long Text Area(32768).",
    )
    talking_points: str | None = Field(
        default="Funnel_Talking_Points__c",
        description="What sales can say (the stage's and recent campaigns' points): "
        "Text(255); longer is cut to 255 characters. None: not written.",
    )
    stage_dates: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Stage name → Date/Time field holding when the lead reached it, e.g. "
            "{mql: Funnel_MQL_Date__c}; each is mapped as stage_dates.<stage>."
        ),
    )

    @field_validator(
        "score", "fit_score", "engagement_score", "stage", "explanation", "talking_points"
    )
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return None if value is None else _api_name(value, "a field name")

    @field_validator("stage_dates")
    @classmethod
    def _date_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value.values():
            _api_name(name, "a field name")
        return value

    def by_canonical(self) -> dict[str, str]:
        """Canonical lead field (``score``, ``stage_dates.mql``…) → Salesforce field."""
        names = {k: v for k, v in self.model_dump(exclude={"stage_dates"}).items() if v}
        dates = {f"stage_dates.{stage}": name for stage, name in self.stage_dates.items()}
        return {**names, **dates}


class TaskSettings(BaseModel):
    """How significant activities are written as Tasks on the sales timeline."""

    model_config = ConfigDict(extra="forbid")

    ref_field: str = Field(
        default="Funnelsync_Ref__c",
        description="A Task custom field, Text(40), holding funnelsync's reference of the "
        "entry; it finds the Tasks a stopped run wrote, so none is written twice.",
    )
    task_type: str | None = Field(
        default="Other",
        description="The Task's Type picklist value; none: Type is left empty.",
    )
    task_types: dict[str, str] = Field(
        default_factory=dict,
        description="Type value per canonical activity type, over task_type "
        "(e.g. {webinar_attended: Meeting}).",
    )

    @field_validator("ref_field")
    @classmethod
    def _name(cls, value: str) -> str:
        return _api_name(value, "a field name")

    def type_of(self, activity_type: str) -> str | None:
        """The Type value of a Task for ``activity_type``."""
        return self.task_types.get(activity_type, self.task_type)


class RetrySettings(BaseModel):
    """Retries of reads (queries, describes, Bulk job polls, logins) that failed in passing:
    a 5xx, a 429, a reset connection or a timeout. Refusals (4xx) are never retried."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=5, ge=1, description="Tries per call, the first included.")
    max_wait_s: float = Field(default=30.0, gt=0, description="Longest wait between tries.")
    budget_s: float = Field(
        default=300.0, gt=0, description="Give up on a call after this long, tries included."
    )


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to log in: simple-salesforce's ``domain``, and the emulator's origin if local."""

    domain: str
    loopback: str | None = None


class SalesforceSettings(ConnectorSettings):
    """Settings of the ``salesforce`` connector."""

    auth: Auth = Field(description="How to log in: kind password, jwt or session.")
    domain: str = Field(
        default="login",
        description=(
            "Login domain: 'login' (production), 'test' (sandbox), a My Domain such as "
            "'acme.my' or https://acme.my.salesforce.com, or the local emulator's "
            "http://127.0.0.1:<port>."
        ),
    )
    api_version: str = Field(
        default="62.0", pattern=r"^\d{2}\.0$", description="REST API version, e.g. '62.0'."
    )
    daily_budget_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "Stop writing once funnelsync itself has made this share of the org's daily API "
            "allowance (read from Sforce-Limit-Info) in the last 24 hours; the run then "
            "ends as partial. Other integrations' calls do not count against it."
        ),
    )
    org_floor: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Also stop writing when the org has fewer than this many daily API calls left "
            "(all users and integrations together); unset: no floor."
        ),
    )
    timeout_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Connect and read timeout of every HTTP call (login, REST, Bulk API); a call "
            "that gets no answer in time fails and is retried like a 5xx."
        ),
    )
    retry: RetrySettings = Field(
        default_factory=RetrySettings, description="Retries of reads that failed in passing."
    )
    ca_bundle: Path | None = Field(
        default=None,
        description=(
            "PEM file of the certificate authorities to trust (a corporate proxy's CA); a "
            "relative path is relative to the workspace directory. Unset: "
            "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or SSL_CERT_FILE, else the system's bundle."
        ),
    )
    bulk_threshold: int = Field(
        default=2000,
        ge=1,
        description=(
            "Above this many records in one write, use Bulk API 2.0 instead of sObject "
            "Collections (200 records per call)."
        ),
    )
    bulk_poll_seconds: int = Field(
        default=5, ge=0, description="Seconds between checks of a running Bulk API job."
    )
    read_contacts: bool = Field(
        default=False,
        description=("Also read Contacts (not only those of converted leads) as people to sync."),
    )
    external_id_field: str | None = Field(
        default=None,
        description=(
            "A Lead External ID field (Text, Unique) holding funnelsync's key (the email). "
            "New leads are then upserted by it; without it they are matched by Email first."
        ),
    )
    create_defaults: dict[str, str] = Field(
        default_factory=lambda: {"LastName": "[not provided]", "Company": "[not provided]"},
        description=(
            "Values for required Lead fields when a new lead has none (Salesforce refuses a "
            "lead without LastName and Company)."
        ),
    )
    lock_retries: int = Field(
        default=3,
        ge=1,
        description="Tries for records Salesforce reports as locked (UNABLE_TO_LOCK_ROW).",
    )
    fields: FunnelFields = Field(
        default_factory=FunnelFields, description="Names of the custom fields funnelsync writes."
    )
    tasks: TaskSettings = Field(
        default_factory=TaskSettings,
        description="Significant activities written as Tasks (the contract's timeline).",
    )

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        _endpoint(value)
        return value

    @field_validator("external_id_field")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        return None if value is None else _api_name(value, "external_id_field")

    @field_validator("create_defaults")
    @classmethod
    def _defaults(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            _api_name(name, "create_defaults")
        return value

    @model_validator(mode="after")
    def _client_credentials_domain(self) -> SalesforceSettings:
        endpoint = _endpoint(self.domain)
        if (
            isinstance(self.auth, ClientCredentialsAuth)
            and endpoint.loopback is None
            and endpoint.domain in ("login", "test")
        ):
            raise ValueError(
                "auth kind client_credentials needs the org's My Domain as domain (such as "
                f"'acme.my'), not {self.domain!r}: Salesforce serves that flow there only"
            )
        return self

    def endpoint(self) -> Endpoint:
        """The login domain, and the local emulator's origin when it is one."""
        endpoint = _endpoint(self.domain)
        auth = self.auth
        if isinstance(auth, SessionAuth) and _loopback(auth.instance_url):
            return Endpoint(endpoint.domain, auth.instance_url)
        return endpoint


def _endpoint(value: str) -> Endpoint:
    text = value.strip()
    if "://" not in text:
        text = text.lower()
        if _MY_DOMAIN.fullmatch(text) and not text.endswith("salesforce.com"):
            return Endpoint(text)
        raise ValueError(f"{value!r}: {_DOMAIN_HELP}")
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme == "https" and host.endswith(".salesforce.com") and not parts.path.strip("/"):
        return Endpoint(host.removesuffix(".salesforce.com"))
    if parts.scheme in ("http", "https") and _loopback(text) and parts.port:
        return Endpoint("login", f"{parts.scheme}://{parts.netloc}")
    raise ValueError(f"{value!r}: {_DOMAIN_HELP}")
