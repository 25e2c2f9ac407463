"""A whole run with known secrets: they appear in no log line, report, state file or error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator
from funnelsync.sync.cli.main import main

TOKEN = "pat-na1-7c1e-known-secret-token-31337"
WEBHOOK = "http://127.0.0.1:9/services/T0/B0/known-webhook-secret-4242"
CONFIG = """\
version: 1
contract: contract.yaml
notifications:
  webhook_url: ${TEAM_WEBHOOK}
  quarantined_at_least: 1
connections:
  marketing:
    connector: hubspot
    settings:
      access_token_env: HS_TOKEN
      base_url: ${HS_URL}
      search_settle_s: 0
  sales:
    connector: csv
    create_from_stage: mql
    settings:
      leads: {path: sales.csv, modified_column: updated_at}
"""
TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"


def _everything_written(root: Path, outputs: list[str]) -> str:
    texts = list(outputs)
    for path in root.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(texts)


def test_known_tokens_leak_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = HubSpotEmulator(tokens={TOKEN: None}).start()
    try:
        emulator.add_contacts([{"email": "ana@example.org", "jobtitle": "VP Sales"}])
        monkeypatch.setenv("HS_TOKEN", TOKEN)
        monkeypatch.setenv("HS_URL", emulator.base_url)
        monkeypatch.setenv("TEAM_WEBHOOK", WEBHOOK)
        contract = (
            (TEMPLATES / "contract.yaml").read_text().replace("salesacceptedlead", "opportunity")
        )
        (tmp_path / "contract.yaml").write_text(contract)
        (tmp_path / "funnelsync.yaml").write_text(CONFIG)
        (tmp_path / "sales.csv").write_text("email,updated_at\nnot-an-email,2026-01-01T00:00:00Z\n")
        runner = CliRunner()
        config = ["--config", str(tmp_path / "funnelsync.yaml")]
        debug = ["--log-format", "json", "--log-level", "debug"]
        outputs = [
            runner.invoke(main, [*debug, *command, *config]).output
            for command in (["check", "--fix"], ["sync", "--json"], ["status", "--json"])
        ]
        outputs += [
            runner.invoke(main, [command, "--json", *config]).output
            for command in ("errors", "plan")
        ]
        # A refused token: the error names the problem, not the token.
        monkeypatch.setenv("HS_TOKEN", TOKEN + "-revoked")
        refused = runner.invoke(
            main, ["--log-level", "debug", "sync", "--config", str(tmp_path / "funnelsync.yaml")]
        )
        outputs.append(refused.output)
        assert refused.exit_code == 3, refused.output
    finally:
        emulator.stop()
    written = _everything_written(tmp_path, outputs)
    assert "ana@example.org" in written  # the run did happen and was recorded
    for secret in (TOKEN, "known-webhook-secret-4242"):
        assert secret not in written
