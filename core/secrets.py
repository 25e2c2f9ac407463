"""Keeping secrets out of every log line, report and error message.

Whoever reads a secret (a connector reading a token from the environment, the config
loader finding a ``SecretStr``) registers it here; :func:`redact` then replaces it
wherever text leaves funnelsync.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretBytes, SecretStr

MASK = "***"
_MIN_LENGTH = 4
"""Shorter values are not masked: they would mask ordinary words."""

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember ``value`` as a secret to mask from now on.

    For a URL (a webhook's, say) its path and query are secret too: HTTP errors quote
    them without the host.
    """
    if not value or len(value) < _MIN_LENGTH:
        return
    parts = [value]
    url = urlsplit(value)
    if url.scheme in ("http", "https") and len(url.path) > 1:
        parts.append(url.path + (f"?{url.query}" if url.query else ""))
        parts.append(url.path)
    with _lock:
        _secrets.update(part for part in parts if len(part) >= _MIN_LENGTH)


def register_model_secrets(model: BaseModel) -> None:
    """Register every ``SecretStr`` found in ``model`` (nested models and lists included)."""
    for value in _walk(model):
        if isinstance(value, SecretStr):
            register_secret(value.get_secret_value())
        elif isinstance(value, SecretBytes):
            register_secret(value.get_secret_value().decode(errors="ignore"))


def _walk(value: Any) -> Iterable[Any]:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    else:
        yield value


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
