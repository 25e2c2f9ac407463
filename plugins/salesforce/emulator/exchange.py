"""One HTTP exchange as the emulator's handlers see it: a parsed request, a reply."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from funnelsync.plugins.salesforce.emulator.api_errors import ApiError


@dataclass(frozen=True, slots=True)
class Request:
    """An incoming request, already split into its parts."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes
    base_url: str
    """The emulator's own ``http://127.0.0.1:PORT``."""

    def json(self) -> Any:
        """The body as JSON; a 400 ``JSON_PARSER_ERROR`` if it is not."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None


@dataclass(slots=True)
class Reply:
    """An outgoing response."""

    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    """A JSON response."""
    return Reply(status, json.dumps(payload).encode(), headers=dict(headers))


def error_reply(error: ApiError) -> Reply:
    """The response for ``error`` (401s carry ``WWW-Authenticate: Token``)."""
    headers = {"WWW-Authenticate": "Token"} if error.status == 401 else {}
    return json_reply(error.status, error.body(), **headers)
