"""`funnelsync validate` on attributes and identity keys: each mistake named where it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.scaffold import write_templates


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    config = write_templates(tmp_path / "ws", with_empty_data=True)
    contract = config.parent / "contract.yaml"
    text = contract.read_text(encoding="utf-8")
    contract.write_text(
        text.replace(
            "\nstages:",
            "\nattributes:\n  crm_id: {type: text}\n  annual_revenue: {type: decimal}\n\nstages:",
            1,
        ),
        encoding="utf-8",
    )
    return config


def _validate(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--config", str(config)])
    return result.exit_code, result.output


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, start=1) if needle in text)


def test_attributes_may_be_mapped_and_made_identity_keys(workspace: Path) -> None:
    leads = workspace.parent / "data" / "sales" / "leads.csv"
    header, _, rest = leads.read_text(encoding="utf-8").partition("\n")
    leads.write_text(f"{header.rstrip()},Lead Id\n{rest}", encoding="utf-8")
    _edit(workspace, "        email: Email\n", "        email: Email\n        crm_id: Lead Id\n")
    _edit(workspace, "\nconnections:", "\nidentity: {keys: [email, crm_id]}\n\nconnections:")
    code, output = _validate(workspace)
    assert code == 0, output


def test_a_misspelt_attribute_in_a_mapping_is_named_with_a_suggestion(workspace: Path) -> None:
    _edit(workspace, "        email: Email\n", "        email: Email\n        anual_revenue: Rev\n")
    code, output = _validate(workspace)
    assert code == 2
    line = _line_of(workspace, "anual_revenue")
    assert (
        f"funnelsync.yaml:{line}: connections.sales.mapping.lead_fields.anual_revenue: unknown "
        "lead field 'anual_revenue': not a built-in field nor an attribute of the contract; "
        "did you mean 'annual_revenue'?"
    ) in output.replace("\n", "")


def test_an_identity_key_must_be_a_field_or_attribute(workspace: Path) -> None:
    _edit(workspace, "\nconnections:", "\nidentity: {keys: [email, crm]}\n\nconnections:")
    code, output = _validate(workspace)
    assert code == 2
    assert (
        "identity.keys[1]: 'crm' cannot identify a person: expected email, a descriptive lead "
        "field or an attribute of the contract; did you mean 'crm_id'?"
    ) in output.replace("\n", "")


def test_a_connection_must_map_one_of_the_identity_keys(workspace: Path) -> None:
    _edit(workspace, "\nconnections:", "\nidentity: {keys: [crm_id]}\n\nconnections:")
    code, output = _validate(workspace)
    assert code == 2
    assert (
        "connections.marketing.mapping.lead_fields: no field is mapped to any identity key "
        "(crm_id)" in output.replace("\n", "")
    )


def test_lead_key_must_name_an_identity_key(workspace: Path) -> None:
    _edit(
        workspace,
        "      activity_fields:\n        activity_id: Id\n",
        "      lead_key: {key: crm_id, field: Lead Id}\n"
        "      activity_fields:\n        activity_id: Id\n",
    )
    code, output = _validate(workspace)
    assert code == 2
    assert (
        "connections.sales.mapping.lead_key.key: 'crm_id' is not an identity key (identity: "
        "keys: email)"
    ) in output.replace("\n", "")
