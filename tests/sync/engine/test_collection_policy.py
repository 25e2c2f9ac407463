"""A sync tunes the garbage collector only while it runs: a program that calls
``funnelsync.sync.run`` gets its own collector settings back, whether the run ends well or
fails."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sync_support import small_workspace

import funnelsync.sync
from funnelsync.sync import RunFailedError
from funnelsync.sync.collection import RARE_THRESHOLDS, rare_collections


def test_a_sync_leaves_the_callers_collector_as_it_was(tmp_path: Path) -> None:
    gc.set_threshold(1234, 11, 12)
    try:
        report = funnelsync.sync.run(small_workspace(tmp_path))
        assert report.status == "ok"
        assert gc.get_threshold() == (1234, 11, 12)
        assert gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(700, 10, 10)


def test_a_failed_sync_also_restores_the_collector(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    leads = config.parent / "data" / "marketing" / "leads.csv"
    leads.unlink()
    leads.mkdir()  # the run starts, then cannot read this connection
    before = gc.get_threshold()
    assert before != RARE_THRESHOLDS
    with pytest.raises(RunFailedError, match="not a regular file"):
        funnelsync.sync.run(config)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_overlapping_runs_restore_the_collector_when_the_last_ends() -> None:
    before = gc.get_threshold()
    first, second = rare_collections(), rare_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the other run (thread) still goes on
    assert gc.get_threshold() == RARE_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
