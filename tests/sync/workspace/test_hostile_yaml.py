"""Hostile or nonsensical YAML stops `validate` with exit 2 and file:line, never a
traceback (issue 18, items 7 and 10)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.scaffold import write_templates


def _billion_laughs() -> str:
    """Nine levels of nine aliases each: 2.5 KB of YAML standing for 9**9 strings."""
    names = "abcdefghi"
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for before, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join(lines)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "ws", with_empty_data=True)


def _validate(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--config", str(config)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _replace(path: Path, old: str, new: str) -> int:
    """Replace ``old`` by ``new`` in ``path``; the line the change starts on."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_an_alias_bomb_is_refused_with_its_line(workspace: Path) -> None:
    text = workspace.read_text(encoding="utf-8")
    bomb = "\n".join("  " + line for line in _billion_laughs().splitlines())
    workspace.write_text(text + "\nbomb:\n" + bomb + "\n", encoding="utf-8")
    code, output = _validate(workspace)
    assert code == 2
    assert "funnelsync.yaml:" in output and "aliases expand to more than 100,000 values" in output


@pytest.mark.parametrize(("character", "shown"), [("\x07", "#x0007"), ("\x00", "#x0000")])
def test_a_control_character_or_nul_is_refused_with_its_line(
    workspace: Path, character: str, shown: str
) -> None:
    line = _replace(workspace, "state_dir: state", f"state_dir: st{character}ate")
    code, output = _validate(workspace)
    assert code == 2
    assert f"funnelsync.yaml:{line}: (top level): not valid YAML: character {shown}" in output


def test_deep_nesting_is_refused_with_its_line(workspace: Path) -> None:
    text = workspace.read_text(encoding="utf-8")
    workspace.write_text(text + "\ndeep: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    line = text.count("\n") + 2
    code, output = _validate(workspace)
    assert code == 2
    assert f"funnelsync.yaml:{line}: (top level): nested more than 64 levels deep" in output


def test_state_dir_pointing_at_a_file_is_refused(workspace: Path) -> None:
    (workspace.parent / "state.txt").write_text("not a directory\n")
    line = _replace(workspace, "state_dir: state", "state_dir: state.txt/inner")
    code, output = _validate(workspace)
    assert code == 2
    assert f"funnelsync.yaml:{line}: state_dir: " in output
    assert "state.txt is a file, not a directory" in output


def test_a_duplicate_key_names_both_lines(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    first = _replace(contract, "sql_stage: sql", "sql_stage: sql\nmql_stage: sal")
    code, output = _validate(workspace)
    assert code == 2
    assert (
        f"contract.yaml:{first + 1}: (top level): key 'mql_stage' appears twice in one mapping "
        f"(lines {first - 1} and {first + 1})"
    ) in output


def test_an_absurd_integer_is_refused(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    line = _replace(contract, "    cap: 100\n", f"    cap: {10**29}\n")
    code, output = _validate(workspace)
    assert code == 2
    assert f"contract.yaml:{line}: (top level): number {10**29} is out of range" in output


def test_nul_in_a_name_is_refused(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    line = _replace(contract, "name: Revenue funnel", 'name: "Revenue\\0funnel"')
    code, output = _validate(workspace)
    assert code == 2
    assert f"contract.yaml:{line}: (top level): NUL character in text" in output


def test_fit_min_above_the_fit_cap_is_refused(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    line = _replace(contract, "entry: {fit_min: 25,", "entry: {fit_min: 61,")
    code, output = _validate(workspace)
    assert code == 2
    assert (
        f"contract.yaml:{line}: stages[2].entry.fit_min: 61 is above the most fit points a "
        "lead can get (60): no lead can reach it"
    ) in output


def test_sql_stage_before_mql_stage_is_refused(workspace: Path) -> None:
    contract = workspace.parent / "contract.yaml"
    line = _replace(contract, "sql_stage: sql ", "sql_stage: lead")
    code, output = _validate(workspace)
    assert code == 2
    assert f"contract.yaml:{line}: sql_stage: 'lead' comes before mql_stage 'mql'" in output
