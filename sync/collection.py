"""How often Python's cyclic garbage collector runs during a long command.

A sync or a report allocates millions of short-lived objects (records, timestamps, rows)
that form almost no reference cycles. With the default thresholds the collector starts a
young-generation pass every 700 allocations and, as objects survive, repeated full passes
over everything alive: 15-20% of a first sync's CPU. Reference counting frees the
acyclic objects either way; these policies only make the cycle search rarer.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RARE_THRESHOLDS = (50_000, 50, 100)
"""Young-generation allocations before a pass, and how many passes of each generation
before the next one is examined too (the defaults are 700, 10, 10)."""


class _RareCollections:
    """Counts the blocks inside :func:`rare_collections`, across threads, so that only the
    first to enter changes the collector and only the last to leave restores it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._saved = gc.get_threshold()

    def enter(self) -> None:
        with self._lock:
            if self._inside == 0:
                self._saved = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(*RARE_THRESHOLDS)
            self._inside += 1

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0:
                gc.set_threshold(*self._saved)
                gc.unfreeze()


_RARE = _RareCollections()


@contextmanager
def rare_collections() -> Iterator[None]:
    """Run the block with the collector running rarely (cycles are still collected), and
    with what was alive before it frozen out of the collector's passes. Blocks may nest
    and overlap across threads (syncs of several workspaces in one process): the caller's
    settings come back when the last one ends."""
    _RARE.enter()
    try:
        yield
    finally:
        _RARE.leave()


@contextmanager
def no_collections() -> Iterator[None]:
    """Run the block with the cyclic collector off (for work that makes no cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
