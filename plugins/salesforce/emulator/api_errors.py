"""Errors the emulated REST API answers with, in Salesforce's shape (a JSON array)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response: HTTP status plus Salesforce's ``errorCode`` and message."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        """The response body: ``[{"message": ..., "errorCode": ..., "fields": [...]}]``."""
        entry: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields:
            entry["fields"] = list(self.fields)
        return [entry]


def not_found() -> ApiError:
    """The 404 Salesforce answers for an unknown resource."""
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> ApiError:
    """The 401 for a missing, expired or unknown session id."""
    return ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def limit_exceeded() -> ApiError:
    """The 403 once the org's daily API allowance is used up."""
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
