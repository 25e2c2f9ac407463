"""Fixtures of the sync tests."""

from pathlib import Path

import pytest
from sync_support import small_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A small workspace: a few people in a marketing and a sales CSV system."""
    return small_workspace(tmp_path)
