"""`funnelsync validate` on the hand-off parts of a workspace: campaigns, owners' channels,
stage hand-off keys and the SMTP server. Each mistake names the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.scaffold import write_templates

ALEX = '  Alex Morgan: {webhook: "${FUNNELSYNC_HANDOFF_WEBHOOK:-}", email: alex.morgan@example.com}'


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "ws", with_empty_data=True)


def _validate(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--config", str(config)])
    return result.exit_code, " ".join(result.output.split())


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` by ``new``; the line number of the replacement's first line."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_the_template_with_campaigns_and_owners_is_valid(workspace: Path) -> None:
    code, output = _validate(workspace)
    assert code == 0, output


def test_a_campaign_that_ends_before_it_starts(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    line = _edit(
        contract,
        "  - id: Paid Social - Ebooks\n",
        "  - id: Paid Social - Ebooks\n    end: 2025-12-31\n",
    )
    code, output = _validate(workspace)
    assert code == 2
    assert f"contract.yaml:{line}: campaigns[1]: end 2025-12-31 is before start 2026-01-01" in (
        output
    )


def test_two_campaigns_with_one_name(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    _edit(contract, "  - id: Nurture - General\n", "  - id: content syndication\n")
    code, output = _validate(workspace)
    assert code == 2
    assert "campaigns: 'content syndication' names two campaigns" in output


def test_an_unknown_key_in_an_owners_channel(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    line = _edit(contract, ALEX, ALEX.replace("{webhook:", "{webhok:"))
    code, output = _validate(workspace)
    assert code == 2
    assert (
        f"contract.yaml:{line}: owners.Alex Morgan.webhok: unknown key 'webhok' "
        "(did you mean 'webhook'?)"
    ) in output


def test_an_owners_email_and_webhook_are_checked(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    _edit(contract, ALEX, '  Alex Morgan: {webhook: "hooks.example.com/x", email: alex-at-example}')
    code, output = _validate(workspace)
    assert code == 2
    assert "owners.Alex Morgan.webhook: a webhook is an http:// or https:// URL" in output
    assert "owners.Alex Morgan.email: 'alex-at-example' is not a valid email address" in output


def test_an_unset_variable_in_a_channel_names_its_key(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALEX_HOOK", raising=False)
    contract = workspace.parent / "contract.yaml"
    line = _edit(contract, ALEX, '  Alex Morgan: {webhook: "${ALEX_HOOK}"}')
    code, output = _validate(workspace)
    assert code == 2
    assert (
        f"contract.yaml:{line}: owners.Alex Morgan.webhook: environment variable ALEX_HOOK "
        "is not set (used as ${ALEX_HOOK})"
    ) in output


def test_a_bad_webhook_from_the_environment_is_refused_without_showing_it(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNNELSYNC_HANDOFF_WEBHOOK", "ftp://hooks.example.com/T000/very-secret")
    code, output = _validate(workspace)
    assert code == 2
    assert "owners.Alex Morgan.webhook: a webhook is an http:// or https:// URL" in output
    assert "default_channel.webhook: a webhook is an http:// or https:// URL" in output
    assert "very-secret" not in output


def test_an_empty_talking_point(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    _edit(
        contract,
        "    talking_points:\n      - Open with",
        "    talking_points:\n      - ''\n      - Open with",
    )
    code, output = _validate(workspace)
    assert code == 2
    assert "stages[2].talking_points[0]: a talking point is empty" in output


def test_a_misspelt_stage_handoff_key(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    _edit(
        contract,
        "    talking_points:\n      - Open with",
        "    hand_off: true\n    talking_points:\n      - Open with",
    )
    code, output = _validate(workspace)
    assert code == 2
    assert "stages[2].hand_off: unknown key 'hand_off' (did you mean 'handoff'?)" in output


def test_smtp_login_needs_both_halves(workspace: Path) -> None:
    _edit(
        workspace,
        "  sender: funnelsync@example.com\n",
        "  sender: funnelsync@example.com\n  username: bot\n",
    )
    code, output = _validate(workspace)
    assert code == 2
    assert "smtp: username and password go together" in output
