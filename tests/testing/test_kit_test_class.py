"""The kit's other documented form: a test class subclassing ``ConnectorConformance``,
with ``not_applicable`` and ``known_failures`` (strict xfail), run without the option."""

from __future__ import annotations

import textwrap
from pathlib import Path

from test_kit_pytest_plugin import passed, pytest_in

from funnelsync.testing import all_check_names

MODULE = """
import pytest
from broken_connectors import {kind}
from memory_connector import memory_target

from funnelsync.testing import ConnectorConformance


class TestMemoryConformance(ConnectorConformance):
    not_applicable = {{"spent_budget_holds_writes": "left out by the test"}}
    known_failures = {{"one_result_per_write_in_order": "results come sorted by key"}}

    @pytest.fixture
    def funnelsync_target(self, tmp_path):
        return memory_target({kind}, tmp_path)
"""


def _project(root: Path, kind: str) -> Path:
    module = f"from memory_connector import MemoryConnector\n{MODULE.format(kind=kind)}"
    (root / "test_memory_conformance.py").write_text(textwrap.dedent(module), encoding="utf-8")
    return root


def test_a_known_failure_is_a_strict_xfail_and_not_applicable_is_left_out(
    tmp_path: Path,
) -> None:
    run = pytest_in(_project(tmp_path, "ResultsByKey"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 xfailed" in run.stdout
    left_out = {"spent_budget_holds_writes", "one_result_per_write_in_order"}
    assert passed(run.stdout) == [name for name in all_check_names() if name not in left_out]


def test_a_known_failure_that_is_fixed_fails_the_run(tmp_path: Path) -> None:
    run = pytest_in(_project(tmp_path, "MemoryConnector"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "XPASS(strict)" in run.stdout
    assert "results come sorted by key" in run.stdout
