"""One logged-in simple-salesforce client, and the rules every call to it follows.

:meth:`SalesforceApi.call` runs one step against the client and translates what can go
wrong: ``INVALID_SESSION_ID`` logs in once more and repeats the step, then becomes an
:class:`AuthenticationError`; ``403 REQUEST_LIMIT_EXCEEDED`` becomes a
:class:`BudgetExhaustedError` (never retried); other refusals are
:class:`AuthenticationError`; anything else is a :class:`CallFailedError`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from funnelsync.connector import AuthenticationError, BudgetExhaustedError, ConnectorError
from funnelsync.plugins.salesforce.budget import SalesforceBudget, UsageLedger
from funnelsync.plugins.salesforce.login import can_log_in_again, log_in
from funnelsync.plugins.salesforce.settings import SalesforceSettings
from funnelsync.plugins.salesforce.transport import Purpose, SalesforceSession, describe_failure
from funnelsync.run_report import ApiCalls
from funnelsync.shared_limits import SharedLimits

T = TypeVar("T")

_TRANSIENT = frozenset({"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT"})


class CallFailedError(ConnectorError):
    """A call Salesforce answered with an error (or that did not reach it)."""

    def __init__(self, message: str, status: int | None, code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        """Whether trying again later may succeed (network, 5xx, locks, timeouts)."""
        return self.status is None or self.status >= 500 or self.code in _TRANSIENT


def first_error(content: Any) -> tuple[str | None, str]:
    """``(errorCode, message)`` of a Salesforce error body (a JSON array), or of its text."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        entry = content[0]
        return entry.get("errorCode"), str(entry.get("message", ""))
    return None, str(content)[:500]


class SalesforceApi:
    """A lazily logged-in client plus the call accounting of one connection."""

    def __init__(
        self,
        settings: SalesforceSettings,
        workspace_dir: Path,
        calls: ApiCalls,
        ledger: UsageLedger | None = None,
        limits: SharedLimits | None = None,
    ) -> None:
        self.settings = settings
        self.workspace_dir = workspace_dir
        self.budget = SalesforceBudget(
            settings.daily_budget_share, settings.org_floor, ledger or UsageLedger(None), limits
        )
        ca_bundle = settings.ca_bundle

        def observe(used: int, allowance: int) -> None:
            self.budget.observe(used, allowance)
            calls.observe_allowance("day", allowance, allowance - used)

        self.session = SalesforceSession(
            calls,
            observe,
            settings.endpoint(),
            on_call=self.budget.ledger.count,
            timeout_s=settings.timeout_s,
            retry=settings.retry,
            ca_bundle=workspace_dir / ca_bundle if ca_bundle is not None else None,
        )
        self._client: Salesforce | None = None

    @property
    def client(self) -> Salesforce:
        """The logged-in client (logging in on first use)."""
        if self._client is None:
            self.session.purpose = "read"
            login = log_in(self.settings, self.session, self.workspace_dir)
            self._client = Salesforce(
                session_id=login.session_id.get_secret_value(),
                instance=login.instance,
                version=self.settings.api_version,
                session=self.session,
            )
        return self._client

    @property
    def instance_url(self) -> str:
        """The org's base URL, for record links people can open."""
        loopback = self.settings.endpoint().loopback
        return loopback or f"https://{self.client.sf_instance}"

    def call(self, purpose: Purpose, step: Callable[[Salesforce], T]) -> T:
        """Run ``step`` with the client, counting its calls as ``purpose``."""
        renewed = False
        while True:
            client = self.client
            self.session.purpose = purpose
            try:
                return step(client)
            except SalesforceExpiredSession:
                if renewed or not can_log_in_again(self.settings):
                    raise self._expired(renewed) from None
                renewed = True
                self._client = None
            except SalesforceRefusedRequest as exc:
                raise self._refused(exc) from None
            except SalesforceError as exc:
                code, message = first_error(exc.content)
                text = f"Salesforce answered {exc.status} {code or ''} on {exc.resource_name}"
                raise CallFailedError(f"{text.rstrip()}: {message}", exc.status, code) from None
            except requests.RequestException as exc:
                message = f"cannot reach Salesforce ({describe_failure(exc)})"
                raise CallFailedError(message, None, None) from None
            finally:
                self.session.purpose = "read"

    def _expired(self, renewed: bool) -> AuthenticationError:
        if renewed:
            return AuthenticationError(
                "Salesforce rejected the session as invalid or expired (INVALID_SESSION_ID) "
                "again right after a new login; check the user's API access and session settings"
            )
        return AuthenticationError(
            "Salesforce rejected the session as invalid or expired (INVALID_SESSION_ID); "
            "put a fresh session id in the variable named by auth.session_id_env"
        )

    def _refused(self, exc: SalesforceRefusedRequest) -> ConnectorError:
        code, message = first_error(exc.content)
        if code == "REQUEST_LIMIT_EXCEEDED":
            used = f" ({self.budget.used} of {self.budget.allowance})" if self.budget.used else ""
            return BudgetExhaustedError(
                f"Salesforce refused the call: the org's daily API allowance is used up{used} "
                f"(REQUEST_LIMIT_EXCEEDED: {message})"
            )
        return AuthenticationError(f"Salesforce refused the call ({code}: {message})")

    def close(self) -> None:
        """Close the HTTP session and keep the count of funnelsync's own calls."""
        self.session.close()
        self.budget.ledger.save()
