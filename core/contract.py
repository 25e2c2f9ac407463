"""The funnel contract: the stages, scoring, SLA and field ownership both teams agree on."""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from funnelsync.campaigns import Campaign, TalkingPoint
from funnelsync.channels import OwnerChannel
from funnelsync.models import COMPUTED_FIELDS, DESCRIPTIVE_FIELDS, Lead, as_moment
from funnelsync.timeline import Timeline

StageName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Scalar = str | int | float | bool
Bound = float | date | datetime
"""A ``min``/``max`` bound: a number, or a date or timestamp for date attributes."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- custom attributes -----------------------------------------------------------------


class AttributeType(StrEnum):
    """The type of a custom attribute, which decides how its values are read and checked."""

    text = "text"
    integer = "integer"
    decimal = "decimal"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"
    picklist = "picklist"
    multi_picklist = "multi_picklist"


_PICKLISTS = (AttributeType.picklist, AttributeType.multi_picklist)


class Attribute(_Strict):
    """One of the organisation's own lead fields, declared in the contract's ``attributes``."""

    type: AttributeType
    values: list[str] | None = Field(
        default=None, description="The allowed values of a picklist or multi_picklist."
    )
    label: str | None = Field(default=None, description="How the attribute reads in reports.")

    @model_validator(mode="after")
    def _values_for_picklists(self) -> Attribute:
        if self.type in _PICKLISTS and not self.values:
            raise ValueError(f"a {self.type.value} attribute needs its values: [...]")
        if self.type not in _PICKLISTS and self.values is not None:
            raise ValueError(f"values: is only for picklist and multi_picklist, not {self.type}")
        return self


AttributeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]

_declared_attributes: ContextVar[frozenset[str]] = ContextVar(
    "declared_attributes", default=frozenset()
)
"""Attribute names of the contract being validated, so conditions can name them."""


def known_field_names(attributes: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Every lead field a condition, mapping or identity key may name."""
    builtin = [name for name in Lead.model_fields if name not in ("stage_dates", "attributes")]
    return sorted({*builtin, *attributes})


class FieldCondition(_Strict):
    """A test on one lead field; exactly one operator is given.

    ``equals``/``in`` compare case-insensitively for text; ``matches`` is a regular
    expression searched in the text; ``min``/``max`` bound a number (either or both);
    ``present: true`` means the field has a value, ``present: false`` that it has none.
    ``kind`` names a rule kind a plugin registered, with its ``args``.
    """

    field: str | None = None
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    matches: str | None = None
    min: Bound | None = None
    max: Bound | None = None
    present: bool | None = None
    kind: str | None = Field(default=None, description="A rule kind registered by a plugin.")
    args: dict[str, Any] = Field(default_factory=dict, description="Arguments of ``kind``.")

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str | None) -> str | None:
        if value is None:
            return value
        known = known_field_names(_declared_attributes.get())
        if value not in known:
            raise ValueError(
                f"unknown lead field {value!r}; expected one of: {', '.join(known)} "
                "(custom fields are declared under attributes:)"
            )
        return value

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_operator(self) -> FieldCondition:
        given = [
            name
            for name, present in (
                ("equals", self.equals is not None),
                ("in", self.in_ is not None),
                ("matches", self.matches is not None),
                ("min/max", self.min is not None or self.max is not None),
                ("present", self.present is not None),
                ("kind", self.kind is not None),
            )
            if present
        ]
        if len(given) != 1:
            raise ValueError(
                "a condition needs exactly one of equals, in, matches, min/max, present, kind"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.kind is None and self.field is None:
            raise ValueError("a condition needs a field (only plugin rule kinds may omit it)")
        if self.args and self.kind is None:
            raise ValueError("args are only for plugin rule kinds (kind: …)")
        if self.min is not None and self.max is not None:
            if isinstance(self.min, date) != isinstance(self.max, date):
                raise ValueError("min and max must both be numbers or both be dates")
            if _above(self.min, self.max):
                raise ValueError(
                    f"min {_shown(self.min)} is above max {_shown(self.max)}: nothing can match"
                )
        return self


def _shown(bound: Bound) -> str:
    return f"{bound:g}" if isinstance(bound, float) else bound.isoformat()


def _above(low: Bound, high: Bound) -> bool:
    if isinstance(low, date) and isinstance(high, date):
        return bool(as_moment(low) > as_moment(high))  # type: ignore[operator]  # both dates
    return bool(low > high)  # type: ignore[operator]  # both numbers (checked by the caller)


class EntryRule(_Strict):
    """When a lead qualifies for a stage: score thresholds and field conditions, all required.

    An empty rule means every lead qualifies.
    """

    fit_min: int | None = None
    engagement_min: int | None = None
    score_min: int | None = None
    when: list[FieldCondition] = Field(default_factory=list)


class Team(StrEnum):
    """The team that owns a lead while it is in a stage."""

    marketing = "marketing"
    sales = "sales"


class Stage(_Strict):
    """One stage of the funnel, on the success path or a detour."""

    name: StageName
    label: str | None = None
    team: Team
    entry: EntryRule | None = Field(
        default=None, description="Rule to enter this stage; no rule means never entered by rule."
    )
    values: dict[str, str] = Field(
        default_factory=dict,
        description="The value this stage has in each connection, keyed by connection name.",
    )
    talking_points: list[TalkingPoint] = Field(
        default_factory=list, description="What sales can say to a lead in this stage."
    )
    handoff: bool | None = Field(
        default=None,
        description="Tell the lead's owner when a lead enters this stage (default: only for "
        "the mql_stage).",
    )
    sales_visible: bool | None = Field(
        default=None,
        description="Whether leads here get their significant activities on the sales "
        "timeline (default: success-path stages from mql_stage on).",
    )
    stalled_after_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="A lead here this many days without moving or engaging is stalled.",
    )

    @property
    def display_name(self) -> str:
        """Human label, defaulting to the upper-cased name for short names (MQL, SQL)."""
        if self.label:
            return self.label
        return self.name.upper() if len(self.name) <= 3 else self.name.replace("_", " ").title()


class FitRule(FieldCondition):
    """Points given when a lead field meets the condition."""

    points: int
    label: str | None = Field(default=None, description="How the rule reads in explanations.")


class FitScoring(_Strict):
    """Fit: how well the person matches who we sell to."""

    rules: list[FitRule] = Field(default_factory=list)
    cap: int | None = Field(default=None, ge=0)


class EngagementOverride(_Strict):
    """Points for one activity type when it concerns a given campaign or asset."""

    type: str = Field(min_length=1)
    campaign: str | None = None
    asset: str | None = None
    points: int

    @model_validator(mode="after")
    def _names_a_campaign_or_asset(self) -> EngagementOverride:
        if self.campaign is None and self.asset is None:
            raise ValueError("an override names a campaign, an asset or both")
        return self


class WindowCap(_Strict):
    """At most ``points`` from one activity type in each window of ``days`` days."""

    days: int = Field(ge=1, le=36_500)
    points: int = Field(ge=0)


class EngagementScoring(_Strict):
    """Engagement: what the person did, with caps per activity type and decay over time."""

    points: dict[str, int] = Field(default_factory=dict)
    overrides: list[EngagementOverride] = Field(
        default_factory=list, description="Points by campaign or asset; the first match wins."
    )
    caps: dict[str, int] = Field(default_factory=dict)
    window_caps: dict[str, WindowCap] = Field(default_factory=dict)
    half_life_days: float | None = Field(default=None, gt=0, le=36_500)
    cap: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _caps_name_scored_types(self) -> EngagementScoring:
        scored = set(self.points) | {override.type for override in self.overrides}
        unknown = sorted((set(self.caps) | set(self.window_caps)) - scored)
        if unknown:
            raise ValueError(f"caps given for activity types without points: {', '.join(unknown)}")
        return self


class Scoring(_Strict):
    """Both halves of the score; the total is fit + engagement."""

    fit: FitScoring = Field(default_factory=FitScoring)
    engagement: EngagementScoring = Field(default_factory=EngagementScoring)


class SlaRule(_Strict):
    """A follow-up promise: leads entering ``stage`` leave it (or are touched) within a time."""

    stage: StageName
    within_hours: float = Field(gt=0, le=87_600, description="At most ten years.")
    description: str | None = None


class OwnershipKind(StrEnum):
    """How a field's value is chosen when systems disagree."""

    prefer = "prefer"
    always = "always"
    two_way = "two_way"
    set_if_empty = "set_if_empty"
    dont_sync = "dont_sync"


_OWNERSHIP_PHRASES: dict[str, tuple[OwnershipKind, bool]] = {
    # phrase -> (kind, whether it names a system)
    r"prefer (\S+) unless blank": (OwnershipKind.prefer, True),
    r"prefer (\S+)": (OwnershipKind.prefer, True),
    r"always (\S+)": (OwnershipKind.always, True),
    r"two[- ]way": (OwnershipKind.two_way, False),
    r"set if empty": (OwnershipKind.set_if_empty, False),
    r"don['\u2019]?t sync": (OwnershipKind.dont_sync, False),
}


class OwnershipRule(_Strict):
    """Which system's value of a field wins.

    Written either as a mapping (``{rule: prefer, system: sales}``) or as a phrase:
    ``prefer sales unless blank``, ``always sales``, ``two-way``, ``set if empty``,
    ``don't sync``.
    """

    rule: OwnershipKind
    system: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_phrase(cls, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        # Keywords are case-insensitive; the system name keeps its case, as in the
        # mapping form, because it is compared with connection names.
        phrase = " ".join(data.split())
        for pattern, (kind, names_system) in _OWNERSHIP_PHRASES.items():
            found = re.fullmatch(pattern, phrase, flags=re.IGNORECASE)
            if found:
                return {"rule": kind, "system": found.group(1) if names_system else None}
        raise ValueError(
            f"unknown ownership rule {data!r}; expected 'prefer <system> unless blank', "
            "'always <system>', 'two-way', 'set if empty' or \"don't sync\""
        )

    @model_validator(mode="after")
    def _system_when_needed(self) -> OwnershipRule:
        needs_system = self.rule in (OwnershipKind.prefer, OwnershipKind.always)
        if needs_system and not self.system:
            raise ValueError(f"rule {self.rule.value!r} needs a system")
        if not needs_system and self.system:
            raise ValueError(f"rule {self.rule.value!r} takes no system")
        return self


class TargetPeriod(StrEnum):
    """The calendar period a shared target counts over."""

    month = "month"
    quarter = "quarter"


class Target(_Strict):
    """A number both teams signed up to: leads reaching ``stage`` per calendar period."""

    stage: StageName = Field(description="A stage of the contract (success path or detour).")
    period: TargetPeriod = Field(default=TargetPeriod.month, description="month or quarter (UTC).")
    count: int = Field(ge=1, le=100_000_000, description="Leads reaching the stage per period.")


class FunnelContract(_Strict):
    """The versioned agreement between marketing and sales that funnelsync enforces."""

    version: str = Field(min_length=1, description="The contract's own version, e.g. a date.")
    name: str | None = None
    attributes: dict[AttributeName, Attribute] = Field(
        default_factory=dict,
        description="The organisation's own lead fields (name → type), usable like built-in "
        "fields in mappings, rules, ownership and reports.",
    )
    stages: list[Stage] = Field(min_length=1, description="The success path, in order.")
    detours: list[Stage] = Field(
        default_factory=list, description="Stages off the success path: recycled, disqualified…"
    )
    scoring: Scoring = Field(default_factory=Scoring)
    mql_stage: StageName = Field(
        default="mql",
        description="The success-path stage that counts as a marketing-qualified lead.",
    )
    sql_stage: StageName | None = Field(
        default=None, description="The success-path stage that counts as a sales-qualified lead."
    )
    sla: list[SlaRule] = Field(default_factory=list)
    targets: list[Target] = Field(
        default_factory=list,
        description="Shared targets: leads to reach a stage per month or quarter.",
    )
    campaigns: list[Campaign] = Field(
        default_factory=list, description="Campaigns with their dates and talking points."
    )
    owners: dict[str, OwnerChannel] = Field(
        default_factory=dict,
        description="Hand-off channel per value of the lead's owner field.",
    )
    default_channel: OwnerChannel | None = Field(
        default=None, description="Hand-off channel for owners the owners map does not name."
    )
    ownership: dict[str, OwnershipRule] = Field(default_factory=dict)
    timeline: Timeline = Field(
        default_factory=Timeline,
        description="Significant marketing activities written to the sales timeline.",
    )
    default_ownership: OwnershipRule = Field(
        default_factory=lambda: OwnershipRule(rule=OwnershipKind.two_way),
        description="Rule for fields the ownership table does not name.",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _with_attributes(
        cls, data: Any, handler: ModelWrapValidatorHandler[FunnelContract]
    ) -> FunnelContract:
        """Validate with this contract's attribute names known to its conditions."""
        declared = data.get("attributes") if isinstance(data, dict) else None
        names = frozenset(declared) if isinstance(declared, dict) else frozenset()
        token = _declared_attributes.set(names)
        try:
            return handler(data)
        finally:
            _declared_attributes.reset(token)

    @model_validator(mode="after")
    def _targets_name_stages(self) -> FunnelContract:
        names = {stage.name for stage in self.all_stages}
        for target in self.targets:
            if target.stage not in names:
                raise ValueError(
                    f"targets: {target.stage!r} is not a stage of this contract "
                    f"(have: {', '.join(sorted(names))})"
                )
        return self

    @model_validator(mode="after")
    def _campaigns_distinct(self) -> FunnelContract:
        seen: set[str] = set()
        for campaign in self.campaigns:
            names = {campaign.id.casefold(), (campaign.name or campaign.id).casefold()}
            repeated = sorted(names & seen)
            if repeated:
                raise ValueError(f"campaigns: {repeated[0]!r} names two campaigns")
            seen |= names
        return self

    @model_validator(mode="after")
    def _consistent(self) -> FunnelContract:
        names = [stage.name for stage in self.all_stages]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"stage names must be unique; repeated: {', '.join(duplicates)}")
        for role in ("mql_stage", "sql_stage"):
            name = getattr(self, role)
            if name is not None and self.path_index(name) is None:
                raise ValueError(f"{role} {name!r} is not a stage of the success path")
        for rule in self.sla:
            if rule.stage not in names:
                raise ValueError(
                    f"sla names stage {rule.stage!r}, which is not in stages or detours"
                )
        clashes = sorted(set(self.attributes) & set(Lead.model_fields))
        if clashes:
            raise ValueError(
                f"attributes {', '.join(clashes)} have the names of built-in lead fields"
            )
        for field_name in self.ownership:
            if (
                field_name not in DESCRIPTIVE_FIELDS
                and field_name != "email"
                and field_name not in self.attributes
            ):
                raise ValueError(
                    f"ownership names {field_name!r}, which is not a descriptive lead field "
                    "or an attribute "
                    f"(computed fields {', '.join(COMPUTED_FIELDS)} belong to the contract)"
                )
        return self

    @property
    def all_stages(self) -> list[Stage]:
        """Success-path stages in order, then detours."""
        return [*self.stages, *self.detours]

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; ``KeyError`` if the contract has none."""
        for stage in self.all_stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def path_index(self, name: str) -> int | None:
        """Position of ``name`` on the success path, or ``None`` for a detour or unknown."""
        for index, stage in enumerate(self.stages):
            if stage.name == name:
                return index
        return None

    def handoff_stages(self) -> set[str]:
        """Stages whose entry is handed off to the lead's owner."""
        return {
            stage.name
            for stage in self.all_stages
            if stage.handoff or (stage.handoff is None and stage.name == self.mql_stage)
        }

    def sales_visible(self, name: str | None) -> bool:
        """Whether a lead in stage ``name`` has its significant activities on the sales
        timeline: the stage's ``sales_visible``, else whether it is on the success path at
        or after ``mql_stage``."""
        if name is None:
            return False
        try:
            declared = self.stage(name).sales_visible
        except KeyError:
            return False
        if declared is not None:
            return declared
        index, mql = self.path_index(name), self.path_index(self.mql_stage)
        return index is not None and mql is not None and index >= mql

    def ownership_for(self, field_name: str) -> OwnershipRule:
        """The ownership rule that applies to ``field_name``."""
        return self.ownership.get(field_name, self.default_ownership)

    def problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Nonsense the schema allows, each with the key path it concerns: a stage threshold
        no lead can reach (above the fit cap and every fit rule's points together, or the
        engagement cap), and ``sql_stage`` before ``mql_stage`` on the success path."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        mql, sql = self.path_index(self.mql_stage), self.path_index(self.sql_stage or "")
        if mql is not None and sql is not None and sql < mql:
            found.append(
                (("sql_stage",), f"{self.sql_stage!r} comes before mql_stage {self.mql_stage!r}")
            )
        fit = self.scoring.fit
        fit_max = sum(max(rule.points, 0) for rule in fit.rules)
        if fit.cap is not None:
            fit_max = min(fit_max, fit.cap)
        engagement_max = self.scoring.engagement.cap
        for group, stages in (("stages", self.stages), ("detours", self.detours)):
            for index, stage in enumerate(stages):
                entry = stage.entry
                if entry is None:
                    continue
                limits = (
                    ("fit_min", entry.fit_min, fit_max, "the most fit points a lead can get"),
                    ("engagement_min", entry.engagement_min, engagement_max, "the engagement cap"),
                    (
                        "score_min",
                        entry.score_min,
                        None if engagement_max is None else fit_max + engagement_max,
                        "the most fit and engagement points together",
                    ),
                )
                for key, minimum, most, what in limits:
                    if minimum is not None and most is not None and minimum > most:
                        found.append(
                            (
                                (group, index, "entry", key),
                                f"{minimum} is above {what} ({most}): no lead can reach it",
                            )
                        )
        return found
