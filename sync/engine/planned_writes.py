"""A connection's planned writes, and how a sync holds them: packed a chunk at a time.

A first sync plans a write for nearly every record, about 1.5 KB each as objects. A sync
holds each chunk of persons' writes packed (:mod:`marshal` + zlib, in memory only) and
unpacks a chunk at a time as they are iterated, so only the writes in use are objects.
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


_Chunk = bytes | list[PlannedWrite]


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
    rows = [
        (p.person_id, w.key, w.record_id, dict(w.fields), w.detour, p.old, p.reason)
        for p in writes
        for w in (p.write,)
    ]
    try:
        return zlib.compress(marshal.dumps(rows), 1)
    except ValueError:  # a value marshal cannot hold (a connector's own type)
        return writes


def _unpack(chunk: _Chunk) -> list[PlannedWrite]:
    if not isinstance(chunk, bytes):
        return chunk
    rows = marshal.loads(zlib.decompress(chunk))  # noqa: S302 - our own bytes, in memory
    return [
        PlannedWrite(person_id, LeadWrite(key, record_id, fields, detour), old, reason)
        for person_id, key, record_id, fields, detour, old, reason in rows
    ]
