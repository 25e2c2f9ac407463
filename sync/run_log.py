"""Keeping each run's report and quarantined records under the workspace's state directory."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from funnelsync.run_report import RunReport
from funnelsync.sync.reading import Quarantined

RUNS_DIR = "runs"


def save_run(state_dir: Path, report: RunReport, quarantined: Sequence[Quarantined]) -> Path:
    """Write ``runs/<run_id>.json`` atomically and return its path."""
    runs = state_dir / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    document = {
        "report": report.model_dump(mode="json"),
        "quarantined": [asdict(item) for item in quarantined],
    }
    target = runs / f"{report.run_id}.json"
    handle, temp_name = tempfile.mkstemp(dir=runs, prefix=".run-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        Path(temp_name).replace(target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target
