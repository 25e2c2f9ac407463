"""A sequence held a chunk at a time in a compact form, made objects again a chunk at a time.

A run keeps some things for every person until its commit (planned writes, stage changes):
as objects they would grow with the leads. Each chunk of persons' items is kept as the
subclass packs it; iterating or indexing unpacks one chunk at a time (the last one indexed
is kept, so reading in order unpacks each chunk once).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")
C = TypeVar("C")


class ChunkedSequence(Sequence[T], ABC, Generic[T, C]):
    """Items in order, held as chunks of type ``C`` that :meth:`_unpack` makes items again."""

    def __init__(self) -> None:
        self._chunks: list[C] = []
        self._starts: list[int] = []
        """Each chunk's first index."""
        self._length = 0
        self._last: tuple[int, list[T]] | None = None
        """The chunk ``__getitem__`` unpacked last, by number."""

    @abstractmethod
    def _unpack(self, chunk: C) -> list[T]:
        """The items ``chunk`` holds, in order."""

    def _keep(self, chunk: C, count: int) -> None:
        """Add ``chunk`` (of ``count`` items) after the chunks kept before."""
        self._chunks.append(chunk)
        self._starts.append(self._length)
        self._length += count

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        for chunk in self._chunks:
            yield from self._unpack(chunk)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"{type(self).__name__} index out of range")
        number = bisect_right(self._starts, index) - 1
        if self._last is None or self._last[0] != number:
            self._last = (number, self._unpack(self._chunks[number]))
        return self._last[1][index - self._starts[number]]

    def __eq__(self, other: object) -> bool:
        """Equal to the same items in the same order (held in chunks, or a list)."""
        if isinstance(other, ChunkedSequence | list):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list
