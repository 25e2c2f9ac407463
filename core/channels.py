"""Where a lead's owner is told about a hand-off: a webhook and/or an email address, and
the SMTP server the email notifier sends through."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from funnelsync.models import normalise_email


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class OwnerChannel(BaseModel):
    """How one owner (or the default channel) is reached.

    A value interpolated from an unset ``${VAR:-}`` is blank and means "not this way".
    """

    model_config = ConfigDict(extra="forbid")

    webhook: SecretStr | None = Field(
        default=None, description="URL the webhook notifier posts JSON to; use ${VAR}."
    )
    email: str | None = Field(default=None, description="Address the email notifier writes to.")

    @field_validator("webhook", "email", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("webhook")
    @classmethod
    def _http(cls, value: SecretStr | None) -> SecretStr | None:
        text = "" if value is None else value.get_secret_value()
        if "${" in text:
            return value  # a reference not interpolated yet (the contract read on its own)
        if value is not None and not text.startswith(("http://", "https://")):
            raise ValueError("a webhook is an http:// or https:// URL")
        return value

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None or "${" in value:
            return value
        return normalise_email(value)


class SmtpConfig(BaseModel):
    """The SMTP server hand-off emails go through (``smtp:`` in ``funnelsync.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(description="Server host; blank (an unset ${VAR:-}) sends nothing.")
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(description="The From address.")
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="Use ${VAR} to keep it out.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    timeout_s: float = Field(default=10, gt=0, description="Give up on the server after this.")

    @field_validator("host", "username", "password", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str) -> str:
        return normalise_email(value)

    @model_validator(mode="after")
    def _login_pair(self) -> SmtpConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self
