"""The conformance checks as a pytest test class: one test per check.

Subclass :class:`ConnectorConformance` in a test module and give it (or its conftest) a
``funnelsync_target`` fixture returning a :class:`ConformanceTarget`; or keep the fixture
in ``conftest.py`` and run ``pytest --funnelsync-conformance``, which collects
:class:`TestFunnelsyncConformance` beside that conftest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pytest

from funnelsync.testing.checks import all_check_names, run_check
from funnelsync.testing.target import ConformanceTarget

NOT_APPLICABLE = "funnelsync_not_applicable"
"""A conftest's ``{check: reason}`` of checks that cannot apply (the option's form)."""


class ConnectorConformance:
    """Every conformance check, each a test named ``test_conformance[<check>]``."""

    not_applicable: ClassVar[Mapping[str, str]] = {}
    """Checks that cannot apply to this system, by name, with the reason (e.g.
    ``{"passing_failures_are_retryable": "a file has no rate limit"}``); not collected."""
    known_failures: ClassVar[Mapping[str, str]] = {}
    """Checks the connector is known to fail, by name, with the reason: strict xfail, so
    the test fails as soon as the connector is fixed and the entry should go."""

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """One test per check, less the ones that cannot apply."""
        left_out = {**self.not_applicable, **_conftest_not_applicable(metafunc)}
        if unknown := sorted((set(left_out) | set(self.known_failures)) - set(all_check_names())):
            raise pytest.UsageError(
                f"no such check: {', '.join(unknown)}; the checks are "
                + ", ".join(all_check_names())
            )
        checks = [
            pytest.param(name, marks=_expected_failure(self.known_failures.get(name)))
            for name in all_check_names()
            if name not in left_out
        ]
        metafunc.parametrize("check", checks)

    def test_conformance(self, check: str, funnelsync_target: ConformanceTarget) -> None:
        """Run one check on the vendor's target."""
        __tracebackhide__ = True
        run_check(check, funnelsync_target)


def _expected_failure(reason: str | None) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _conftest_not_applicable(metafunc: pytest.Metafunc) -> Mapping[str, str]:
    """The ``funnelsync_not_applicable`` of the conftest the option's suite sits beside."""
    for plugin in metafunc.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) == str(metafunc.definition.path):
            found: Mapping[str, str] = getattr(plugin, NOT_APPLICABLE, {})
            return found
    return {}


class TestFunnelsyncConformance(ConnectorConformance):
    """What ``pytest --funnelsync-conformance`` collects beside a conftest with the fixture."""
