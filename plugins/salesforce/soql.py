"""Building SOQL: every value from data goes through simple-salesforce's ``format_soql``.

Field and object names come from describe results or validated settings, never from
record data; values (ids, emails, timestamps) are always quoted and escaped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from simple_salesforce.format import format_soql

MAX_LITERALS_CHARS = 4000
"""Most characters of quoted values in one ``IN`` list, keeping the URL well under 16 KB."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a read stopped: the last record's ``SystemModstamp``, and digests of the
    records already read at that stamp (see :mod:`~funnelsync.plugins.salesforce.cursors`)."""

    stamp: datetime
    seen: frozenset[str] | None = frozenset()
    """``None``: too many to remember; every record at ``stamp`` is read again."""


def after(position: Position) -> str:
    """The condition for records at or after ``position``'s stamp.

    The boundary second is asked for again: a record may still change within it after a
    read (``SystemModstamp`` has whole seconds). The reader drops the ones it has seen.
    """
    return format_soql("SystemModstamp >= {stamp}", stamp=position.stamp)


def changed(
    sobject: str, fields: Sequence[str], position: Position | None, *conditions: str
) -> str:
    """``SELECT fields FROM sobject`` after ``position``, in ``SystemModstamp, Id`` order."""
    where = [*conditions, *([after(position)] if position else [])]
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    select = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608 - values escaped
    return f"{select}{clause} ORDER BY SystemModstamp, Id"


def matching(
    sobject: str, fields: Sequence[str], field: str, values: Sequence[str], *conditions: str
) -> Iterator[str]:
    """``SELECT fields FROM sobject WHERE field IN (values)``, split so no query is too long."""
    for chunk in _chunks(values):
        where = " AND ".join([*conditions, format_soql(f"{field} IN {{}}", chunk)])
        yield f"SELECT {', '.join(fields)} FROM {sobject} WHERE {where}"  # noqa: S608 - escaped


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for value in dict.fromkeys(values):
        length = len(format_soql("{}", value)) + 1
        if chunk and size + length > MAX_LITERALS_CHARS:
            yield chunk
            chunk, size = [], 0
        chunk.append(value)
        size += length
    if chunk:
        yield chunk
