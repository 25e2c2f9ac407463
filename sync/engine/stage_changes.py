"""A run's stage changes, held packed a chunk at a time until the commit stores them.

A first sync moves nearly every person (about 200 bytes a change as objects, with its
reason text). Each chunk of persons' changes is held serialized (:mod:`marshal`: their
values are text, numbers and ``None``) and compressed, and made objects again as iterated.
"""

from __future__ import annotations

import marshal
import zlib
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import overload

from funnelsync.sync.engine.canonical import StageChange


class StageChanges(Sequence[StageChange]):
    """Stage changes in the order added, each :meth:`add` (a chunk) held packed."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._starts: list[int] = []
        """Each chunk's first index."""
        self._length = 0

    def add(self, changes: Sequence[StageChange]) -> None:
        """Keep one chunk of changes, after those kept before."""
        if not changes:
            return
        rows = [(c.person_id, c.email, c.old_stage, c.new_stage, c.reason) for c in changes]
        self._chunks.append(zlib.compress(marshal.dumps(rows), 1))
        self._starts.append(self._length)
        self._length += len(rows)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[StageChange]:
        for number in range(len(self._chunks)):
            yield from self._chunk(number)

    @overload
    def __getitem__(self, index: int) -> StageChange: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[StageChange]: ...

    def __getitem__(self, index: int | slice) -> StageChange | Sequence[StageChange]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("stage change index out of range")
        number = bisect_right(self._starts, index) - 1
        return self._chunk(number)[index - self._starts[number]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def _chunk(self, number: int) -> list[StageChange]:
        rows = marshal.loads(zlib.decompress(self._chunks[number]))  # noqa: S302 - our own
        return [StageChange(*row) for row in rows]
