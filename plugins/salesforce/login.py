"""Logging in with simple-salesforce's ``SalesforceLogin``, secrets read from the environment.

Errors name the user and the environment variable to look at, never a secret.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr
from requests.exceptions import SSLError
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin, token_login

from funnelsync.connector import AuthenticationError, ConnectorError
from funnelsync.plugins.salesforce.settings import (
    ClientCredentialsAuth,
    JwtAuth,
    PasswordAuth,
    SalesforceSettings,
    SessionAuth,
)
from funnelsync.plugins.salesforce.transport import describe_failure


@dataclass(frozen=True, slots=True)
class Login:
    """A session: its id and the instance host (``host[:port]``) it belongs to."""

    session_id: SecretStr
    instance: str


def secret_from_env(variable: str, setting: str) -> SecretStr:
    """The value of environment variable ``variable``; :class:`ConnectorError` if unset."""
    value = os.environ.get(variable)
    if not value:
        raise ConnectorError(f"environment variable {variable} (named by {setting}) is not set")
    return SecretStr(value)


def can_log_in_again(settings: SalesforceSettings) -> bool:
    """Whether a session can be renewed (not with a given session id)."""
    return not isinstance(settings.auth, SessionAuth)


def log_in(settings: SalesforceSettings, session: requests.Session, workspace_dir: Path) -> Login:
    """Log in as the settings say; :class:`AuthenticationError` if Salesforce refuses."""
    auth = settings.auth
    if isinstance(auth, SessionAuth):
        instance = urlsplit(auth.instance_url).netloc
        return Login(secret_from_env(auth.session_id_env, "auth.session_id_env"), instance)
    domain = settings.endpoint().domain
    try:
        if isinstance(auth, PasswordAuth):
            password = secret_from_env(auth.password_env, "auth.password_env")
            token = secret_from_env(auth.security_token_env, "auth.security_token_env")
            session_id, instance = SalesforceLogin(
                username=auth.username,
                password=password.get_secret_value(),
                security_token=token.get_secret_value(),
                sf_version=settings.api_version,
                session=session,
                domain=domain,
            )
        elif isinstance(auth, ClientCredentialsAuth):
            secret = secret_from_env(auth.consumer_secret_env, "auth.consumer_secret_env")
            session_id, instance = _client_credentials(auth, secret, domain, session)
        else:
            key = _private_key(auth, workspace_dir)
            session_id, instance = SalesforceLogin(
                username=auth.username,
                consumer_key=auth.consumer_key,
                privatekey_file=str(key),
                session=session,
                domain=domain,
            )
    except SalesforceAuthenticationFailed as exc:
        who = (
            f"of the app {auth.consumer_key}"
            if isinstance(auth, ClientCredentialsAuth)
            else f"of {auth.username}"
        )
        raise AuthenticationError(
            f"Salesforce refused the {auth.kind} login {who} ({exc.code}: {exc.auth_message})"
        ) from None
    except requests.RequestException as exc:
        reason = describe_failure(exc) if isinstance(exc, SSLError) else type(exc).__name__
        where = settings.endpoint().loopback or f"https://{domain}.salesforce.com"
        raise ConnectorError(f"cannot reach Salesforce at {where} to log in ({reason})") from None
    return Login(SecretStr(str(session_id)), str(instance))


def _client_credentials(
    auth: ClientCredentialsAuth, secret: SecretStr, domain: str, session: requests.Session
) -> tuple[str, str]:
    """The client-credentials grant, as simple-salesforce sends it (HTTP Basic client
    authentication) but also on a loopback emulator, whose domain is ``login``."""
    pair = f"{auth.consumer_key}:{secret.get_secret_value()}".encode()
    headers = {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}
    session_id, instance = token_login(
        f"https://{domain}.salesforce.com/services/oauth2/token",
        {"grant_type": "client_credentials"},
        domain,
        auth.consumer_key,
        headers,
        None,
        session,
    )
    return str(session_id), str(instance)


def _private_key(auth: JwtAuth, workspace_dir: Path) -> Path:
    path = workspace_dir / auth.private_key_file
    if not path.is_file():
        raise ConnectorError(f"{path}: no such private key file (auth.private_key_file)")
    return path
