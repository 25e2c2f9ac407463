"""Each workspace's funnel journeys, loaded once and kept until its state changes.

Listing the leads behind a funnel figure needs every lead's journey (their stage dates
live in each lead's document, so no index can pick them out), and a segment's figure also
the lead field or campaign touches it is grouped by. Building them at 100,000 leads takes
seconds; the screen builds them once per workspace and reuses them for every click until
a run (or anything else) adds a stage move or a run, or the contract changes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select

from funnelsync.sync.report.data import BASE_FIELDS, FunnelData, load_funnel_data
from funnelsync.sync.report.journeys import Journey
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.loading import Workspace

Stamp = tuple[object, ...]


def state_stamp(workspace: Workspace, store: StateStore) -> Stamp:
    """What changes when the journeys may have: the newest run, stage move, person, and
    the contract (each read from a primary key or a one-row aggregate)."""
    with store.engine.connect() as connection:
        run = connection.execute(select(func.max(t.runs.c.started_at))).scalar()
        move = connection.execute(select(func.max(t.stage_history.c.entry_id))).scalar()
        person = connection.execute(select(func.max(t.persons.c.person_id))).scalar()
    contract = workspace.contract.model_dump_json().encode()
    return (run, move, person, hashlib.sha256(contract).hexdigest())


class JourneyCache:
    """Funnel data per workspace config, with the state stamp it was loaded at.

    One entry per workspace: the journeys, each lead's fields a breakdown asked for so
    far, and (once a campaign breakdown asked for them) the campaign touches. A request
    for a field or for touches the entry lacks loads it again with them added.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[Path, tuple[Stamp, frozenset[str], bool, FunnelData]] = {}

    def data(
        self,
        workspace: Workspace,
        store: StateStore,
        fields: Iterable[str] = (),
        campaigns: bool = False,
    ) -> FunnelData:
        """The workspace's journeys with ``fields`` (and campaign touches, with
        ``campaigns``), loaded again only when its state has changed or they lack one."""
        stamp = state_stamp(workspace, store)
        wanted = frozenset(fields).difference(BASE_FIELDS)  # always loaded
        with self._lock:
            kept = self._kept.get(workspace.config_path)
        if kept is not None and kept[0] == stamp:
            if wanted <= kept[1] and (kept[2] or not campaigns):
                return kept[3]
            wanted |= kept[1]
            campaigns = campaigns or kept[2]
        built = load_funnel_data(store, workspace.contract, sorted(wanted), (), campaigns)
        with self._lock:
            self._kept[workspace.config_path] = (stamp, wanted, campaigns, built)
        return built

    def journeys(self, workspace: Workspace, store: StateStore) -> list[Journey]:
        """The workspace's journeys, built again only when its state has changed."""
        return self.data(workspace, store).journeys
