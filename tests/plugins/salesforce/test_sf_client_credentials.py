"""The OAuth 2.0 client-credentials flow of an External Client App: login, renewal,
refusals without secrets, the My Domain rule, and check's warning on password login."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests
from pydantic import ValidationError
from sf_support import USERNAME, make_connector, read_all

from funnelsync.connector import AuthenticationError
from funnelsync.plugins.salesforce import SalesforceSettings
from funnelsync.plugins.salesforce.connector import RETIRING_LOGIN_WARNING
from funnelsync.plugins.salesforce.emulator import SalesforceEmulator

APP = "3MVG9funnelsync.eca"
SECRET = "eca-s3cret-0123456789"
SECRET_ENV = "SF_TEST_CONSUMER_SECRET"
AUTH = {"kind": "client_credentials", "consumer_key": APP, "consumer_secret_env": SECRET_ENV}


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def test_the_app_logs_in_as_its_run_as_user_and_renews_an_expired_session(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    emulator.org.add_connected_app(APP, consumer_secret=SECRET, run_as=USERNAME)
    emulator.org.add_lead(LastName="Kim", Email="kim@example.com")
    connector = make_connector(emulator, tmp_path, auth=AUTH)

    result = connector.check()

    assert result.ok, result.messages
    assert RETIRING_LOGIN_WARNING not in result.messages
    assert emulator.org.calls["oauth_token"] == 1
    assert emulator.org.calls["soap_login"] == 0
    emulator.org.expire_sessions()
    assert len(read_all(connector.read_leads(None)).records) == 1
    assert emulator.org.calls["oauth_token"] == 2
    connector.close()


@pytest.mark.parametrize(
    ("secret", "run_as", "expected"),
    [
        ("wrong-secret", USERNAME, "invalid_client: invalid client credentials"),
        (SECRET, None, "invalid_grant: no client credentials user enabled"),
    ],
)
def test_refusals_name_the_app_and_the_reason_but_no_secret(
    emulator: SalesforceEmulator, tmp_path: Path, secret: str, run_as: str | None, expected: str
) -> None:
    emulator.org.add_connected_app(APP, consumer_secret=secret, run_as=run_as)
    connector = make_connector(emulator, tmp_path, auth=AUTH)

    with pytest.raises(AuthenticationError) as caught:
        connector.describe_fields()

    assert f"client_credentials login of the app {APP}" in str(caught.value)
    assert expected in str(caught.value)
    check = connector.check()
    assert not check.ok
    assert all(SECRET not in text for text in (*check.messages, str(caught.value)))
    connector.close()


def test_the_emulator_takes_the_client_in_the_form_as_well_as_in_basic_auth(
    emulator: SalesforceEmulator,
) -> None:
    emulator.org.add_connected_app(APP, consumer_secret=SECRET, run_as=USERNAME)
    url = f"{emulator.base_url}/services/oauth2/token"
    form = {"grant_type": "client_credentials", "client_id": APP, "client_secret": SECRET}
    basic = base64.b64encode(f"{APP}:{SECRET}".encode()).decode()
    in_form = requests.post(url, data=form, timeout=10)
    in_header = requests.post(
        url,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    for answer in (in_form, in_header):
        assert answer.status_code == 200, answer.text
        assert answer.json()["instance_url"] == emulator.base_url
        assert answer.json()["access_token"] in emulator.org.sessions
    unknown = requests.post(url, data={**form, "client_id": "nobody"}, timeout=10)
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_client_id")


@pytest.mark.parametrize("domain", ["login", "test"])
def test_client_credentials_need_a_my_domain(domain: str) -> None:
    with pytest.raises(ValidationError, match="needs the org's My Domain"):
        SalesforceSettings.model_validate({"auth": AUTH, "domain": domain})
    settings = SalesforceSettings.model_validate({"auth": AUTH, "domain": "acme.my"})
    assert settings.endpoint().domain == "acme.my"


def test_check_warns_that_password_login_is_being_retired(
    emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    connector = make_connector(emulator, tmp_path)  # password + security token
    result = connector.check()
    assert result.ok
    assert RETIRING_LOGIN_WARNING in result.messages
    connector.close()
