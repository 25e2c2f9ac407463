"""Beat queues each workspace on its own cron; enqueue checks every config before queuing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sync_support import small_workspace

from funnelsync.plugin_manager import create_plugins
from funnelsync.sync.cli.main import main
from funnelsync.sync.distributed.beat import beat_schedule, cron_schedule
from funnelsync.sync.distributed.tasks import SYNC_TASK
from funnelsync.sync.scheduler import ScheduleError
from funnelsync.sync.workspace.loading import load_workspace


def test_each_workspace_is_queued_on_its_own_cron(tmp_path: Path) -> None:
    configs = [small_workspace(tmp_path / name) for name in ("acme", "globex")]
    for config, cron in zip(configs, ("*/15 * * * *", "0 6 * * 1-5"), strict=True):
        with config.open("a", encoding="utf-8") as out:
            out.write(f"\nschedule:\n  sync: '{cron}'\n")
    plugins = create_plugins()
    entries = beat_schedule([load_workspace(config, plugins) for config in configs])
    assert list(entries) == [str(config.resolve()) for config in configs]
    acme, globex = entries.values()
    assert acme["task"] == SYNC_TASK and acme["args"] == [str(configs[0].resolve())]
    monday = datetime(2026, 12, 7, 5, 50, tzinfo=UTC)
    assert acme["schedule"].remaining_delta(monday)[0] is not None
    assert globex["schedule"].hour == {6} and globex["schedule"].day_of_week == {1, 2, 3, 4, 5}
    assert acme["schedule"].minute == {0, 15, 30, 45}


def test_a_workspace_without_schedule_or_with_a_bad_cron_is_refused(tmp_path: Path) -> None:
    config = small_workspace(tmp_path)
    with pytest.raises(ScheduleError, match="no `schedule:` section"):
        beat_schedule([load_workspace(config, create_plugins())])
    with pytest.raises(ScheduleError, match="not a cron expression"):
        cron_schedule("every day")


def test_enqueue_checks_every_config_before_queuing_anything(tmp_path: Path) -> None:
    good = small_workspace(tmp_path / "good")
    bad = small_workspace(tmp_path / "bad")
    bad.write_text(bad.read_text(encoding="utf-8").replace("connections:", "conections:"))
    result = CliRunner().invoke(
        main,
        [
            "enqueue",
            "--broker",
            "redis://127.0.0.1:1/0",
            "--config",
            str(good),
            "--config",
            str(bad),
        ],
    )
    assert result.exit_code == 2
    assert "conections" in result.output
    assert "queued" not in result.output
