"""`funnelsync validate` names the plugin that failed to load when a connector is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.scaffold import write_templates


def install_broken_plugin(site: Path) -> None:
    """An installed distribution whose ``funnelsync.plugins`` entry point cannot import."""
    info = site / "funnelsync_jsonl_connector-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: funnelsync-jsonl-connector\nVersion: 0.1.0\n",
        encoding="utf-8",
    )
    (info / "entry_points.txt").write_text(
        "[funnelsync.plugins]\njsonl = funnelsync_jsonl_missing.plugin\n", encoding="utf-8"
    )


def test_validate_names_the_plugin_that_failed_to_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_broken_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    config = write_templates(tmp_path / "ws", with_empty_data=True)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("connector: csv", "connector: jsonl", 1), encoding="utf-8")

    result = CliRunner().invoke(main, ["validate", "--config", str(config)])

    assert result.exit_code == 2, result.output
    line = " ".join(result.output.split())  # the CLI wraps long lines
    assert "connections.marketing.connector: no connector named 'jsonl'" in line
    assert (
        "plugin 'jsonl' (funnelsync-jsonl-connector) failed to load: ModuleNotFoundError: "
        "No module named 'funnelsync_jsonl_missing'" in line
    )
    assert "(see `funnelsync plugins`)" in line
