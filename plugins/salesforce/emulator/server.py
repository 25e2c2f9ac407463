"""The emulator's HTTP side: a threaded server on loopback, routing, auth and API limits.

Every REST call needs a live session (else 401 ``INVALID_SESSION_ID``), counts against
the org's daily allowance (403 ``REQUEST_LIMIT_EXCEEDED`` once it is used up, without
counting), and every response carries ``Sforce-Limit-Info: api-usage=N/M``. Calls are
counted per endpoint in :attr:`Org.calls` (``query``, ``queryAll``, ``query_more``,
``collections_update``, ``bulk_upload``…). Before any of that, :mod:`.traffic` may delay
a call or fail it (a 5xx or 429 answer, a reset connection, a hang).
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from funnelsync.plugins.salesforce.emulator import auth, bulk, rest
from funnelsync.plugins.salesforce.emulator.api_errors import (
    ApiError,
    invalid_session,
    limit_exceeded,
    not_found,
)
from funnelsync.plugins.salesforce.emulator.exchange import Reply, Request, error_reply
from funnelsync.plugins.salesforce.emulator.org import Org
from funnelsync.plugins.salesforce.emulator.traffic import (
    Failure,
    Fault,
    FaultKind,
    Traffic,
    TrafficConfig,
)

logger = logging.getLogger(__name__)

Handler = Callable[[Org, Request, dict[str, str]], Reply]
_DATA = r"/services/data/v(?P<version>\d+\.\d)"
_JOB = _DATA + r"/jobs/ingest/(?P<job>\w+)"


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    rest: bool = True
    """Needs a session and counts against the API allowance."""


def _route(method: str, pattern: str, name: str, handler: Handler, rest: bool = True) -> _Route:
    return _Route(method, re.compile(pattern + "/?$"), name, handler, rest)


_ROUTES = (
    _route(
        "POST", r"/services/oauth2/token", "oauth_token", lambda o, r, m: auth.token(o, r), False
    ),
    _route(
        "POST",
        r"/services/Soap/u/(?P<version>\d+\.\d)",
        "soap_login",
        lambda o, r, m: auth.soap_login(o, r, m["version"]),
        False,
    ),
    *(
        _route(
            "GET",
            _DATA + rf"/(?P<endpoint>{endpoint})",
            endpoint,
            lambda o, r, m: rest.query(o, r, m["version"], m["endpoint"]),
        )
        for endpoint in ("query", "queryAll")
    ),
    *(
        _route(
            "GET",
            _DATA + rf"/(?P<endpoint>{endpoint})/(?P<position>[\w-]+)",
            f"{endpoint}_more",
            lambda o, r, m: rest.query_more(o, m["version"], m["endpoint"], m["position"]),
        )
        for endpoint in ("query", "queryAll")
    ),
    _route(
        "GET",
        _DATA + r"/sobjects/(?P<sobject>\w+)/describe",
        "describe",
        lambda o, r, m: rest.describe(o, m["version"], m["sobject"]),
    ),
    _route(
        "POST",
        _DATA + r"/composite/sobjects",
        "collections_create",
        lambda o, r, m: rest.collections(o, r, "create", None),
    ),
    _route(
        "PATCH",
        _DATA + r"/composite/sobjects",
        "collections_update",
        lambda o, r, m: rest.collections(o, r, "update", None),
    ),
    _route(
        "PATCH",
        _DATA + r"/composite/sobjects/(?P<sobject>\w+)/(?P<field>\w+)",
        "collections_upsert",
        lambda o, r, m: rest.collections(o, r, "upsert", (m["sobject"], m["field"])),
    ),
    _route(
        "POST",
        _DATA + r"/jobs/ingest",
        "bulk_create",
        lambda o, r, m: bulk.create_job(o, r, m["version"]),
    ),
    _route("PUT", _JOB + r"/batches", "bulk_upload", lambda o, r, m: bulk.upload(o, r, m["job"])),
    _route("PATCH", _JOB, "bulk_state", lambda o, r, m: bulk.change_state(o, r, m["job"])),
    _route("GET", _JOB, "bulk_info", lambda o, r, m: bulk.job_info(o, m["job"])),
    _route("DELETE", _JOB, "bulk_delete", lambda o, r, m: bulk.delete_job(o, m["job"])),
    _route(
        "GET",
        _JOB + r"/(?P<kind>successfulResults|failedResults|unprocessed[Rr]ecords)",
        "bulk_results",
        lambda o, r, m: bulk.results(o, m["job"], m["kind"]),
    ),
)


def _session_of(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") and token.strip() else None


def dispatch(org: Org, request: Request) -> Reply:
    """Answer one request (under the org's lock)."""
    with org.lock:
        route = next(
            (r for r in _ROUTES if r.method == request.method and r.pattern.match(request.path)),
            None,
        )
        org.calls[route.name if route else "unknown"] += 1
        try:
            if route is None or route.rest:
                session = _session_of(request)
                if org.reject_sessions or session not in org.sessions:
                    raise invalid_session()
                if org.api_used >= org.api_limit:
                    raise limit_exceeded()
                org.api_used += 1
            if route is None:
                raise not_found()
            match = route.pattern.match(request.path)
            assert match is not None
            reply = route.handler(org, request, match.groupdict())
        except ApiError as exc:
            reply = error_reply(exc)
        except Exception as exc:
            logger.exception("emulator failed on %s %s", request.method, request.path)
            reply = error_reply(ApiError(500, "UNKNOWN_EXCEPTION", f"{type(exc).__name__}: {exc}"))
        reply.headers["Sforce-Limit-Info"] = f"api-usage={org.api_used}/{org.api_limit}"
        return reply


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Headers and body go out as separate writes; without this each reply waits ~40 ms."""

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=url.path,
            params={key: values[0] for key, values in parse_qs(url.query).items()},
            headers={key.lower(): value for key, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            base_url=self.server.base_url,
        )
        failure = self.server.traffic.admit(self.command, url.path)
        if failure is not None and failure.kind != "status":
            self._fail(failure)
            return
        reply = error_reply(failure.error()) if failure else dispatch(self.server.org, request)
        if failure is not None and failure.retry_after is not None:
            reply.headers["Retry-After"] = str(failure.retry_after)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _fail(self, failure: Failure) -> None:
        """End the call without an answer: reset at once, or after a hang."""
        if failure.kind == "hang":
            self.server.traffic.hang(failure.hang_s)
        # SO_LINGER 0: closing sends a TCP reset instead of an orderly end.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815 - http.server names

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the demo print what matters themselves."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, org: Org, traffic: Traffic, host: str, port: int, tls: ssl.SSLContext | None
    ) -> None:
        super().__init__((host, port), _Handler)
        self.org = org
        self.traffic = traffic
        scheme = "http"
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
            scheme = "https"
        self.base_url = f"{scheme}://{host}:{self.server_address[1]}"


class SalesforceEmulator:
    """A Salesforce org on ``http://127.0.0.1:<port>``: start it, seed :attr:`org`, point
    the connector's ``domain`` at :attr:`base_url`.

    Usable as a context manager (started on enter, stopped on exit). ``traffic`` sets
    latency and random failures (:class:`TrafficConfig`); ``tls`` serves HTTPS on
    ``https://<host>:<port>`` with that server context (a throwaway CA's certificate).
    """

    def __init__(
        self,
        org: Org | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        traffic: TrafficConfig | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.org = org or Org()
        self.traffic = Traffic(traffic)
        """Latency and failures; change :attr:`Traffic.config` while running as needed."""
        self._tls = tls
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``; only while running."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.base_url

    def start(self) -> SalesforceEmulator:
        """Listen (port 0 picks a free port) and serve in a background thread."""
        if self._server is None:
            self.traffic.stopping.clear()
            self._server = _Server(self.org, self.traffic, self._host, self._port, self._tls)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="salesforce-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self.traffic.stopping.set()
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._server = self._thread = None

    def fail_next(
        self,
        count: int,
        kind: FaultKind = "status",
        *,
        path: str = "",
        status: int = 503,
        retry_after: int | None = None,
        hang_s: float = 3600.0,
        method: str | None = None,
    ) -> None:
        """Fail the next ``count`` calls whose path contains ``path`` (of ``method``, if
        given): answer ``status``, reset the connection, or hang (``hang_s`` seconds, or
        until the emulator stops)."""
        self.traffic.add(Fault(kind, count, path, status, retry_after, hang_s, method))

    def __enter__(self) -> SalesforceEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
