"""The reliability campaign in bench/reliability.py handles every hostile file, bad YAML
and damaged state it tries: no row lost, no traceback (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "bench" / "reliability.py"


@pytest.mark.slow
def test_every_reliability_case_is_handled_without_loss_or_traceback() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json"], capture_output=True, text=True, check=False
    )
    assert done.stdout, done.stderr
    figures = json.loads(done.stdout)
    failed = [case for case in figures["cases"] if not case["handled"] or case["traceback"]]
    assert failed == []
    assert figures["cases_tried"] == figures["handled"] >= 22
    assert figures["rows_lost"] == 0
    assert figures["tracebacks"] == 0
    assert done.returncode == 0
