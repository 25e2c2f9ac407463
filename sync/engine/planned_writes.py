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
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from funnelsync.connector import LeadWrite


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


class PlannedWrites(Sequence[PlannedWrite]):
    """Planned writes in plan order. With ``packed``, each :meth:`extend` (a chunk of
    persons' writes) is held packed; a chunk whose values :mod:`marshal` cannot hold
    stays as objects."""

    def __init__(self, writes: Iterable[PlannedWrite] = (), *, packed: bool = False) -> None:
        self._packed = packed
        self._chunks: list[_Chunk] = []
        self._starts: list[int] = []
        """Each chunk's first index."""
        self._length = 0
        self._last: tuple[int, list[PlannedWrite]] | None = None
        """The chunk ``__getitem__`` unpacked last, by number."""
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
        else:
            self._chunks.append(_pack(added) if self._packed else added)
            self._starts.append(self._length)
        self._length += len(added)

    def __len__(self) -> int:
        return self._length

    def __eq__(self, other: object) -> bool:
        """Equal to the same writes in the same order (held packed or not, or a list)."""
        if isinstance(other, PlannedWrites | list):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __iter__(self) -> Iterator[PlannedWrite]:
        for chunk in self._chunks:
            yield from _unpack(chunk)

    def heads(self) -> Iterator[Head]:
        """Each write's person id, key and record id, in plan order (only these unpacked)."""
        for chunk in self._chunks:
            if isinstance(chunk, list):
                yield from ((p.person_id, p.write.key, p.write.record_id) for p in chunk)
            else:
                yield from zip(*marshal.loads(zlib.decompress(chunk[0])), strict=True)  # noqa: S302

    @overload
    def __getitem__(self, index: int) -> PlannedWrite: ...

    @overload
    def __getitem__(self, index: slice) -> list[PlannedWrite]: ...

    def __getitem__(self, index: int | slice) -> PlannedWrite | list[PlannedWrite]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("planned write index out of range")
        number = bisect_right(self._starts, index) - 1
        if self._last is None or self._last[0] != number:
            self._last = (number, _unpack(self._chunks[number]))
        return self._last[1][index - self._starts[number]]


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
