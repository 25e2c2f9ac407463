"""The pytest plugin (entry point ``pytest11``): ``pytest --funnelsync-conformance``.

With the option, each ``conftest.py`` that defines a ``funnelsync_target`` fixture gets the
conformance suite (:mod:`funnelsync.testing.suite`) collected beside it, so the fixture
reaches it. Without the option the plugin does nothing.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

OPTION = "--funnelsync-conformance"
FIXTURE = "funnelsync_target"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--funnelsync-conformance``."""
    parser.getgroup("funnelsync").addoption(
        OPTION,
        action="store_true",
        default=False,
        help=(
            "run funnelsync's connector conformance checks beside every conftest.py that "
            f"defines a {FIXTURE} fixture"
        ),
    )


class ConformanceSuite(pytest.Module):
    """The suite module, collected at a conftest's place so the conftest's fixtures apply."""

    def _getobj(self) -> ModuleType:
        return importlib.import_module("funnelsync.testing.suite")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """The conformance suite for a conftest defining the target fixture (with the option)."""
    if file_path.name != "conftest.py" or not parent.config.getoption("funnelsync_conformance"):
        return None
    for plugin in parent.config.pluginmanager.get_plugins():
        found = getattr(plugin, "__file__", None)
        if found and Path(found) == file_path and hasattr(plugin, FIXTURE):
            suite: pytest.Collector = ConformanceSuite.from_parent(parent, path=file_path)
            return suite
    return None
