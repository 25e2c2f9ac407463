"""A run's stage changes, held packed a chunk at a time until the commit stores them.

A first sync moves nearly every person (about 200 bytes a change as objects, with its
reason text). Each chunk of persons' changes is held serialized (:mod:`marshal`: their
values are text, numbers and ``None``) and compressed, and made objects again as iterated.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Sequence

from funnelsync.sync.engine.canonical import StageChange
from funnelsync.sync.engine.chunked import ChunkedSequence


class StageChanges(ChunkedSequence[StageChange, bytes]):
    """Stage changes in the order added, each :meth:`add` (a chunk) held packed."""

    def add(self, changes: Sequence[StageChange]) -> None:
        """Keep one chunk of changes, after those kept before."""
        if not changes:
            return
        rows = [(c.person_id, c.email, c.old_stage, c.new_stage, c.reason) for c in changes]
        self._keep(zlib.compress(marshal.dumps(rows), 1), len(rows))

    def _unpack(self, chunk: bytes) -> list[StageChange]:
        rows = marshal.loads(zlib.decompress(chunk))  # noqa: S302 - our own bytes, in memory
        return [StageChange(*row) for row in rows]
