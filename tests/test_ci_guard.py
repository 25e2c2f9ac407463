"""CI must not pass with tests skipped: under FUNNELSYNC_CI=1 a skip is a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SAMPLE = """
import pytest

def test_needs_a_server():
    pytest.skip("needs redis")

def test_crossed_midnight():
    pytest.skip("rerun: the runs straddled midnight UTC")

@pytest.mark.skipif(True, reason="no chromium")
def test_needs_chromium():
    pass
"""


def _run(tmp_path: Path, ci: bool) -> str:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(TESTS), "FUNNELSYNC_CI": "1" if ci else ""}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "ci_guard", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip().splitlines()[-1]


def test_in_ci_skips_fail_except_a_declared_rerun(tmp_path: Path) -> None:
    assert _run(tmp_path, ci=True).startswith("1 failed, 1 skipped, 1 error")


def test_outside_ci_skips_stay_skips(tmp_path: Path) -> None:
    assert _run(tmp_path, ci=False).startswith("3 skipped")
