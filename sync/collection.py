"""How often Python's cyclic garbage collector runs during a long command.

A sync or a report allocates millions of short-lived objects (records, timestamps, rows)
that form almost no reference cycles. With the default thresholds the collector starts a
young-generation pass every 700 allocations and, as objects survive, repeated full passes
over everything alive: 15-20% of a first sync's CPU. Reference counting frees the
acyclic objects either way; these policies only make the cycle search rarer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

RARE_THRESHOLDS = (50_000, 50, 100)
"""Young-generation allocations before a pass, and how many passes of each generation
before the next one is examined too (the defaults are 700, 10, 10)."""


@contextmanager
def rare_collections() -> Iterator[None]:
    """Run the block with the collector running rarely (cycles are still collected), and
    with what was alive before it frozen out of the collector's passes."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*RARE_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


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
