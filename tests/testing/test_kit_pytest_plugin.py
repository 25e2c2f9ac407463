"""``pytest --funnelsync-conformance``: the kit as the pytest plugin a vendor runs.

Each test runs pytest in a subprocess on a vendor-like project: a conftest.py with the
``funnelsync_target`` fixture (the memory connector of :mod:`memory_connector`) and
nothing else, so collection goes through the installed ``pytest11`` entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from funnelsync.testing import all_check_names

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1] / "examples" / "plugin-template"

CONFTEST = """
import pytest
from broken_connectors import {kind}
from memory_connector import MemoryConnector, memory_target

funnelsync_not_applicable = {not_applicable!r}


@pytest.fixture
def funnelsync_target(tmp_path):
    return memory_target({kind}, tmp_path)
"""


def pytest_in(
    project: Path, *args: str, paths: tuple[Path, ...] = (HERE,)
) -> subprocess.CompletedProcess[str]:
    """Run pytest on ``project`` in a subprocess, with ``paths`` importable."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(map(str, paths)),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", *args]
    return subprocess.run(
        [*command, str(project)], cwd=project, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def vendor_project(root: Path, kind: str = "MemoryConnector", **not_applicable: str) -> Path:
    """A project whose only file is a conftest.py giving the kit a ``kind`` connector."""
    conftest = CONFTEST.format(kind=kind, not_applicable=not_applicable)
    (root / "conftest.py").write_text(textwrap.dedent(conftest), encoding="utf-8")
    return root


def passed(output: str) -> list[str]:
    """The checks whose tests passed, by name."""
    return [
        line.split("test_conformance[", 1)[1].split("]", 1)[0]
        for line in output.splitlines()
        if "test_conformance[" in line and " PASSED" in line
    ]


def test_the_option_runs_every_check_beside_the_conftest(tmp_path: Path) -> None:
    run = pytest_in(vendor_project(tmp_path), "--funnelsync-conformance")
    assert run.returncode == 0, run.stdout + run.stderr
    assert passed(run.stdout) == all_check_names()


def test_without_the_option_the_kit_collects_nothing(tmp_path: Path) -> None:
    run = pytest_in(vendor_project(tmp_path))
    assert run.returncode == 5, run.stdout + run.stderr  # pytest: no tests collected
    assert "test_conformance" not in run.stdout


def test_a_broken_connector_fails_its_check_with_what_to_change(tmp_path: Path) -> None:
    run = pytest_in(vendor_project(tmp_path, "ResultsByKey"), "--funnelsync-conformance")
    assert run.returncode == 1
    failed = (
        "conftest.py::TestFunnelsyncConformance::test_conformance[one_result_per_write_in_order]"
    )
    assert f"FAILED {failed}" in run.stdout
    assert "in the order of the writes" in run.stdout
    assert len(passed(run.stdout)) == len(all_check_names()) - 1


def test_a_check_named_not_applicable_is_left_out(tmp_path: Path) -> None:
    project = vendor_project(tmp_path, passing_failures_are_retryable="no rate limits")
    run = pytest_in(project, "--funnelsync-conformance")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "passing_failures_are_retryable" not in passed(run.stdout)
    assert len(passed(run.stdout)) == len(all_check_names()) - 1


def test_not_applicable_naming_no_check_is_an_error(tmp_path: Path) -> None:
    run = pytest_in(vendor_project(tmp_path, no_such_check="typo"), "--funnelsync-conformance")
    assert run.returncode != 0
    assert "no such check: no_such_check" in run.stdout + run.stderr


def test_the_plugin_template_passes_the_kit_and_its_own_tests() -> None:
    """The template's tests as a vendor runs them: plain ``pytest`` (its addopts add the
    option), here without the test that needs the template installed."""
    run = pytest_in(TEMPLATE, "-k", "not entry_point", paths=(TEMPLATE / "src",))
    assert run.returncode == 0, run.stdout + run.stderr
    left_out = {"passing_failures_are_retryable", "spent_budget_holds_writes"}
    assert passed(run.stdout) == [name for name in all_check_names() if name not in left_out]
    assert (
        "test_connector.py::test_writes_upsert_by_email_and_return_one_result_each PASSED"
        in run.stdout
    )
