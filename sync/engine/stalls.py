"""Stalled leads in a run: each lead's ``stalled`` flag, and telling plugins once per stall.

The flag is judged for every lead a run computes (every lead, on the first run of a day)
at the run's clock, by :func:`funnelsync.stalling.find_stall`. The stay in the current
stage starts where the report's journeys start it (stage dates and stage history
together), so a lead back in a stage it left long ago is judged from its return.

Each person who stalled has one row in the ``settings`` table, keyed ``stall:<person>``,
holding their latest stall as JSON (stage, entered, last engagement, the rule's days and
``told``: when plugins were told, ``null`` until then). A new stall's row is written in the
run's own commit, with the flag. After the commit each untold stall is marked told, in a
transaction of its own, and only then announced: a process killed in between never
announces a stall twice (at most that one announcement is lost).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from funnelsync.config import WorkspaceConfig
from funnelsync.contract import FunnelContract
from funnelsync.models import Lead, as_moment
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.scoring import Engagement
from funnelsync.stalling import Stall, find_stall, last_engagement, stall_rules
from funnelsync.sync.report.journeys import build_journey, stage_layout
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.store import StateStore

PREFIX = "stall:"
_CHUNK = 500
GONE = "gone"
"""``told`` of a stall that ended before plugins were told: it is not told any more."""


@dataclass(frozen=True, slots=True)
class StallRecord:
    """A person's latest stall as stored, and whether plugins were told."""

    person_id: int
    stall: Stall
    told: str | None

    def same_stall(self, other: Stall) -> bool:
        """Whether ``other`` is this stall still going (same stage, same quiet spell)."""
        return self.stall.stage == other.stage and self.stall.quiet_since == other.quiet_since

    def value(self) -> str:
        """The row's JSON text."""
        stall = self.stall
        engaged = stall.last_engagement
        return json.dumps(
            {
                "stage": stall.stage,
                "entered": stall.entered.isoformat(),
                "last_engagement": engaged.isoformat() if engaged else None,
                "after_days": stall.after_days,
                "told": self.told,
            }
        )


def _record(key: str, value: str) -> StallRecord | None:
    try:
        data = json.loads(value)
        entered = as_moment(data["entered"])
        assert entered is not None
        stall = Stall(
            data["stage"], entered, as_moment(data["last_engagement"]), int(data["after_days"])
        )
        return StallRecord(int(key.removeprefix(PREFIX)), stall, data["told"])
    except (ValueError, KeyError, TypeError, AssertionError):
        return None  # a row this version cannot read is treated as no stall


def stall_records(store: StateStore, person_ids: Iterable[int]) -> dict[int, StallRecord]:
    """The stored stall rows of ``person_ids``."""
    keys = [f"{PREFIX}{pid}" for pid in person_ids]
    found: dict[int, StallRecord] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(keys), _CHUNK):
            query = select(t.settings.c.key, t.settings.c.value).where(
                t.settings.c.key.in_(keys[start : start + _CHUNK])
            )
            for key, value in connection.execute(query):
                record = _record(key, value)
                if record is not None:
                    found[record.person_id] = record
    return found


def _untold(store: StateStore) -> list[StallRecord]:
    query = select(t.settings.c.key, t.settings.c.value).where(
        t.settings.c.key.startswith(PREFIX, autoescape=True),
        t.settings.c.value.like('%"told": null%'),
    )
    with store.engine.connect() as connection:
        rows = list(connection.execute(query))
    records = (_record(key, value) for key, value in rows)
    return sorted((r for r in records if r is not None), key=lambda r: r.person_id)


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
            engaged = last_engagement((a.occurred_at for a in activities), self.as_of)
            self._candidates[person_id] = (moved, engaged)

    def flag(self, leads: Mapping[int, Lead]) -> None:
        """Set ``stalled`` on every noted lead (``None`` when the contract has no rule)."""
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

    def _found(
        self, person_id: int, lead: Lead, entered: datetime | None, engaged: datetime | None
    ) -> None:
        stall = find_stall(self.rules, lead.stage, entered, engaged, self.as_of)
        lead.stalled = stall is not None
        if stall is not None:
            self.stalls[person_id] = stall

    def settings(self) -> dict[str, str]:
        """Rows to commit with the run: the stalls found that were not stored yet."""
        if not self.stalls:
            return {}
        stored = stall_records(self.store, self.stalls)
        rows = {}
        for person_id, stall in self.stalls.items():
            known = stored.get(person_id)
            if known is None or not known.same_stall(stall):
                rows[f"{PREFIX}{person_id}"] = StallRecord(person_id, stall, None).value()
        return rows


def announce_stalls(
    store: StateStore, plugins: FunnelPlugins, config: WorkspaceConfig, as_of: datetime
) -> int:
    """Tell plugins about every stall not told yet (``funnelsync_lead_stalled``).

    Each is marked told first, in its own transaction, then announced. A stall whose lead
    is no longer stalled in that stage is marked ``gone`` instead. Returns how many were told.
    """
    untold = _untold(store)
    if not untold:
        return 0
    leads = store.leads(record.person_id for record in untold)
    told = 0
    for record in untold:
        lead = leads.get(record.person_id)
        current = lead is not None and lead.stalled is True and lead.stage == record.stall.stage
        mark = as_of.isoformat() if current else GONE
        marked = StallRecord(record.person_id, record.stall, mark)
        store.save_settings({f"{PREFIX}{record.person_id}": marked.value()})
        if current and lead is not None:
            plugins.lead_stalled(
                lead, record.stall.stage, record.stall.days_in_stage(as_of), config
            )
            told += 1
    return told
