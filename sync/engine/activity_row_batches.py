"""Activities a connector hands over as rows (:class:`~funnelsync.connector.RowBatch`),
stored by a sync without a record per row.

The columns of the mapping are found in each batch's header once; each row then goes
straight to the stored row. A row that does not read cleanly, a header without the
mapped columns, and everything a sync does not store this way (a plan, a mapping that is
not plain columns) take the path of :meth:`read_activities` records, with the same
quarantine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from funnelsync.connector import RowBatch, SystemRecord
from funnelsync.models import normalise_email
from funnelsync.sync.engine.activity_rows import plain_cells
from funnelsync.sync.state.moments import moment_columns

if TYPE_CHECKING:
    from funnelsync.sync.engine.reading import _Reader

TOKENS_KEPT = 200_000
"""Most email cells :class:`Tokens` remembers (a few tens of MB at most)."""


def takes_rows(reader: _Reader) -> bool:
    """Whether the reader stores activities from rows: a sync, a connector that gives
    them, a mapping of plain columns."""
    return (
        reader.connector.capabilities.read_activity_rows
        and reader.activities.storing
        and reader.map_activity.plain is not None
    )


class Tokens(dict[str, str]):
    """Email cell → its identity token (:func:`normalise_email`), remembered for the most
    recent :data:`TOKENS_KEPT` distinct cells: one person's activities share a spelling."""

    def __missing__(self, email: str) -> str:
        token = normalise_email(email)  # ValueError: nothing kept
        if len(self) >= TOKENS_KEPT:
            self.clear()
        self[email] = token
        return token


def activity_rows_of(reader: _Reader, batch: RowBatch, tokens: Tokens) -> None:
    """:meth:`_Reader.activities_of` for the rows of one batch (see :func:`takes_rows`);
    ``tokens`` is kept from batch to batch."""
    columns = reader.map_activity.plain
    header = batch.header
    at = {name: index for index, name in enumerate(header)}
    if columns is None or not {columns.email, columns.type, columns.occurred_at} <= set(at):
        reader.activities_of(batch.records())
        return
    email_at, type_at, time_at = at[columns.email], at[columns.type], at[columns.occurred_at]
    campaign_at = at.get(columns.campaign) if columns.campaign else None
    asset_at = at.get(columns.asset) if columns.asset else None
    name, result, echoes = reader.connection.name, reader.result, reader.echoes
    quarantined, zone, add_row = (
        reader.quarantined_activities,
        reader.map_activity.zone,
        reader.activities.add_row,
    )
    token_of = tokens.__getitem__
    for record_id, cells, location in zip(batch.ids, batch.rows, batch.locations, strict=True):
        read = plain_cells(
            cells[email_at],
            cells[type_at],
            cells[time_at],
            None if campaign_at is None else cells[campaign_at],
            None if asset_at is None else cells[asset_at],
            zone,
            token_of,
        )
        if read is None:  # the record's own way, to read it or say why not
            fields = dict(zip(header, cells, strict=True))
            reader.activities_of([SystemRecord(record_id, fields, location)])
            continue
        result.rows_read += 1
        if record_id in quarantined:
            result.resolved.append((name, f"activity:{record_id}"))
        if record_id in echoes:
            result.echoes += 1
            continue
        result.activities_read += 1
        token, kind, when, campaign, asset = read
        seconds, micros, offset = moment_columns(when)
        add_row((name, record_id, token, kind, seconds, micros, offset, campaign, asset))
