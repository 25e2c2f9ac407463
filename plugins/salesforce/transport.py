"""The HTTP session simple-salesforce sends every call through.

It counts each call (as a read or a write, whichever the connector is doing), hands the
``Sforce-Limit-Info`` usage of every response to the connector, gives every call the
connection's connect and read timeout, and retries the calls that are safe to repeat —
reads (``GET``: queries, describes, Bulk job polls and results) and logins — when they
fail in passing: a 5xx, a 429, a reset connection or a timeout, with backoff and
honouring ``Retry-After``. Refusals (4xx, a SOAP login fault) are answered at once.

Certificates: ``ca_bundle`` wins; else ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` or
``SSL_CERT_FILE`` from the environment; else the bundle requests ships. Only the local
plain-``http`` emulator opts out of the environment (``trust_env = False``, so proxy
variables cannot catch loopback calls); for it, simple-salesforce's ``https://`` URLs for
the login host and the emulator's own host are sent to its ``http://127.0.0.1:<port>``.
A loopback ``https://`` emulator is reached the same way but trusts as a real org does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests

from funnelsync.plugins.salesforce.settings import Endpoint, RetrySettings
from funnelsync.retry import RetryableError, retrying
from funnelsync.run_report import ApiCalls

_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")
_PASSING = frozenset({429, 500, 502, 503, 504})
"""Statuses of failures that pass: Salesforce's 500/502/503, and 429 where a proxy sends it."""
_LOGIN_PATHS = ("/services/oauth2/token", "/services/Soap/u/")

Purpose = Literal["read", "write"]


def describe_failure(exc: requests.RequestException) -> str:
    """Why a call did not reach Salesforce, with what to do about an untrusted certificate."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, requests.exceptions.SSLError):
        text += (
            "; the server's certificate is not trusted: if a proxy re-signs TLS, name its "
            "CA's PEM file in ca_bundle (or REQUESTS_CA_BUNDLE / SSL_CERT_FILE)"
        )
    return text


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """``(used, allowance)`` from a ``Sforce-Limit-Info`` header, if it has ``api-usage``."""
    found = _USAGE.search(header or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(float(response.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return None


class _PassingError(RetryableError):
    """One try that failed in passing: the answer (if any) or the connection error."""

    def __init__(
        self,
        message: str,
        response: requests.Response | None = None,
        error: requests.RequestException | None = None,
    ) -> None:
        super().__init__(message, _retry_after(response) if response is not None else None)
        self.response = response
        self.error = error


class SalesforceSession(requests.Session):
    """A requests session that counts calls, reports API usage, times out, retries reads,
    trusts the configured CA, and reaches an emulator."""

    def __init__(
        self,
        calls: ApiCalls,
        on_usage: Callable[[int, int], None],
        endpoint: Endpoint,
        *,
        on_call: Callable[[], None] | None = None,
        timeout_s: float = 60.0,
        retry: RetrySettings | None = None,
        ca_bundle: Path | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        super().__init__()
        self.calls = calls
        self.on_usage = on_usage
        self.on_call = on_call
        """Told of every API call sent (not of logins, which use no API allowance)."""
        self.purpose: Purpose = "read"
        """What the calls being made are for; set by the connector around each call."""
        self.timeout_s = timeout_s
        self.retry = retry or RetrySettings()
        self.ca_bundle = ca_bundle
        self.sleep = sleep
        """How to wait between tries (``None``: ``time.sleep``)."""
        self._origin = urlsplit(endpoint.loopback) if endpoint.loopback else None
        self._hosts: frozenset[str] = frozenset()
        if self._origin is not None:
            self._hosts = frozenset({f"{endpoint.domain}.salesforce.com", self._origin.netloc})
            if self._origin.scheme == "http":
                self.trust_env = False

    def _route(self, url: str) -> str:
        parts = urlsplit(url)
        if self._origin is None or parts.scheme != "https" or parts.netloc not in self._hosts:
            return url
        return urlunsplit((self._origin.scheme, self._origin.netloc, *parts[2:]))

    def _verify(self, given: Any) -> Any:
        """What to verify server certificates with (see the module docstring)."""
        if self.ca_bundle is not None:
            return str(self.ca_bundle)
        if given is True and self.trust_env and os.environ.get("SSL_CERT_FILE"):
            return os.environ["SSL_CERT_FILE"]
        return given

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send one call: routed, timed out, retried if safe, counted, usage reported."""
        if request.url is not None:
            request.url = self._route(request.url)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_s
        kwargs["verify"] = self._verify(kwargs.get("verify", True))
        path = urlsplit(request.url or "").path
        login = any(path.startswith(prefix) for prefix in _LOGIN_PATHS)
        if request.method != "GET" and not login:
            return self._once(request, kwargs, login)
        retry = self.retry
        calling = retrying(
            attempts=retry.attempts,
            budget_s=retry.budget_s,
            max_wait_s=retry.max_wait_s,
            sleep=self.sleep,
        )
        try:
            return calling(self._try, request, kwargs, login)
        except _PassingError as spent:
            if spent.response is not None and not login:
                return spent.response  # simple-salesforce reports the status
            if spent.response is not None:
                raise requests.HTTPError(str(spent), response=spent.response) from None
            assert spent.error is not None
            raise spent.error from None

    def _try(
        self, request: requests.PreparedRequest, kwargs: dict[str, Any], login: bool
    ) -> requests.Response:
        try:
            response = self._once(request, kwargs, login)
        except requests.exceptions.SSLError:
            raise  # an untrusted certificate stays untrusted
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _PassingError(f"{type(exc).__name__}: {exc}", error=exc) from None
        status = response.status_code
        # A SOAP login fault is a 500 that refuses the credentials: never retried.
        if status in _PASSING and not (login and b"<faultcode>" in response.content):
            failed = _PassingError(f"Salesforce answered {status}", response=response)
            if (failed.retry_after or 0) > self.retry.budget_s:
                return response  # asked to wait longer than this call may take: give up now
            raise failed
        return response

    def _once(
        self, request: requests.PreparedRequest, kwargs: dict[str, Any], login: bool
    ) -> requests.Response:
        if not login and self.on_call is not None:
            self.on_call()
        if self.purpose == "write":
            self.calls.write += 1
        else:
            self.calls.read += 1
        response = super().send(request, **kwargs)
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.on_usage(*usage)
        return response
