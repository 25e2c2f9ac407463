"""`funnelsync validate`: a bad config or contract stops with file, line, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.scaffold import write_templates


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "ws", with_empty_data=True)


def _validate(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--config", str(config)])
    return result.exit_code, result.output


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_scaffolded_workspace_is_valid(workspace: Path) -> None:
    code, output = _validate(workspace)
    assert code == 0, output
    assert "marketing (csv), sales (csv)" in output
    assert "6 stages, 2 detours" in output


def test_a_misspelt_contract_key_names_file_line_key_and_suggestion(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    _edit(
        contract,
        "    entry: {fit_min: 25, engagement_min: 30}",
        "    entry: {fit_mn: 25, engagement_min: 30}",
    )
    line = next(
        number
        for number, text in enumerate(contract.read_text().splitlines(), start=1)
        if "fit_mn" in text
    )
    code, output = _validate(workspace)
    assert code == 2
    assert f"contract.yaml:{line}: stages[2].entry.fit_mn: unknown key 'fit_mn'" in output
    assert "did you mean 'fit_min'?" in output


def test_a_misspelt_top_level_contract_key_fails(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    _edit(contract, "\ndetours:", "\ndetuors:")
    code, output = _validate(workspace)
    assert code == 2
    assert "detuors: unknown key 'detuors' (did you mean 'detours'?)" in output


def test_every_problem_is_reported_at_once(workspace: Path) -> None:
    _edit(workspace, "connector: csv", "connector: cvs")
    _edit(workspace, "key_column: Email", "key_colum: Email")
    code, output = _validate(workspace)
    assert code == 2
    assert "connections.marketing.connector: no connector named 'cvs' (installed: " in output
    assert "connections.sales.settings.leads.key_colum: unknown key" in output
    assert "2 problem(s)" in output


def test_contract_values_must_name_a_connection(workspace: Path) -> None:
    _edit(
        workspace.parent / "contract.yaml",
        "values: {marketing: lead, sales: Lead}",
        "values: {marketing: lead, crm: Lead}",
    )
    code, output = _validate(workspace)
    assert code == 2
    assert "stages[1].values.crm: no connection named 'crm' in the config" in output


def test_a_wrong_type_says_what_was_given(workspace: Path) -> None:
    _edit(workspace.parent / "contract.yaml", "half_life_days: 30", "half_life_days: a month")
    code, output = _validate(workspace)
    assert code == 2
    assert "scoring.engagement.half_life_days" in output
    assert "'a month'" in output


def test_a_missing_contract_file_points_at_the_config_key(workspace: Path) -> None:
    (workspace.parent / "contract.yaml").unlink()
    code, output = _validate(workspace)
    assert code == 2
    assert "funnelsync.yaml:3: contract: contract file" in output
    assert "not found" in output


def test_yaml_syntax_errors_name_the_line(workspace: Path) -> None:
    workspace.write_text("version: 1\nconnections: [\n", encoding="utf-8")
    code, output = _validate(workspace)
    assert code == 2
    assert "funnelsync.yaml:3: (top level): not valid YAML" in output


def test_config_path_defaults_to_the_environment(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FUNNELSYNC_CONFIG", str(workspace))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert str(workspace) in result.output


def test_stage_date_mapping_must_name_a_contract_stage(workspace: Path) -> None:
    _edit(workspace, "stage_dates.sql: SQL Date", "stage_dates.sqll: SQL Date")
    code, output = _validate(workspace)
    assert code == 2
    assert (
        "connections.sales.mapping.lead_fields.stage_dates.sqll: the contract has no stage 'sqll'"
        in output
    )
