"""A connection's planned writes, and how a sync holds them: packed a chunk at a time.

A first sync plans a write for nearly every record, about 1.5 KB each as objects. A sync
holds each chunk of persons' writes packed (:mod:`marshal` + zlib, in memory only) and
unpacks a chunk at a time as they are iterated, so only the writes in use are objects.
Each chunk's heads (person, key, record id) are packed apart from the rest, so what needs
only them (which persons, which writes create, the push's rounds) unpacks only them.
A plan (dry run) holds the objects themselves: what it shows matches writes by identity.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from funnelsync.connector import LeadWrite
from funnelsync.sync.engine.chunked import ChunkedSequence


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One record to create or update, for one person, with the values it replaces."""

    person_id: int
    write: LeadWrite
    old: dict[str, Any]
    """System field → the value the system held (as far as funnelsync knows); a field it
    held no value in is left out."""
    reason: str

    @property
    def creates(self) -> bool:
        """Whether this write creates the record."""
        return self.write.record_id is None


Head = tuple[int, str, str | None]
"""A planned write's person id, key and record id (``None``: it creates the record)."""

_Chunk = tuple[bytes, bytes] | list[PlannedWrite]
"""A chunk packed (its heads, then the rest), or its writes as objects."""


class PlannedWrites(ChunkedSequence[PlannedWrite, _Chunk]):
    """Planned writes in plan order. With ``packed``, each :meth:`extend` (a chunk of
    persons' writes) is held packed; a chunk whose values :mod:`marshal` cannot hold
    stays as objects."""

    def __init__(self, writes: Iterable[PlannedWrite] = (), *, packed: bool = False) -> None:
        super().__init__()
        self._packed = packed
        self.extend(writes)

    def append(self, planned: PlannedWrite) -> None:
        """Add ``planned`` at the end."""
        self.extend([planned])

    def extend(self, writes: Iterable[PlannedWrite]) -> None:
        """Add ``writes`` at the end, in order (packed together, with ``packed``)."""
        added = list(writes)
        if not added:
            return
        if not self._packed and self._chunks:
            tail = self._chunks[-1]
            assert isinstance(tail, list)
            tail += added
            self._length += len(added)
        else:
            self._keep(_pack(added) if self._packed else added, len(added))

    def heads(self) -> Iterator[Head]:
        """Each write's person id, key and record id, in plan order (only these unpacked)."""
        for chunk in self._chunks:
            if isinstance(chunk, list):
                yield from ((p.person_id, p.write.key, p.write.record_id) for p in chunk)
            else:
                yield from zip(*marshal.loads(zlib.decompress(chunk[0])), strict=True)  # noqa: S302

    def _unpack(self, chunk: _Chunk) -> list[PlannedWrite]:
        return _unpack(chunk)


def _pack(writes: list[PlannedWrite]) -> _Chunk:
    heads = (
        [p.person_id for p in writes],
        [p.write.key for p in writes],
        [p.write.record_id for p in writes],
    )
    rest = [(dict(p.write.fields), p.write.detour, p.old, p.reason) for p in writes]
    try:
        return zlib.compress(marshal.dumps(heads), 1), zlib.compress(marshal.dumps(rest), 1)
    except ValueError:  # a value marshal cannot hold (a connector's own type)
        return writes


def _unpack(chunk: _Chunk) -> list[PlannedWrite]:
    if isinstance(chunk, list):
        return chunk
    # Our own bytes, in memory.
    persons, keys, record_ids = marshal.loads(zlib.decompress(chunk[0]))  # noqa: S302
    rest = marshal.loads(zlib.decompress(chunk[1]))  # noqa: S302
    return [
        PlannedWrite(person_id, LeadWrite(key, record_id, fields, detour), old, reason)
        for person_id, key, record_id, (fields, detour, old, reason) in zip(
            persons, keys, record_ids, rest, strict=True
        )
    ]
