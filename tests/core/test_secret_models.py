"""Every SecretStr or SecretBytes in a settings model is registered, however deeply nested."""

from __future__ import annotations

import secrets

from pydantic import BaseModel, SecretBytes, SecretStr

from funnelsync.secrets import MASK, redact, register_model_secrets


class _Auth(BaseModel):
    token: SecretStr
    spare: list[SecretStr]


class _Settings(BaseModel):
    name: str
    auth: _Auth
    headers: dict[str, SecretStr]
    key: SecretBytes
    tags: tuple[str, ...] = ()


def _fresh(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def test_secrets_in_nested_models_lists_dicts_and_bytes_are_masked() -> None:
    token, spare, header, key = (_fresh(p) for p in ("tok", "spare", "hdr", "key"))
    settings = _Settings(
        name="crm-sales",
        auth=_Auth(token=SecretStr(token), spare=[SecretStr(spare)]),
        headers={"X-Api-Key": SecretStr(header)},
        key=SecretBytes(key.encode()),
        tags=("crm-sales-tag",),
    )
    register_model_secrets(settings)
    text = f"crm-sales {token} {spare} {header} {key} crm-sales-tag"
    assert redact(text) == f"crm-sales {MASK} {MASK} {MASK} {MASK} crm-sales-tag"
