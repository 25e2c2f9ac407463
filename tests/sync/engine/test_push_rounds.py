"""Pushing a packed plan: two writes under one key (two records of one person) never go
in one call; each round is sent in plan order, in batches of the connector's size."""

from __future__ import annotations

from pathlib import Path

import pytest
from sync_support import postgres_database

from funnelsync.connector import ConnectorContext, LeadWrite
from funnelsync.plugins.csv import CsvConnector, CsvSettings
from funnelsync.sync.engine.planned_writes import PlannedWrite, PlannedWrites
from funnelsync.sync.engine.planning import ConnectionPlan
from funnelsync.sync.engine.progress import NoProgress
from funnelsync.sync.engine.pushing import push_connection
from funnelsync.sync.state.store import StateStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    url = postgres_database(request) if request.param == "postgresql" else None
    opened = StateStore.open(tmp_path / "state", url)
    request.addfinalizer(opened.close)
    return opened


class _OneAtATime(CsvConnector):
    """The csv connector taking one write per call (as an API with a batch limit would)."""

    write_batch_size = 1


def _planned(person_id: int, key: str, record_id: str, score: int) -> PlannedWrite:
    return PlannedWrite(person_id, LeadWrite(key, record_id, {"score": score}), {}, "score")


@pytest.mark.parametrize("batch_size", [None, 1])
def test_writes_under_one_key_go_in_separate_calls_in_plan_order(
    store: StateStore, tmp_path: Path, batch_size: int | None
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b"email,score\r\nann@x.io,0\r\nann.old@x.io,0\r\nbob@x.io,0\r\n")
    settings = CsvSettings.model_validate({"leads": {"path": "leads.csv"}})
    connector = (CsvConnector if batch_size is None else _OneAtATime)(
        settings, ConnectorContext("marketing", tmp_path)
    )
    writes = PlannedWrites(packed=True)
    writes.extend([_planned(1, "ann@x.io", "ann@x.io", 1), _planned(3, "cy@x.io", "cy@x.io", 4)])
    writes.extend([_planned(2, "bob@x.io", "bob@x.io", 2)])  # cy's row was deleted: missing
    writes.extend([_planned(1, "ann@x.io", "ann.old@x.io", 3)])  # the same key again
    outcome = push_connection(
        connector, "marketing", ConnectionPlan(writes), set(), {}, store, "r1", "t", NoProgress()
    )
    assert (outcome.updated, outcome.quarantined) == (3, [])
    assert outcome.missing == [("marketing", "cy@x.io")]
    # One person's two records: two rounds (one call each when a call takes everything).
    assert connector.calls.write == (2 if batch_size is None else 4)
    assert leads.read_bytes() == b"email,score\r\nann@x.io,1\r\nann.old@x.io,3\r\nbob@x.io,2\r\n"
    # What landed is recorded against its own record; the missing write records nothing.
    keys = [("marketing", k) for k in ("ann@x.io", "ann.old@x.io", "bob@x.io", "cy@x.io")]
    assert store.ledger(keys) == {
        keys[0]: {"score": 1},
        keys[1]: {"score": 3},
        keys[2]: {"score": 2},
    }


@pytest.mark.parametrize("batch_size", [None, 1])
def test_records_a_push_creates_are_linked_to_their_persons(
    store: StateStore, tmp_path: Path, batch_size: int | None
) -> None:
    """The links of new records are stored with the ledger rows of the same call (made as
    those rows are), so the record is its person's before the run reads it back."""
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b"email,score\r\nann@x.io,0\r\n")
    settings = CsvSettings.model_validate({"leads": {"path": "leads.csv"}})
    connector = (CsvConnector if batch_size is None else _OneAtATime)(
        settings, ConnectorContext("marketing", tmp_path)
    )
    writes = PlannedWrites(packed=True)
    writes.extend([_planned(1, "ann@x.io", "ann@x.io", 1)])
    writes.extend([PlannedWrite(7, LeadWrite("dee@x.io", None, {"score": 5}), {}, "new")])
    outcome = push_connection(
        connector, "marketing", ConnectionPlan(writes), set(), {}, store, "r1", "t", NoProgress()
    )
    assert (outcome.created, outcome.updated) == (1, 1)
    assert outcome.written == {"ann@x.io", "dee@x.io"}
    assert store.person_of_record("dee@x.io", ["marketing"]) == 7
    assert store.person_of_record("ann@x.io", ["marketing"]) is None  # linked before, not here
    keys = [("marketing", "ann@x.io"), ("marketing", "dee@x.io")]
    assert store.ledger(keys) == {keys[0]: {"score": 1}, keys[1]: {"score": 5}}
