"""Reading contacts: everything, then only what changed, boundary ties, the search cap."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hs_support import T0

from funnelsync.connector import ReadBatch
from funnelsync.mapping import read_lead
from funnelsync.plugins.hubspot import HubSpotConnector
from funnelsync.plugins.hubspot.emulator.server import AnswerVariants, HubSpotEmulator


def _drain(batches: Iterable[ReadBatch]) -> tuple[list[str], str | None]:
    ids: list[str] = []
    cursor = None
    for batch in batches:
        ids += [record.record_id for record in batch.records]
        cursor = batch.cursor or cursor
    return ids, cursor


def _contacts(count: int, prefix: str = "p") -> list[dict[str, str]]:
    return [{"email": f"{prefix}{i}@example.com", "firstname": f"P{i}"} for i in range(count)]


def test_first_read_returns_every_contact_mapped_by_the_default_mapping(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.add_contacts(
        [
            {
                "email": "Ann@Example.com",
                "firstname": "Ann",
                "jobtitle": "VP Sales",
                "lifecyclestage": "marketingqualifiedlead",
                "hs_lead_status": "IN_PROGRESS",
                "hs_analytics_source": "PAID_SEARCH",
            },
            *_contacts(3),
        ]
    )
    connector = connect(emulator)
    batches = list(connector.read_leads(None))
    records = [record for batch in batches for record in batch.records]
    assert len(records) == 4
    ann = next(record for record in records if record.fields["email"] == "Ann@Example.com")
    lead = read_lead(connector.default_mapping, ann.fields)
    assert (lead.email, lead.first_name, lead.title) == ("ann@example.com", "Ann", "VP Sales")
    assert (lead.stage, lead.lead_status, lead.source) == (
        "mql",
        "Working - Contacted",
        "PAID_SEARCH",
    )
    assert lead.created_at == T0
    assert ann.fields["createdate"] == "2024-05-01T09:00:00+00:00"
    assert ann.location == f"hubspot contact {ann.record_id}"
    cursor = json.loads(batches[-1].cursor or "")
    assert cursor == {
        "v": 1,
        "kind": "contacts",
        "modified": "2024-05-01T09:00:00.000Z",
        "after_id": None,
    }


def test_incremental_read_returns_only_changes_and_no_boundary_record_twice(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    first = emulator.add_contacts(_contacts(5, "a"))
    connector = connect(emulator)
    ids, cursor = _drain(connector.read_leads(None))
    assert sorted(ids) == sorted(first)
    assert _drain(connector.read_leads(cursor))[0] == []
    # New records at the very timestamp of the cursor and later, and one change.
    late = emulator.add_contacts(_contacts(2, "b"), modified_at=T0 + timedelta(seconds=5))
    emulator.update_contact(
        first[0], {"firstname": "Changed"}, modified_at=T0 + timedelta(seconds=6)
    )
    ids, cursor = _drain(connector.read_leads(cursor))
    assert sorted(ids) == sorted([*late, first[0]])
    assert _drain(connector.read_leads(cursor))[0] == []


def test_resuming_inside_a_timestamp_reads_the_rest_of_it_by_id(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(search_cap=400)
    ids = emulator.add_contacts(_contacts(700))
    connector = connect(emulator, search_cap=400)
    seen: list[str] = []
    cursors = []
    for batch in connector.read_leads(None):
        seen += [record.record_id for record in batch.records]
        cursors.append(batch.cursor)
    assert sorted(seen) == sorted(ids)
    # Resume from a cursor taken in the middle of the id-ordered pass over T0.
    middle = next(c for c in cursors if c and json.loads(c)["after_id"] is not None)
    after = int(json.loads(middle)["after_id"])
    rest, _ = _drain(connector.read_leads(middle))
    assert sorted(rest, key=int) == [i for i in sorted(ids, key=int) if int(i) > after]


CAP_ANSWERS = pytest.mark.parametrize(
    "variants",
    [
        AnswerVariants(),
        AnswerVariants(search_next_at_cap=False),
        # ``total`` understated: only the full page at the cap tells the cut.
        AnswerVariants(search_next_at_cap=False, search_total_extra=-100_000),
    ],
    ids=["next-at-cap", "no-next-at-cap", "no-next-wrong-total"],
)


@CAP_ANSWERS
def test_more_contacts_with_one_timestamp_than_the_search_cap_are_read_once(
    make_emulator: Callable[..., HubSpotEmulator],
    connect: Callable[..., HubSpotConnector],
    variants: AnswerVariants,
) -> None:
    emulator = make_emulator(search_cap=400, variants=variants)
    before = emulator.add_contacts(_contacts(150, "early"), modified_at=T0 - timedelta(hours=1))
    crowd = emulator.add_contacts(_contacts(1500, "same"))
    after = emulator.add_contacts(_contacts(250, "late"), modified_at=T0 + timedelta(hours=1))
    connector = connect(emulator, search_cap=400)
    ids, cursor = _drain(connector.read_leads(None))
    counts = Counter(ids)
    assert set(counts) == {*before, *crowd, *after}
    assert max(counts.values()) == 1
    assert json.loads(cursor or "")["modified"] == "2024-05-01T10:00:00.000Z"
    assert _drain(connector.read_leads(cursor))[0] == []


def test_a_cap_that_ends_inside_a_page_is_told_by_total(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    """A cap of 300 with pages of 200: the page reaching it holds 100 records and has no
    ``paging.next``; only ``total`` says more matched."""
    emulator = make_emulator(search_cap=300, variants=AnswerVariants(search_next_at_cap=False))
    crowd = emulator.add_contacts(_contacts(700))
    ids, cursor = _drain(connect(emulator, search_cap=300).read_leads(None))
    assert sorted(ids) == sorted(crowd)
    assert _drain(connect(emulator, search_cap=300).read_leads(cursor))[0] == []


@pytest.mark.parametrize("next_at_cap", [True, False], ids=["next-at-cap", "no-next-at-cap"])
def test_more_than_ten_thousand_contacts_with_one_timestamp_under_the_real_cap(
    make_emulator: Callable[..., HubSpotEmulator],
    connect: Callable[..., HubSpotConnector],
    next_at_cap: bool,
) -> None:
    emulator = make_emulator(variants=AnswerVariants(search_next_at_cap=next_at_cap))
    crowd = emulator.add_contacts(_contacts(10_050))
    connector = connect(emulator)
    ids, cursor = _drain(connector.read_leads(None))
    assert len(ids) == len(set(ids)) == len(crowd)
    assert _drain(connector.read_leads(cursor))[0] == []


def test_a_cursor_never_passes_a_window_cut_by_the_cap(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(search_cap=400, variants=AnswerVariants(search_next_at_cap=False))
    crowd = emulator.add_contacts(_contacts(450))
    connector = connect(emulator, search_cap=400)
    first = next(iter(connector.read_leads(None)))  # a run stopped after its first page
    ids, _ = _drain(connector.read_leads(first.cursor))
    assert sorted({*ids, *(r.record_id for r in first.records)}) == sorted(crowd)


def test_a_total_that_differs_from_the_results_is_not_taken_for_more(
    make_emulator: Callable[..., HubSpotEmulator], connect: Callable[..., HubSpotConnector]
) -> None:
    emulator = make_emulator(variants=AnswerVariants(search_total_extra=1))
    connector = connect(emulator)
    assert _drain(connector.read_leads(None)) == ([], None)  # {"total": 1, "results": []}
    ids = emulator.add_contacts(_contacts(3))
    read, cursor = _drain(connector.read_leads(None))
    assert sorted(read) == sorted(ids)
    assert _drain(connector.read_leads(cursor))[0] == []
    assert emulator.calls_to("/search") == 3  # one a read: no paging on `total` alone


def test_resuming_from_any_cursor_repeats_and_loses_nothing_at_a_shared_time(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    """Pages end inside a run of contacts sharing one time (ties come in no id order):
    every cursor read resumes exactly after what its batches returned."""
    early = emulator.add_contacts(_contacts(150, "early"), modified_at=T0 - timedelta(hours=1))
    shared = emulator.add_contacts(_contacts(300, "same"))
    late = emulator.add_contacts(_contacts(130, "late"), modified_at=T0 + timedelta(hours=1))
    connector = connect(emulator)
    batches = list(connector.read_leads(None))
    assert sorted(r.record_id for b in batches for r in b.records) == sorted(
        [*early, *shared, *late]
    )
    for index, batch in enumerate(batches):
        if batch.cursor is None:
            continue
        later = [r.record_id for b in batches[index + 1 :] for r in b.records]
        resumed, _ = _drain(connector.read_leads(batch.cursor))
        assert sorted(resumed) == sorted(later), f"from the cursor of batch {index + 1}"


def test_a_change_search_has_not_indexed_yet_is_read_once_it_has(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    """HubSpot's search index lags writes, not in the order made: a read must not move its
    cursor past a change made less than ``search_settle_s`` ago."""
    now = datetime.now(UTC)
    [settled] = emulator.add_contacts(_contacts(1, "s"), modified_at=now - timedelta(seconds=120))
    [lagging] = emulator.add_contacts(_contacts(1, "l"), modified_at=now - timedelta(seconds=20))
    [fresh] = emulator.add_contacts(_contacts(1, "f"), modified_at=now - timedelta(seconds=10))
    emulator.hold_from_search([lagging])
    ids, cursor = _drain(connect(emulator, search_settle_s=60).read_leads(None))
    assert ids == [settled]
    emulator.index_all()
    ids, _ = _drain(connect(emulator).read_leads(cursor))
    assert sorted(ids) == sorted([lagging, fresh])
