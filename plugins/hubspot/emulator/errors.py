"""HubSpot's error bodies: the ``Error`` and ``StandardError`` shapes of the CRM v3 spec."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    """An error the emulator answers with: HTTP status plus HubSpot's error fields."""

    status: int
    category: str
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, list[str]] = field(default_factory=dict)
    sub_category: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.category}: {self.message}"

    def body(self) -> dict[str, Any]:
        """The top-level error body (spec schema ``Error``)."""
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": str(uuid.uuid4()),
            "category": self.category,
        }
        if self.errors:
            body["errors"] = self.errors
        if self.context:
            body["context"] = self.context
        if self.sub_category:
            body["subCategory"] = self.sub_category
        return body

    def standard(self, context: dict[str, list[str]]) -> dict[str, Any]:
        """This error as one entry of a batch response (spec schema ``StandardError``)."""
        entry: dict[str, Any] = {
            "status": "error",
            "category": self.category,
            "message": self.message,
            "context": {**self.context, **context},
            "errors": self.errors,
            "links": {},
        }
        if self.sub_category:
            entry["subCategory"] = self.sub_category
        return entry


def validation_error(message: str, **context: list[str]) -> ApiError:
    """A 400 ``VALIDATION_ERROR`` about the request itself."""
    return ApiError(400, "VALIDATION_ERROR", message, context=dict(context))


@dataclass(frozen=True)
class PropertyProblem:
    """One invalid property value, as HubSpot lists them inside the message."""

    name: str
    code: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "isValid": False,
            "message": self.message,
            "error": self.code,
            "name": self.name,
            "localizedErrorMessage": self.message,
        }


def property_error(problems: list[PropertyProblem]) -> ApiError:
    """HubSpot's ``Property values were not valid: [...]`` validation error."""
    listed = json.dumps([problem.as_json() for problem in problems], separators=(",", ":"))
    return ApiError(
        400,
        "VALIDATION_ERROR",
        f"Property values were not valid: {listed}",
        errors=[
            {
                "message": problem.message,
                "code": problem.code,
                "in": problem.name,
                "context": {"propertyName": [problem.name]},
            }
            for problem in problems
        ],
    )


def conflict(existing_id: str) -> ApiError:
    """The 409 for an email address another contact already has."""
    return ApiError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")


def unauthorized() -> ApiError:
    """The 401 for a missing or unknown token."""
    return ApiError(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )


def missing_scopes(scope: str) -> ApiError:
    """The 403 for a token without the scope an endpoint needs."""
    return ApiError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more about "
        "required scopes here: https://developers.hubspot.com/scopes.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
    )


def rate_limited(policy: str, shape: str = "error_type") -> dict[str, Any]:
    """The 429 body: ``errorType`` and ``policyName`` (as documented), or with ``shape``
    ``"category"`` the ``RATE_LIMITS`` category and the message only (as recorded)."""
    names = {
        "DAILY": "daily",
        "TEN_SECONDLY_ROLLING": "ten_secondly_rolling",
        "SECONDLY": "secondly",
    }
    message = f"You have reached your {names[policy]} limit."
    if shape == "category":
        return {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": "RATE_LIMITS",
        }
    return {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": uuid.uuid4().hex,
    }
