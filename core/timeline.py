"""The contract's ``timeline``: which marketing activities sales sees in its own system.

A lead's *significant* activities (a demo request, a pricing-page visit, a webinar
attended…) are written to the systems that take timeline entries (a Salesforce Task, a
HubSpot note, a CSV ``activities_out`` row) once the lead is in a *sales-visible* stage:
by default every success-path stage from ``mql_stage`` on; a stage's own
``sales_visible: true|false`` decides for that stage (detours are not visible unless
they say so).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Timeline(BaseModel):
    """Marketing engagement on the sales timeline (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    significant: list[str] = Field(
        default_factory=list,
        description="Activity types written to the sales timeline; none: nothing is written.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="How a significant type reads on the timeline (default: demo_request → "
        "Demo request).",
    )
    lookback_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Only activities at most this many days old are written.",
    )

    @model_validator(mode="after")
    def _labels_name_significant_types(self) -> Timeline:
        unknown = sorted(set(self.labels) - set(self.significant))
        if unknown:
            raise ValueError(
                f"labels given for types that are not significant: {', '.join(unknown)}"
            )
        return self

    def label(self, activity_type: str) -> str:
        """How ``activity_type`` reads on the timeline."""
        return self.labels.get(activity_type) or activity_type.replace("_", " ").capitalize()
