"""Calling HubSpot through hubspot-api-client, with limits, budget, retries and errors.

Every call goes through :meth:`HubSpotApi.call`: it checks the budget, waits for room in
the right limiter, counts the call, and turns the outcome into a :class:`Response` or an
exception. urllib3's own retries are switched off (by default it silently retries some
429s); passing failures — 429, 423, 5xx, connection errors — are retried here with
:func:`funnelsync.retry.retrying`, honouring ``Retry-After``. Each hubspot-api-client
sub-package has its own ``ApiException`` class; all of them are caught.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from funnelsync.connector import AuthenticationError, BudgetExhaustedError, ConnectorError
from funnelsync.plugins.hubspot.limits import ApiLimits
from funnelsync.plugins.hubspot.settings import HubSpotSettings
from funnelsync.retry import RetryableError, retrying
from funnelsync.run_report import ApiCalls
from funnelsync.shared_limits import SharedLimits

if TYPE_CHECKING:
    from urllib3.exceptions import HTTPError

logger = logging.getLogger(__name__)


@cache
def api_exceptions() -> tuple[type[Exception], ...]:
    """The ``ApiException`` of every sub-package the connector uses (they share no base)."""
    import hubspot.crm.associations.v4 as associations_v4
    import hubspot.crm.contacts as contacts
    import hubspot.crm.objects as objects
    import hubspot.crm.properties as properties

    return (
        contacts.ApiException,
        objects.ApiException,
        properties.ApiException,
        associations_v4.ApiException,
    )


_LOCKED_WAIT_S = 2.0
"""HubSpot's 423 locks last two seconds."""


class CallKind(Enum):
    """Which limiter a call waits for and how it is counted."""

    read = "read"
    write = "write"
    search = "search"


@dataclass(frozen=True)
class Response:
    """A successful answer: status and decoded JSON body."""

    status: int
    body: Any


class HubSpotError(ConnectorError):
    """HubSpot refused a call for a reason retrying will not fix (a 4xx)."""

    def __init__(self, status: int, category: str, message: str) -> None:
        super().__init__(f"HubSpot answered {status} {category}: {message}")
        self.status = status
        self.category = category
        self.hubspot_message = message


def error_fields(body: Any) -> tuple[str, str]:
    """``(category, message)`` of a HubSpot error body, read leniently."""
    if not isinstance(body, dict):
        return "UNKNOWN", str(body)[:500] if body else "no details"
    category = body.get("category") or body.get("errorType") or "UNKNOWN"
    return str(category), str(body.get("message") or "no details")


_POLICY_WORDS = (
    ("ten_secondly", "TEN_SECONDLY_ROLLING"),
    ("ten secondly", "TEN_SECONDLY_ROLLING"),
    ("daily", "DAILY"),
    ("secondly", "SECONDLY"),
)


def rate_limit_policy(body: Any, message: str) -> str:
    """Which limit a 429 names: its ``policyName`` (as documented), else the limit its
    message names (recorded answers carry only ``category: RATE_LIMITS`` and the message,
    "You have reached your daily limit."), else ``UNKNOWN``."""
    policy = body.get("policyName") if isinstance(body, dict) else None
    if policy:
        return str(policy)
    lowered = message.lower()
    return next((name for word, name in _POLICY_WORDS if word in lowered), "UNKNOWN")


def _decode(raw: Any) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw.decode(errors="replace") if isinstance(raw, bytes) else raw


def _parts(exc: Any) -> tuple[int, Any, Mapping[str, str]]:
    """Status, body and headers of an ``ApiException`` (``status`` 0: no HTTP answer)."""
    return int(exc.status or 0), exc.body, exc.headers or {}


def _required_scopes(body: Any) -> str:
    """The scopes a 403 body names, comma-separated."""
    details = body.get("errors") if isinstance(body, dict) else None
    scopes = [
        str(scope)
        for detail in details or []
        if isinstance(detail, dict)
        for scope in (detail.get("context") or {}).get("requiredGranularScopes") or []
    ]
    return ", ".join(scopes)


def _reason(exc: HTTPError) -> HTTPError | BaseException:
    return getattr(exc, "reason", None) or exc


def _untrusted(exc: HTTPError) -> bool:
    """Whether a failure is a certificate that failed verification (retrying cannot help)."""
    from urllib3.exceptions import SSLError

    reason = _reason(exc)
    return isinstance(reason, SSLError) and "CERTIFICATE_VERIFY_FAILED" in str(reason)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except ValueError:
                return None
    return None


class HubSpotApi:
    """The hubspot-api-client endpoints the connector uses, behind one guarded ``call``."""

    def __init__(
        self,
        settings: HubSpotSettings,
        token: SecretStr,
        calls: ApiCalls,
        token_source: str,
        ca_file: str | None = None,
        *,
        limits: SharedLimits | None = None,
    ) -> None:
        self.settings = settings
        self.calls = calls
        self.limits = ApiLimits(settings, limits, calls)
        self._token_source = token_source
        self._refused: str | None = None
        """Why HubSpot refused our credentials; once set, no call is made any more."""
        from hubspot import HubSpot
        from urllib3.util.retry import Retry

        client = HubSpot(
            access_token=token.get_secret_value(),
            host=settings.base_url.rstrip("/"),
            retry=Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False),
            ssl_ca_cert=ca_file,
        )
        crm = client.crm
        self.contacts_basic = crm.contacts.basic_api
        self.contacts_batch = crm.contacts.batch_api
        self.contacts_search = crm.contacts.search_api
        self.objects_search = crm.objects.search_api
        self.objects_batch = crm.objects.batch_api
        self.properties_core = crm.properties.core_api
        self.properties_groups = crm.properties.groups_api
        self.associations_batch = crm.associations.v4.batch_api
        self._apis = (
            self.contacts_basic,
            self.contacts_batch,
            self.contacts_search,
            self.objects_search,
            self.objects_batch,
            self.properties_core,
            self.properties_groups,
            self.associations_batch,
        )

    def call(
        self, kind: CallKind, endpoint: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Response:
        """Call ``endpoint`` (a generated API method) until it succeeds or fails for good.

        Raises :class:`AuthenticationError` (401/403; every later call then fails the
        same way), :class:`BudgetExhaustedError`, :class:`HubSpotError` (another 4xx) or,
        once retries are spent, :class:`RetryableError`.
        """
        retry = self.settings.retry
        calling = retrying(
            attempts=retry.attempts, budget_s=retry.budget_s, max_wait_s=retry.max_wait_s
        )
        return calling(self._once, kind, endpoint, args, kwargs)

    def _once(
        self, kind: CallKind, endpoint: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> Response:
        if self._refused is not None:
            raise AuthenticationError(self._refused)
        self.limits.budget.check()
        (self.limits.search if kind is CallKind.search else self.limits.general).acquire()
        if kind is CallKind.write:
            self.calls.write += 1
        else:
            self.calls.read += 1
        from urllib3.exceptions import HTTPError

        try:
            answer = endpoint(
                *args, _preload_content=False, _request_timeout=self.settings.timeout_s, **kwargs
            )
            status, raw, headers = answer.status, answer.data, answer.headers
        except api_exceptions() as exc:
            status, raw, headers = _parts(exc)
        except HTTPError as exc:
            if _untrusted(exc):
                raise ConnectorError(
                    f"HubSpot at {self.settings.base_url}: its TLS certificate is not trusted "
                    f"({_reason(exc)}); if your network re-signs TLS, set ca_bundle (or "
                    "REQUESTS_CA_BUNDLE) to its CA file"
                ) from None
            raise RetryableError(
                f"cannot reach HubSpot at {self.settings.base_url}: {exc}"
            ) from None
        if not self.limits.observe(headers) and kind is CallKind.search:
            self.limits.count_unreported()
        body = _decode(raw)
        if 200 <= status < 300:
            return Response(status, body)
        raise self._failure(kind, status, body, headers)

    def _failure(
        self, kind: CallKind, status: int, body: Any, headers: Mapping[str, str]
    ) -> Exception:
        category, message = error_fields(body)
        wait = _retry_after(headers)
        if status in (401, 403):
            what = "the access token" if status == 401 else "this call: a scope is missing"
            scopes = _required_scopes(body)
            self._refused = (
                f"HubSpot refused {what} (token from ${self._token_source}): "
                f"{status} {category}: {message}" + (f" (needs {scopes})" if scopes else "")
            )
            return AuthenticationError(self._refused)
        if status == 429:
            policy = rate_limit_policy(body, message)
            if policy == "DAILY":
                return BudgetExhaustedError(f"HubSpot's daily API limit is reached: {message}")
            limiter = self.limits.search if kind is CallKind.search else self.limits.general
            limiter.pause(wait if wait is not None else limiter.per_s)
            named = ", ".join(dict.fromkeys(n for n in (category, policy) if n != "UNKNOWN"))
            logger.warning("HubSpot rate limit (%s): %s", named or "unknown", message)
            return RetryableError(f"HubSpot rate limit ({named or 'unknown'}): {message}", wait)
        if status == 423:
            return RetryableError(
                f"HubSpot record locked: {message}", max(wait or 0, _LOCKED_WAIT_S)
            )
        if status == 0 or status >= 500 or status == 477:
            if wait is not None:
                # An unavailable service asked for a pause: no call of any kind before it
                # ends, also when this call runs out of tries and the caller moves on or
                # retries the whole batch sooner.
                self.limits.general.pause(wait)
                self.limits.search.pause(wait)
            return RetryableError(f"HubSpot answered {status} {category}: {message}", wait)
        return HubSpotError(status, category, message)

    def close(self) -> None:
        """Drop pooled connections."""
        for api in self._apis:
            api.api_client.rest_client.pool_manager.clear()
