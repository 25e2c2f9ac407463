"""Keeping ``campaign_touches``: each identity token's campaign activity times, grouped.

The funnel report needs, per person and campaign, the sorted moments of their campaign
activities. Reading them from ``activities`` costs a row per activity (a million at 100k
leads); this table holds one row per token: ``{campaign id: [moment, …]}`` packed as
:func:`encode` spells it, a moment being the epoch seconds plus the microseconds (the float
the report compares, stored as those 8 bytes: encoding and decoding are array copies).

The table is a function of ``activities`` alone. Every write of activities marks its tokens
stale in the same transaction (:func:`mark_stale`); a run's commit rewrites the stale tokens'
rows from all their activities (:func:`refresh_stale`), so an activity read again (an upsert)
replaces its old time and campaign instead of adding a touch. A reader takes a stale token's
touches from ``activities`` (:func:`grouped`), so a run stopped between the two still reads
right.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Collection, Iterable
from itertools import accumulate
from typing import Any, cast

from sqlalchemy import Connection, delete, insert, select

from funnelsync.sync.state import schema as t
from funnelsync.sync.state.backends import driver_rows, execute_many, upsert_statement

_SWAP = sys.byteorder == "big"
"""Rows are little-endian whatever the machine (a state may move between machines)."""

PAGE = 5_000
"""Stale tokens rewritten per query (so a first sync's refresh holds a page, not all)."""

Grouped = dict[str, dict[int, list[float]]]
"""Token → campaign id → the sorted moments of its activities of that campaign."""


def grouped(rows: Iterable[Any]) -> Grouped:
    """Touches grouped from ``(token, campaign id, seconds, micros)`` activity rows."""
    found: Grouped = {}
    for token, campaign, seconds, micros in rows:
        moment = seconds + micros / 1e6 if micros else float(seconds)
        by_campaign = found.get(token)
        if by_campaign is None:
            found[token] = {campaign: [moment]}
            continue
        moments = by_campaign.get(campaign)
        if moments is None:
            by_campaign[campaign] = [moment]
        else:
            moments.append(moment)
    for by_campaign in found.values():
        for moments in by_campaign.values():
            moments.sort()
    return found


def encode(by_campaign: dict[int, list[float]]) -> bytes:
    """One row's ``touches``: the campaign count, their ids and their moment counts
    (little-endian 64-bit integers), then every campaign's moments (64-bit floats)."""
    keys = sorted(by_campaign)
    head = array("q", [len(keys), *keys, *(len(by_campaign[key]) for key in keys)])
    moments = array("d")
    for key in keys:
        moments.extend(by_campaign[key])
    if _SWAP:
        head.byteswap()
        moments.byteswap()
    return head.tobytes() + moments.tobytes()


def decode(blob: bytes) -> tuple[list[int], list[list[float]]]:
    r"""The campaign ids of an :func:`encode`\ d row and their moments, in the same order."""
    count = int.from_bytes(blob[:8], "little")
    split = 8 + 16 * count
    numbers: list[int]
    values: list[float]
    if _SWAP:
        head, moments = array("q"), array("d")
        head.frombytes(blob[8:split])
        moments.frombytes(blob[split:])
        head.byteswap()
        moments.byteswap()
        numbers, values = head.tolist(), moments.tolist()
    else:  # read in place, no copy of the row
        view = memoryview(blob)
        numbers = view[8:split].cast("q").tolist()
        values = cast(list[float], view[split:].cast("d").tolist())  # typeshed says ints
    if count == 1:
        return numbers[:1], [values]
    ends = list(accumulate(numbers[count:]))
    return numbers[:count], list(map(values.__getitem__, map(slice, [0, *ends], ends)))


def decode_rows(blobs: Iterable[bytes]) -> tuple[list[int], list[int], list[int], list[float]]:
    r"""Many :func:`encode`\ d rows at once, flat: every campaign id, each campaign's moment
    count, each row's campaign count, and every moment, all in row order."""
    heads: list[memoryview] = []
    bodies: list[memoryview] = []
    rows: list[int] = []
    for blob in blobs:
        count = int.from_bytes(blob[:8], "little")
        split = 8 + 16 * count
        view = memoryview(blob)
        heads.append(view[8:split])
        bodies.append(view[split:])
        rows.append(count)
    head, moments = array("q", b"".join(heads)), array("d", b"".join(bodies))
    if _SWAP:
        head.byteswap()
        moments.byteswap()
    numbers = head.tolist()
    ids: list[int] = []
    counts: list[int] = []
    position = 0
    for count in rows:  # each row's head: its ids, then their moment counts
        middle = position + count
        position = middle + count
        ids += numbers[position - 2 * count : middle]
        counts += numbers[middle:position]
    return ids, counts, rows, moments.tolist()


def campaign_rows_query(tokens: Collection[str]) -> Any:
    """The ``(token, campaign id, seconds, micros)`` campaign activities of ``tokens``."""
    a = t.activities.c
    return select(a.email, a.campaign_id, a.occurred_at, a.micros).where(
        a.email.in_(tokens), a.campaign_id.is_not(None)
    )


def mark_stale(connection: Connection, tokens: Iterable[str]) -> None:
    """Mark ``tokens`` (whose activities are being written) for :func:`refresh_stale`."""
    rows = [{"email": token} for token in dict.fromkeys(tokens)]
    if rows:
        statement = upsert_statement(connection, t.campaign_touches_stale)
        execute_many(connection, statement.on_conflict_do_nothing(index_elements=["email"]), rows)


def refresh_stale(connection: Connection) -> None:
    """Rewrite the rows of every stale token from its activities, a page at a time."""
    stale, touches = t.campaign_touches_stale, t.campaign_touches
    page = select(stale.c.email).order_by(stale.c.email).limit(PAGE)
    while tokens := list(connection.execute(page).scalars()):
        found = grouped(driver_rows(connection, campaign_rows_query(tokens)))
        connection.execute(delete(touches).where(touches.c.email.in_(tokens)))
        rows = [{"email": token, "touches": encode(found[token])} for token in found]
        execute_many(connection, insert(touches), rows)
        connection.execute(delete(stale).where(stale.c.email.in_(tokens)))
