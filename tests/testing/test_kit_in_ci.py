"""`make test` (and so CI) runs the kit as a vendor does, ``pytest --funnelsync-conformance``,
beside the conformance conftest of each built-in connector: none of them is left out and
none has a known failure."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
BUILT_IN = ("csv", "hubspot", "salesforce")


def test_the_project_runs_with_the_option(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.getoption("funnelsync_conformance"), (
        "pyproject's pytest addopts lost --funnelsync-conformance: the built-in connectors' "
        "conformance conftests would collect nothing"
    )


@pytest.mark.parametrize("connector", BUILT_IN)
def test_each_built_in_connector_has_a_conformance_target(connector: str) -> None:
    conftest = TESTS / "plugins" / connector / "conformance" / "conftest.py"
    text = conftest.read_text(encoding="utf-8")
    assert "def funnelsync_target(" in text
    assert "known_failures" not in text
