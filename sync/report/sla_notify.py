"""Announcing new SLA breaches to plugins, once each, remembered in the state database.

Each announced breach is one row of the ``settings`` table, keyed ``sla_breach:<clock>``
(person, stage and entry time) with the time it was announced, so no schema change is
needed and a breach is looked up by its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from funnelsync.config import WorkspaceConfig
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.sync.report.sla import SlaClock, SlaStatus
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.store import StateStore

PREFIX = "sla_breach:"


def announced_breaches(store: StateStore) -> set[str]:
    """Keys of every breach already announced."""
    query = select(t.settings.c.key).where(t.settings.c.key.startswith(PREFIX, autoescape=True))
    with store.engine.connect() as connection:
        return {key.removeprefix(PREFIX) for key in connection.execute(query).scalars()}


def remember_breaches(store: StateStore, keys: Iterable[str], at: datetime) -> None:
    """Record ``keys`` as announced at ``at`` (in one transaction)."""
    store.save_settings({PREFIX + key: at.isoformat() for key in keys})


def announce_new_breaches(
    store: StateStore,
    plugins: FunnelPlugins,
    clocks: Sequence[SlaClock],
    as_of: datetime,
    config: WorkspaceConfig,
) -> list[SlaClock]:
    """Fire ``funnelsync_sla_breached`` for each breach still running and not yet announced.

    Returns the clocks announced. Plugins are told first and the breaches remembered after,
    so a crash in between announces them again next time (at least once, never lost).
    """
    known = announced_breaches(store)
    new = [
        clock
        for clock in clocks
        if clock.entered <= as_of
        and clock.running_at(as_of)
        and clock.status(as_of) is SlaStatus.breached
        and clock.key not in known
    ]
    if not new:
        return []
    leads = store.leads({clock.journey.person_id for clock in new})
    for clock in new:
        lead = leads.get(clock.journey.person_id)
        if lead is not None:
            plugins.sla_breached(lead, clock.rule, clock.entered, clock.due, config)
    remember_breaches(store, (clock.key for clock in new), as_of)
    return new
