"""The record ids a read has met so far, with the line each was first on, in ~13 bytes an id.

An activities file can hold tens of millions of rows; a dict of id → line costs about
190 bytes an id (the id text, a tuple, an int). Here each id is kept as 64 bits of its
BLAKE2b digest in one of :data:`BUCKETS` sorted arrays (chosen by 14 more bits of the
digest), beside its line. Two different ids are taken for the same only if 78 bits of
their digests agree: for 10 million ids, a chance below 1 in 10⁹ in a whole read.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from hashlib import blake2b

BUCKET_BITS = 14
BUCKETS = 1 << BUCKET_BITS


class SeenIds:
    """Ids met so far and their first lines (see the module doc)."""

    def __init__(self) -> None:
        self._digests: list[array[int] | None] = [None] * BUCKETS
        self._lines: list[array[int] | None] = [None] * BUCKETS

    def first_line(self, record_id: str, line: int) -> int:
        """The line ``record_id`` was first met on; ``line`` (now noted) if this is the first."""
        digest = int.from_bytes(blake2b(record_id.encode(), digest_size=10).digest())
        bucket, kept = digest & (BUCKETS - 1), digest >> 16  # 14 + 64 of the 80 bits
        digests, lines = self._digests[bucket], self._lines[bucket]
        if digests is None or lines is None:
            self._digests[bucket], self._lines[bucket] = array("Q", [kept]), array("I", [line])
            return line
        at = bisect_left(digests, kept)
        if at < len(digests) and digests[at] == kept:
            return lines[at]
        digests.insert(at, kept)
        lines.insert(at, line)
        return line
