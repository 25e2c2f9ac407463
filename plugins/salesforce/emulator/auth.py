"""Logging in: SOAP ``login`` and the OAuth token endpoint (password, JWT bearer and client
credentials grants).

Failures answer as Salesforce does: a SOAP fault (HTTP 500) with ``sf:exceptionCode``
``INVALID_LOGIN``, or a 400 with an OAuth error object such as
``{"error": "invalid_grant", "error_description": "authentication failure"}``.
"""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import jwt

from funnelsync.plugins.salesforce.emulator.exchange import Reply, Request, json_reply
from funnelsync.plugins.salesforce.emulator.schema import ORG_ID, USER_ID

if TYPE_CHECKING:
    from funnelsync.plugins.salesforce.emulator.org import Org

_PARTNER = "{urn:partner.soap.sforce.com}"
_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _soap_fault(code: str, message: str) -> Reply:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{code}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Reply(500, body.encode(), "text/xml;charset=UTF-8")


def _soap_success(request: Request, version: str, session_id: str, username: str) -> Reply:
    server = f"{request.base_url}/services/Soap/u/{version}/{ORG_ID[:15]}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{request.base_url}/services/Soap/m/{version}/{ORG_ID[:15]}"
        "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
        f"<serverUrl>{server}</serverUrl><sessionId>{session_id}</sessionId>"
        f"<userId>{USER_ID}</userId><userInfo><organizationId>{ORG_ID}</organizationId>"
        f"<userName>{escape(username)}</userName></userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Reply(200, body.encode(), "text/xml;charset=UTF-8")


def soap_login(org: Org, request: Request, version: str) -> Reply:
    """``POST /services/Soap/u/{version}``: partner API login with password + token."""
    invalid = "Invalid username, password, security token; or user locked out."
    try:
        root = ElementTree.fromstring(request.body)  # noqa: S314 - loopback test server
    except ElementTree.ParseError:
        return _soap_fault("INVALID_REQUEST", "could not parse the login request")
    username = root.findtext(f".//{_PARTNER}username") or ""
    password = root.findtext(f".//{_PARTNER}password") or ""
    known = org.users.get(username)
    if known is None or password != known[0] + known[1]:
        return _soap_fault("INVALID_LOGIN", invalid)
    return _soap_success(request, version, org.issue_session(username), username)


def _oauth_error(error: str, description: str) -> Reply:
    return json_reply(400, {"error": error, "error_description": description})


def _token(org: Org, request: Request, username: str) -> Reply:
    issued = str(int(time.time() * 1000))
    return json_reply(
        200,
        {
            "access_token": org.issue_session(username),
            "instance_url": request.base_url,
            "id": f"{request.base_url}/id/{ORG_ID}/{USER_ID}",
            "token_type": "Bearer",
            "issued_at": issued,
            "signature": "emulated",
        },
    )


def token(org: Org, request: Request) -> Reply:
    """``POST /services/oauth2/token``: the password, JWT bearer and client-credentials grants."""
    form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
    grant = form.get("grant_type")
    if grant == "password":
        app = org.apps.get(form.get("client_id", ""))
        if app is None:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if app.consumer_secret != form.get("client_secret"):
            return _oauth_error("invalid_client", "invalid client credentials")
        username = form.get("username", "")
        known = org.users.get(username)
        if known is None or form.get("password") not in (known[0], known[0] + known[1]):
            return _oauth_error("invalid_grant", "authentication failure")
        return _token(org, request, username)
    if grant == _JWT_GRANT:
        return _jwt_bearer(org, request, form.get("assertion", ""))
    if grant == "client_credentials":
        return _client_credentials(org, request, form)
    return _oauth_error("unsupported_grant_type", "grant type not supported")


def _client_credentials(org: Org, request: Request, form: dict[str, str]) -> Reply:
    """The client-credentials grant: the client authenticates with HTTP Basic or with
    ``client_id``/``client_secret`` in the form (both are documented), and the token is
    issued for the app's run-as user."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return _oauth_error("invalid_client", "invalid client credentials")
    app = org.apps.get(client_id or "")
    if app is None:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if app.consumer_secret is None or app.consumer_secret != secret:
        return _oauth_error("invalid_client", "invalid client credentials")
    if app.run_as is None:
        return _oauth_error("invalid_grant", "no client credentials user enabled")
    return _token(org, request, app.run_as)


def _jwt_bearer(org: Org, request: Request, assertion: str) -> Reply:
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _oauth_error("invalid_grant", "invalid assertion")
    app = org.apps.get(str(claims.get("iss", "")))
    if app is None or app.public_key is None:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    try:
        jwt.decode(assertion, app.public_key, algorithms=["RS256"], audience=list(_AUDIENCES))
    except jwt.InvalidAudienceError:
        return _oauth_error("invalid_grant", "audience is invalid")
    except jwt.ExpiredSignatureError:
        return _oauth_error("invalid_grant", "expired authorization code")
    except jwt.PyJWTError:
        return _oauth_error("invalid_grant", "invalid assertion")
    username = str(claims.get("sub", ""))
    if username not in org.users:
        return _oauth_error("invalid_grant", "user hasn't approved this consumer")
    return _token(org, request, username)
