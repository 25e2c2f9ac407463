"""Settings of a HubSpot connection."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from funnelsync.connector import ConnectorSettings

Engagement = Literal["calls", "meetings", "emails", "notes"]


def _all_engagements() -> list[Engagement]:
    return ["calls", "meetings", "emails", "notes"]


class RateLimitSettings(BaseModel):
    """How fast the connector calls HubSpot; by default it follows HubSpot's headers."""

    model_config = ConfigDict(extra="forbid")

    calls_per_interval: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Most calls per interval. Unset: start at 95 per 10 s (under the lowest tier's "
            "100) and follow X-HubSpot-RateLimit-Max, keeping 5% headroom."
        ),
    )
    interval_s: float = Field(default=10.0, gt=0, description="The window of calls_per_interval.")
    search_per_second: int = Field(
        default=4, ge=1, description="Most search calls per second (HubSpot allows 5)."
    )


class RetrySettings(BaseModel):
    """Retries of passing failures (429, 5xx, 423, connection errors)."""

    model_config = ConfigDict(extra="forbid")

    attempts: int = Field(default=5, ge=1, description="Tries per call, the first included.")
    max_wait_s: float = Field(default=30.0, gt=0, description="Longest wait between tries.")
    budget_s: float = Field(default=120.0, gt=0, description="Give up on a call after this long.")


class HubSpotSettings(ConnectorSettings):
    """Settings of the ``hubspot`` connector."""

    access_token_env: str = Field(
        default="HUBSPOT_ACCESS_TOKEN",
        min_length=1,
        description=(
            "Name of the environment variable holding the private-app access token. The "
            "token itself never goes in the config."
        ),
    )
    base_url: str = Field(
        default="https://api.hubapi.com",
        pattern=r"^https?://",
        description="HubSpot API address; point it at a local emulator for tests.",
    )
    daily_budget_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "Stop the run (as partial) once the portal has used this share of its daily "
            "API calls, as HubSpot's X-HubSpot-RateLimit-Daily headers report them."
        ),
    )
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    timeout_s: float = Field(
        default=30.0,
        gt=0,
        description=(
            "Most seconds one HTTP call may take, connecting and reading together; a call "
            "that takes longer is dropped and retried like a 5xx (see retry)."
        ),
    )
    ca_bundle: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "File of CA certificates (PEM) to trust for HTTPS, e.g. a corporate proxy's. "
            "Unset: REQUESTS_CA_BUNDLE, then SSL_CERT_FILE from the environment, then the "
            "system's store. A relative path is relative to the workspace."
        ),
    )
    property_group: str = Field(
        default="funnelsync",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Property group that create_fields puts new custom properties in.",
    )
    extra_properties: list[str] = Field(
        default_factory=list,
        description=(
            "Contact properties to read besides the default mapping's and those in "
            "property_group: list any property a connection's mapping adds."
        ),
    )
    engagements: list[Engagement] = Field(
        default_factory=_all_engagements,
        description="Engagement objects read as activities.",
    )
    note_ref_property: str = Field(
        default="funnelsync_ref",
        min_length=1,
        description=(
            "A note property (single-line text) holding funnelsync's reference of each "
            "significant activity it writes as a note; it finds the notes a stopped run "
            "wrote, so none is written twice."
        ),
    )
    contact_activities: bool = Field(
        default=True,
        description=(
            "Also read each contact's last form submission and last marketing email "
            "open and click (contact properties) as activities."
        ),
    )
    search_settle_s: float = Field(
        default=30.0,
        ge=0,
        description=(
            "Only read records changed at least this long ago: HubSpot's search index "
            "lags writes by up to about 30 s, and the cursor must not pass what it has "
            "not indexed yet."
        ),
    )
    search_cap: int = Field(
        default=10_000,
        ge=200,
        description="HubSpot's limit of results per search query; lower it only for emulators.",
    )
