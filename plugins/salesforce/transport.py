"""The HTTP session simple-salesforce sends every call through.

It counts each call (as a read or a write, whichever the connector is doing), hands the
``Sforce-Limit-Info`` usage of every response to the connector, and — for the local
emulator only — sends simple-salesforce's ``https://`` URLs for the login host and the
emulator's own host to the emulator's plain ``http://127.0.0.1:<port>``. That session does
not trust the environment: requests would otherwise let ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` and proxy variables override it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests

from funnelsync.plugins.salesforce.settings import Endpoint
from funnelsync.run_report import ApiCalls

_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")

Purpose = Literal["read", "write"]


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """``(used, allowance)`` from a ``Sforce-Limit-Info`` header, if it has ``api-usage``."""
    found = _USAGE.search(header or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


class SalesforceSession(requests.Session):
    """A requests session that counts calls, reports API usage, and reaches an emulator."""

    def __init__(
        self,
        calls: ApiCalls,
        on_usage: Callable[[int, int], None],
        endpoint: Endpoint,
    ) -> None:
        super().__init__()
        self.calls = calls
        self.on_usage = on_usage
        self.purpose: Purpose = "read"
        """What the calls being made are for; set by the connector around each call."""
        self._origin = urlsplit(endpoint.loopback) if endpoint.loopback else None
        self._hosts: frozenset[str] = frozenset()
        if self._origin is not None:
            self.trust_env = False
            self._hosts = frozenset({f"{endpoint.domain}.salesforce.com", self._origin.netloc})

    def _route(self, url: str) -> str:
        parts = urlsplit(url)
        if self._origin is None or parts.scheme != "https" or parts.netloc not in self._hosts:
            return url
        return urlunsplit((self._origin.scheme, self._origin.netloc, *parts[2:]))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send one call: routed, counted, and its API usage reported."""
        if request.url is not None:
            request.url = self._route(request.url)
        if self.purpose == "write":
            self.calls.write += 1
        else:
            self.calls.read += 1
        response = super().send(request, **kwargs)
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.on_usage(*usage)
        return response
