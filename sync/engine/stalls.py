"""Stalled leads in a run: each lead's ``stalled`` flag, and telling plugins once per stall.

The flag is judged for every lead a run computes (every lead, on the first run of a day)
at the run's clock, by :func:`funnelsync.stalling.find_stall`. The stay in the current
stage starts where the report's journeys start it (stage dates and stage history
together), so a lead back in a stage it left long ago is judged from its return.

Each person who stalled has one row in the ``stalls`` table
(:mod:`funnelsync.sync.state.stalls`): their latest stall and when plugins were told. A
new stall's row is written in the run's own commit, with the flag. After the commit each
untold stall is marked told, in a transaction of its own, and only then announced: a
process killed in between never announces a stall twice (at most that one announcement is
lost).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select

from funnelsync.config import WorkspaceConfig
from funnelsync.contract import FunnelContract
from funnelsync.engagement_rows import EngagementRows
from funnelsync.models import Lead, as_moment
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.scoring import Engagement
from funnelsync.stalling import Stall, find_stall, last_engagement, stall_rules
from funnelsync.sync.report.journeys import build_journey, stage_layout
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.stalls import (
    GONE,
    StallRecord,
    mark_told,
    stall_records,
    untold_stalls,
)
from funnelsync.sync.state.store import StateStore

_CHUNK = 500


def _moves(store: StateStore, person_ids: Sequence[int]) -> dict[int, list[tuple[str, datetime]]]:
    moves: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    history = t.stage_history.c
    with store.engine.connect() as connection:
        for start in range(0, len(person_ids), _CHUNK):
            query = select(history.person_id, history.to_stage, history.at).where(
                history.person_id.in_(person_ids[start : start + _CHUNK])
            )
            for person_id, stage, at in connection.execute(query):
                moment = as_moment(at)
                if moment is not None:
                    moves[person_id].append((stage, moment))
    return moves


class StallWatch:
    """Judges the leads of one run and keeps the stalls it found."""

    def __init__(self, contract: FunnelContract, store: StateStore, as_of: datetime) -> None:
        self.contract = contract
        self.rules = stall_rules(contract)
        self.store = store
        self.as_of = as_of
        self._candidates: dict[int, tuple[bool, datetime | None]] = {}
        self.stalls: dict[int, Stall] = {}

    def note(
        self, person_id: int, lead: Lead, moved: bool, activities: Sequence[Engagement]
    ) -> None:
        """Remember what judging ``lead`` needs: whether it moved now, its last activity."""
        if self.rules:
            if isinstance(activities, EngagementRows) and activities.aware:
                engaged = activities.latest(self.as_of)
            else:
                engaged = last_engagement((a.occurred_at for a in activities), self.as_of)
            self._candidates[person_id] = (moved, engaged)

    def flag(self, leads: Mapping[int, Lead]) -> None:
        """Set ``stalled`` on every lead noted since the last call (``None`` when the contract
        has no rule)."""
        if not self.rules:
            return
        maybe: list[int] = []
        for person_id, (moved, engaged) in self._candidates.items():
            lead = leads[person_id]
            first = self.as_of if moved else lead.stage_dates.get(lead.stage or "")
            # The current stay began at or after the first entry: not stalled from the
            # first entry means not stalled at all, and the history need not be read.
            if find_stall(self.rules, lead.stage, first, engaged, self.as_of) is None:
                lead.stalled = False
            elif moved:
                self._found(person_id, lead, first, engaged)
            else:
                maybe.append(person_id)
        moves = _moves(self.store, maybe)
        layout = stage_layout(self.contract)
        for person_id in maybe:
            lead = leads[person_id]
            journey = build_journey(
                layout, person_id, "", lead.stage, lead.stage_dates, moves.get(person_id, ()), {}
            )
            entered = journey.stays[-1].entered if journey is not None else None
            self._found(person_id, lead, entered, self._candidates[person_id][1])
        self._candidates.clear()

    def _found(
        self, person_id: int, lead: Lead, entered: datetime | None, engaged: datetime | None
    ) -> None:
        stall = find_stall(self.rules, lead.stage, entered, engaged, self.as_of)
        lead.stalled = stall is not None
        if stall is not None:
            self.stalls[person_id] = stall

    def new_stalls(self) -> list[StallRecord]:
        """Rows to commit with the run: the stalls found that were not stored yet."""
        if not self.stalls:
            return []
        stored = stall_records(self.store.engine, self.stalls)
        return [
            StallRecord(person_id, stall, None)
            for person_id, stall in self.stalls.items()
            if (known := stored.get(person_id)) is None or not known.same_stall(stall)
        ]


def announce_stalls(
    store: StateStore, plugins: FunnelPlugins, config: WorkspaceConfig, as_of: datetime
) -> int:
    """Tell plugins about every stall not told yet (``funnelsync_lead_stalled``).

    Each is marked told first, in its own transaction, then announced. A stall whose lead
    is no longer stalled in that stage is marked ``gone`` instead. Returns how many were told.
    """
    untold = untold_stalls(store.engine)
    if not untold:
        return 0
    leads = store.leads(record.person_id for record in untold)
    told = 0
    for record in untold:
        lead = leads.get(record.person_id)
        current = lead is not None and lead.stalled is True and lead.stage == record.stall.stage
        mark = as_of.isoformat() if current else GONE
        mark_told(store.engine, record.person_id, mark)
        if current and lead is not None:
            plugins.lead_stalled(
                lead, record.stall.stage, record.stall.days_in_stage(as_of), config
            )
            told += 1
    return told
