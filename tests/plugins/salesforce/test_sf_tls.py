"""Trusting a custom CA: an org behind TLS that a throwaway CA signed (as a corporate proxy
re-signs it), reached on loopback through the real requests stack.

This machine sets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE to the system bundle, which
requests would otherwise let override a session's own ``verify``."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from sf_support import PASSWORD, TOKEN, USERNAME, add_funnel_fields, make_connector

from funnelsync.plugins.salesforce.emulator import SalesforceEmulator

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_org(ca: trustme.CA) -> Iterator[SalesforceEmulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with SalesforceEmulator(tls=context) as running:
        running.org.add_user(USERNAME, PASSWORD, TOKEN)
        add_funnel_fields(running.org)
        yield running


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def system_bundle_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment as on this machine: every CA variable names the system bundle."""
    for name in CA_VARIABLES:
        monkeypatch.setenv(name, SYSTEM_BUNDLE)


@pytest.mark.usefixtures("system_bundle_everywhere")
def test_ca_bundle_trusts_the_org_even_when_the_environment_names_another_bundle(
    tls_org: SalesforceEmulator, ca_file: Path, tmp_path: Path
) -> None:
    assert tls_org.base_url.startswith("https://127.0.0.1:")
    connector = make_connector(tls_org, tmp_path, ca_bundle=ca_file.name)  # workspace-relative

    result = connector.check()

    assert result.ok, result.messages
    assert result.messages[0].startswith(f"logged in to {tls_org.base_url}")
    assert tls_org.org.calls["soap_login"] == 1
    connector.close()


@pytest.mark.usefixtures("system_bundle_everywhere")
def test_an_untrusted_certificate_fails_the_login_at_once_and_says_what_to_set(
    tls_org: SalesforceEmulator, tmp_path: Path
) -> None:
    connector = make_connector(tls_org, tmp_path)

    result = connector.check()

    assert not result.ok
    [message] = result.messages
    assert f"cannot reach Salesforce at {tls_org.base_url} to log in (SSLError" in message
    assert "name its CA's PEM file in ca_bundle" in message
    assert tls_org.org.calls["soap_login"] == 0
    assert tls_org.traffic.failed == {"status": 0, "reset": 0, "hang": 0}
    connector.close()


@pytest.mark.parametrize("variable", CA_VARIABLES)
def test_each_ca_variable_of_the_environment_is_honoured_by_default(
    tls_org: SalesforceEmulator,
    ca_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, str(ca_file))
    connector = make_connector(tls_org, tmp_path)

    result = connector.check()

    assert result.ok, result.messages
    connector.close()
