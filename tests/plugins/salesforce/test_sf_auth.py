"""Logging in: each auth mode, refused logins without secrets, expired sessions, settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError
from sf_support import PASSWORD, TOKEN, USERNAME, make_connector, password_auth, read_all

from funnelsync.connector import AuthenticationError, ConnectorError
from funnelsync.plugins.salesforce import SalesforceConnector, SalesforceSettings
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator


def _key_pair(directory: Path) -> tuple[Path, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "server.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode()


def _jwt_auth(key_file: str) -> dict[str, Any]:
    return {
        "kind": "jwt",
        "username": USERNAME,
        "consumer_key": "funnelsync-app",
        "private_key_file": key_file,
    }


def test_password_and_token_log_in_through_soap(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    result = connector.check()
    assert result.ok, result.messages
    assert result.messages[0].startswith(f"logged in to {emulator.base_url}")
    assert "API usage: " in result.messages[1]
    assert emulator.org.calls["soap_login"] == 1


def test_a_refused_login_names_the_user_but_no_secret(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_TEST_PASSWORD", "wrong-" + PASSWORD)
    connector = make_connector(emulator, tmp_path)
    with pytest.raises(AuthenticationError) as caught:
        read_all(connector.read_leads(None))
    message = str(caught.value)
    assert USERNAME in message and "INVALID_LOGIN" in message
    for secret in (PASSWORD, TOKEN):
        assert secret not in message
        assert secret not in repr(caught.value)
        assert secret not in repr(connector.settings)
    check = connector.check()
    assert not check.ok
    assert all(PASSWORD not in text for text in check.messages)


def test_a_missing_secret_names_its_environment_variable(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SF_TEST_TOKEN")
    result = make_connector(emulator, tmp_path).check()
    assert result.messages == (
        "environment variable SF_TEST_TOKEN (named by auth.security_token_env) is not set",
    )


def test_jwt_bearer_logs_in_with_the_private_key(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    key_file, public_key = _key_pair(tmp_path)
    emulator.org.add_connected_app("funnelsync-app", public_key=public_key)
    connector = make_connector(emulator, tmp_path, auth=_jwt_auth(key_file.name))
    assert connector.check().ok
    assert emulator.org.calls["oauth_token"] == 1


def test_jwt_signed_with_another_key_is_refused(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    (tmp_path / "app").mkdir()
    _, public_key = _key_pair(tmp_path / "app")
    other_key, _ = _key_pair(tmp_path)
    emulator.org.add_connected_app("funnelsync-app", public_key=public_key)
    connector = make_connector(emulator, tmp_path, auth=_jwt_auth(str(other_key)))
    with pytest.raises(AuthenticationError, match="invalid_grant: invalid assertion"):
        connector.describe_fields()


def test_a_session_id_and_instance_url_need_no_login(
    emulator: SalesforceEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_TEST_SESSION", emulator.org.issue_session(USERNAME))
    auth = {
        "kind": "session",
        "session_id_env": "SF_TEST_SESSION",
        "instance_url": emulator.base_url,
    }
    connector = make_connector(emulator, tmp_path, auth=auth, domain="login")
    emulator.org.add_lead(LastName="Kim", Email="kim@example.com")
    assert len(read_all(connector.read_leads(None)).records) == 1
    emulator.org.expire_sessions()
    with pytest.raises(AuthenticationError, match="fresh session id"):
        read_all(connector.read_leads(None))
    assert emulator.org.calls["soap_login"] == 0


def test_an_expired_session_logs_in_once_more(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    emulator.org.add_lead(LastName="Kim", Email="kim@example.com")
    assert connector.check().ok
    emulator.org.expire_sessions()
    assert len(read_all(connector.read_leads(None)).records) == 1
    assert emulator.org.calls["soap_login"] == 2


def test_a_session_refused_again_after_login_is_an_authentication_error(
    connector: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    assert connector.check().ok
    emulator.org.reject_sessions = True
    with pytest.raises(AuthenticationError, match="again right after a new login"):
        read_all(connector.read_leads(None))
    assert emulator.org.calls["soap_login"] == 2


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("login", ("login", None)),
        ("test", ("test", None)),
        ("Acme.My", ("acme.my", None)),
        ("https://acme.my.salesforce.com", ("acme.my", None)),
        ("http://127.0.0.1:8123", ("login", "http://127.0.0.1:8123")),
    ],
)
def test_domains(domain: str, expected: tuple[str, str | None]) -> None:
    settings = SalesforceSettings.model_validate({"auth": password_auth(), "domain": domain})
    endpoint = settings.endpoint()
    assert (endpoint.domain, endpoint.loopback) == expected


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"domain": "http://example.com:80"}, "local emulator"),
        ({"domain": "https://evil.example.com"}, "local emulator"),
        ({"auth": {**password_auth(), "password": "x"}}, "Extra inputs are not permitted"),
        ({"auth": {**password_auth(), "password_env": "not a name"}}, "should match pattern"),
        ({"auth": {"kind": "oauth"}}, "does not match any of the expected tags"),
        (
            {"auth": {"kind": "session", "session_id_env": "S", "instance_url": "http://x.com"}},
            "https",
        ),
        ({"fields": {"score": "Score; DELETE"}}, "not a Salesforce API name"),
        ({"daily_budget_share": 0}, "greater than 0"),
        ({"api_version": "v62.0"}, "should match pattern"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SalesforceSettings.model_validate({"auth": password_auth(), **settings})


def test_missing_private_key_file_is_a_connector_error(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    connector = make_connector(emulator, tmp_path, auth=_jwt_auth("missing.key"))
    with pytest.raises(ConnectorError, match="no such private key file"):
        connector.describe_fields()


def test_proxy_and_ca_bundle_variables_do_not_reach_the_emulator_session(
    connector: SalesforceConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, "/nonexistent/ca.pem")
    assert connector.check().ok
