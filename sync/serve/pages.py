"""What each page shows, read from a workspace's state store (no HTTP here)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from funnelsync.models import Lead, key_token
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.run_report import RunReport
from funnelsync.sync.explaining import Explanation, explain_person, person_token
from funnelsync.sync.report.build import DEFAULT_SEGMENTS, build_report
from funnelsync.sync.report.data import load_funnel_data
from funnelsync.sync.report.figures import lead_facts
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.report.json_document import report_document
from funnelsync.sync.report.period import Period
from funnelsync.sync.report.segments import CAMPAIGN, segments_of
from funnelsync.sync.report.sla import (
    SALES_TOUCH_TYPES,
    Urgency,
    Waiting,
    sla_clocks,
    waiting_leads,
)
from funnelsync.sync.scheduler import next_run
from funnelsync.sync.serve.errors_view import ErrorGroup, group_errors
from funnelsync.sync.serve.journey_cache import JourneyCache
from funnelsync.sync.simulation import Simulation, apply_settings, simulate
from funnelsync.sync.state.store import AuditEntry, StateStore
from funnelsync.sync.state.timeline import RefusedEntry, TimelineStore
from funnelsync.sync.workspace.loading import Workspace


@dataclass(frozen=True, slots=True)
class Health:
    """One workspace's recent runs, next scheduled run, quarantined records by reason and
    the timeline entries systems refused."""

    runs: list[RunReport]
    next_run: datetime | None
    groups: list[ErrorGroup]
    refused: list[RefusedEntry]


def health(workspace: Workspace, store: StateStore, now: datetime) -> Health:
    """The health page's figures for one workspace."""
    schedule = workspace.config.schedule
    upcoming = next_run(schedule.sync, now) if schedule else None
    return Health(
        store.recent_runs(10),
        upcoming,
        group_errors(store.quarantine()),
        TimelineStore(store.engine).refused(),
    )


@dataclass(frozen=True, slots=True)
class LeadMatch:
    """A person a lead search found, and how the search named them."""

    person_id: int
    lead: Lead
    named_by: str
    """The identity token (``key:value`` or email) or record id that matched."""
    token: str
    """An identity token naming only this person (for a link to their page)."""


def find_leads(workspace: Workspace, store: StateStore, query: str) -> list[LeadMatch]:
    """The persons ``query`` names, each once, by indexed lookups: an email or a
    ``key:value`` identity token as given; a bare value under every identity key of the
    workspace (``123`` finds ``prospect_id:123``); a linked record's id in any connection."""
    text = query.strip()
    tokens = []
    with suppress(ValueError):  # not an email, nor key:value
        tokens.append(person_token(text))
    keys = [key for key in workspace.config.identity.keys if key != "email"]
    tokens += [token for key in keys if (token := key_token(key, text)) is not None]
    found: dict[int, LeadMatch] = {}
    for token in dict.fromkeys(tokens):
        hit = store.person_by_key(token)
        if hit is not None and hit[0] not in found:
            found[hit[0]] = LeadMatch(hit[0], hit[1], token, hit[1].email or token)
    person = store.person_of_record(text, [c.name for c in workspace.connections])
    if person is not None and person not in found:
        lead = store.leads([person]).get(person)
        if lead is not None:
            token = lead.email or next(iter(store.person_keys(person)), text)
            found[person] = LeadMatch(person, lead, text, token)
    return list(found.values())


@dataclass(frozen=True, slots=True)
class LeadPage:
    """Everything about one lead: explanation, history, links and audit."""

    person_id: int
    explanation: Explanation
    links: list[tuple[str, str]]
    audit: list[AuditEntry]


def lead_page(
    workspace: Workspace, store: StateStore, plugins: FunnelPlugins, found: LeadMatch, now: datetime
) -> LeadPage:
    """The page of a person :func:`find_leads` found (their history is read once)."""
    audit, history = store.history(found.person_id)
    explanation = explain_person(
        store, workspace.contract, found.person_id, found.lead, history, now, plugins.rule_kinds()
    )
    return LeadPage(found.person_id, explanation, store.records_of(found.person_id), audit)


HEADLINE_METRICS = ("new_leads", "mqls", "sqls", "won", "lost")
"""Headline figures the funnel page can list the leads of (see :func:`funnel_leads`)."""

_FACT_OF = {"new_leads": "new", "mqls": "mql", "sqls": "sql", "won": "won", "lost": "lost"}


def funnel_document(
    workspace: Workspace, store: StateStore, now: datetime, period: Period, by: str | None
) -> dict[str, Any]:
    """The shared funnel report for ``period``, as `report --json` prints it."""
    segments = (by,) if by else DEFAULT_SEGMENTS
    fields = [field for field in segments if field != CAMPAIGN]
    data = load_funnel_data(store, workspace.contract, fields, SALES_TOUCH_TYPES)
    return report_document(build_report(workspace.contract, data, period, segments, now))


def segment_journeys(
    workspace: Workspace,
    store: StateStore,
    cache: JourneyCache,
    field: str,
    segment: str,
    period: Period,
) -> list[Journey]:
    """The journeys of the leads in one segment of a breakdown by ``field``, grouped as
    the report groups them for ``period`` (see :func:`segments_of`); the funnel data
    comes from ``cache``."""
    by_campaign = field == CAMPAIGN
    fields = () if by_campaign else (field,)
    data = cache.data(workspace, store, fields, campaigns=by_campaign)
    return [
        journey
        for journey in data.journeys
        if segment in segments_of(journey, field, data.campaign_touches, period.end)
    ]


def funnel_leads(
    workspace: Workspace,
    journeys: Sequence[Journey],
    period: Period,
    metric: str,
    stage: str | None,
) -> list[str]:
    """The emails behind one figure of the funnel page, by the report's own rules, among
    the workspace's ``journeys`` (see :class:`~funnelsync.sync.serve.journey_cache.JourneyCache`).

    ``metric`` is a headline figure (:data:`HEADLINE_METRICS`), ``reached`` or
    ``converted`` with a success-path ``stage``, or ``inflow`` / ``outflow`` with any
    ``stage`` (the stays behind the stage's median days are its outflow); raises
    ``KeyError`` for anything else.
    """
    contract = workspace.contract
    index = contract.path_index(stage) if stage else None
    if metric in _FACT_OF:
        facts = lead_facts(contract, journeys, period)
        wanted = _FACT_OF[metric]
        chosen = [j for j, f in zip(journeys, facts, strict=True) if getattr(f, wanted)]
    elif metric == "reached" and index is not None:
        chosen = [j for j in journeys if _reached_in(j, index, period)]
    elif metric == "converted" and index is not None and index + 1 < len(contract.stages):
        chosen = [
            j
            for j in journeys
            if _reached_in(j, index, period) and j.reached(index + 1, period.end) is not None
        ]
    elif metric in _STAY_EDGE and stage in {s.name for s in contract.all_stages}:
        return sorted(
            journey.email
            for journey in journeys
            for stay in journey.stays
            if stay.stage == stage
            and (when := getattr(stay, _STAY_EDGE[metric])) is not None
            and period.start <= when < period.end
        )
    else:
        raise KeyError(metric)
    return sorted(journey.email for journey in chosen)


_STAY_EDGE = {"inflow": "entered", "outflow": "left"}
"""Stay figures: a stay counts when this edge of it falls in the period (one entry per
stay, so a lead that entered twice is listed twice, as the figure counts it)."""


def _reached_in(journey: Journey, index: int, period: Period) -> bool:
    when = journey.reach[index]
    return when is not None and period.start <= when < period.end


def sla_waiting(workspace: Workspace, store: StateStore, now: datetime) -> list[Waiting]:
    """Leads past due or due soon on a follow-up SLA, most urgent first."""
    data = load_funnel_data(store, workspace.contract, (), SALES_TOUCH_TYPES, campaigns=False)
    clocks = sla_clocks(workspace.contract, data.journeys, data.sales_touches)
    return [w for w in waiting_leads(clocks, now, None) if w.urgency is not Urgency.on_track]


def what_if(
    workspace: Workspace, store: StateStore, plugins: FunnelPlugins, settings: list[str]
) -> Simulation:
    """The stored funnel replayed under the contract changed by ``settings`` (KEY=VALUE)."""
    changed = apply_settings(workspace.contract, settings)
    return simulate(store, workspace.contract, changed, datetime.now(UTC), plugins.rule_kinds())
