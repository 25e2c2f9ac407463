"""The HTTP transport: timeouts on hung answers, and which CA certificates are trusted."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

from funnelsync.connector import ConnectorError, LeadWrite, WriteStatus
from funnelsync.plugins.hubspot import HubSpotConnector
from funnelsync.plugins.hubspot.emulator.server import HubSpotEmulator

HUNG_S = 60.0
"""How long a hung answer is held: far longer than any timeout below."""


def test_a_hung_answer_is_dropped_at_the_timeout_and_retried(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    ids = emulator.add_contacts({"email": f"p{i}@example.com"} for i in range(3))
    emulator.hang_next(1, path="/search", seconds=HUNG_S)
    connector = connect(emulator, timeout_s=0.5)
    started = time.monotonic()
    records = [r.record_id for batch in connector.read_leads(None) for r in batch.records]
    assert sorted(records) == sorted(ids)
    assert time.monotonic() - started < HUNG_S / 2
    assert emulator.calls_to("/search") == 1  # the hung call never answered; its retry did
    assert connector.calls.read == len(emulator.requests) + 1  # the hung one counted too


def test_a_portal_that_keeps_hanging_fails_reads_and_defers_writes(
    emulator: HubSpotEmulator, connect: Callable[..., HubSpotConnector]
) -> None:
    emulator.hang_next(4, seconds=HUNG_S)
    connector = connect(emulator, timeout_s=0.3, retry={"attempts": 2, "max_wait_s": 0.1})
    started = time.monotonic()
    with pytest.raises(
        ConnectorError, match=r"failed after retries: cannot reach HubSpot.*timed out"
    ):
        list(connector.read_leads(None))
    [result] = connector.write_leads([LeadWrite("ann@example.com", None, {"firstname": "Ann"})])
    assert result.status is WriteStatus.retryable
    assert time.monotonic() - started < HUNG_S / 2


@pytest.fixture
def tls_portal(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path
) -> tuple[HubSpotEmulator, Path]:
    """An emulator serving HTTPS with a certificate from a throwaway CA."""
    ca = trustme.CA()
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    emulator = make_emulator(tls=context)
    emulator.add_contacts([{"email": "ann@example.com"}])
    return emulator, ca_file


def _reads(connector: HubSpotConnector) -> int:
    return sum(len(batch.records) for batch in connector.read_leads(None))


def test_the_ca_bundle_setting_is_trusted(
    tls_portal: tuple[HubSpotEmulator, Path],
    connect: Callable[..., HubSpotConnector],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    emulator, ca_file = tls_portal
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert emulator.base_url.startswith("https://127.0.0.1:")
    connector = connect(emulator, ca_bundle=ca_file.name)  # relative to the workspace
    assert connector.check().ok
    assert _reads(connector) == 1


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_the_environments_ca_bundle_is_trusted_by_default(
    tls_portal: tuple[HubSpotEmulator, Path],
    connect: Callable[..., HubSpotConnector],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    emulator, ca_file = tls_portal
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv(variable, str(ca_file))
    assert _reads(connect(emulator)) == 1


def test_an_unknown_ca_is_refused(
    tls_portal: tuple[HubSpotEmulator, Path],
    connect: Callable[..., HubSpotConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator, _ = tls_portal
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    connector = connect(emulator)
    result = connector.check()
    assert not result.ok
    message = " ".join(result.messages)
    assert "TLS certificate is not trusted" in message and "set ca_bundle" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert connector.calls.read == 1  # not retried: retrying cannot help


def test_a_ca_bundle_that_is_not_a_file_is_named(
    emulator: HubSpotEmulator,
    connect: Callable[..., HubSpotConnector],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConnectorError, match=r"settings\.ca_bundle names .*missing\.pem"):
        connect(emulator, base_url="https://api.hubapi.com", ca_bundle="missing.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    with pytest.raises(ConnectorError, match=r"\$REQUESTS_CA_BUNDLE names '/nonexistent/ca.pem'"):
        connect(emulator, base_url="https://api.hubapi.com")
    assert connect(emulator).check().ok  # plain HTTP (the emulator) needs no CA
