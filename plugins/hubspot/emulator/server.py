"""A local, stateful emulator of the HubSpot CRM v3 API slice the connector uses.

It serves real HTTP on loopback, so tests, the demo and benchmarks drive it through the
real hubspot-api-client; a Python API seeds and inspects it. The ``emulator_*`` modules
hold its parts: property definitions, the store and its rules, search, the object and
property endpoints, rate limits and failure knobs. ``docs/connectors/hubspot.md`` says
what it implements.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from funnelsync.plugins.hubspot.emulator.errors import ApiError, missing_scopes, unauthorized
from funnelsync.plugins.hubspot.emulator.properties import property_from_create
from funnelsync.plugins.hubspot.emulator.routes import ALL_SCOPES, Call, resolve
from funnelsync.plugins.hubspot.emulator.store import BackwardLifecycle, CrmStore
from funnelsync.plugins.hubspot.emulator.traffic import Fault, Hang, Traffic, TrafficConfig
from funnelsync.plugins.hubspot.emulator.variants import AnswerVariants

__all__ = [
    "DEFAULT_TOKEN",
    "AnswerVariants",
    "HubSpotEmulator",
    "RecordedRequest",
    "TrafficConfig",
]

DEFAULT_TOKEN = "pat-na1-emulator-token"  # noqa: S105 - a made-up token for local tests
"""The token a default emulator accepts (with every scope)."""


@dataclass(frozen=True)
class RecordedRequest:
    """A request the emulator received, for tests to inspect."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


class HubSpotEmulator:
    """A stateful HubSpot CRM v3 portal on ``127.0.0.1``.

    Use it as a context manager (or ``start()``/``stop()``) and point a client at
    :attr:`base_url`. ``tokens`` maps each accepted private-app token to its scopes
    (``None``: all of them). Seed data with :meth:`add_contacts` and
    :meth:`add_engagement`; read what happened in :attr:`calls` (per ``METHOD path``)
    and :attr:`requests`. ``variants`` picks documented answer shapes other than the
    default ones (:class:`AnswerVariants`); ``tls`` serves HTTPS with that context.
    """

    def __init__(
        self,
        *,
        tokens: Mapping[str, Iterable[str] | None] | None = None,
        port: int = 0,
        search_cap: int = 10_000,
        backward_lifecycle: BackwardLifecycle = "reject",
        traffic: TrafficConfig | None = None,
        variants: AnswerVariants | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        accepted = tokens if tokens is not None else {DEFAULT_TOKEN: None}
        self.tokens = {
            token: frozenset(scopes) if scopes is not None else ALL_SCOPES
            for token, scopes in accepted.items()
        }
        self.port = port
        self.search_cap = search_cap
        self.store = CrmStore(backward_lifecycle)
        self.variants = variants or AnswerVariants()
        self.traffic = Traffic(traffic or TrafficConfig(), self.variants)
        self.tls = tls
        self._stopping = threading.Event()
        self.calls: Counter[str] = Counter()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> HubSpotEmulator:
        """Serve on a background thread; returns ``self``."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._stopping.clear()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="hubspot-emulator"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> HubSpotEmulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` with ``tls``) of the running server."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    # --- seeding and inspection -----------------------------------------------------------

    def add_contacts(
        self, rows: Iterable[Mapping[str, Any]], *, modified_at: datetime | None = None
    ) -> list[str]:
        """Create contacts (read-only properties allowed) and return their ids.

        ``modified_at`` stamps them all with one ``lastmodifieddate`` (default: the clock).
        """
        with self._lock:
            store = self.store
            ids = []
            for row in rows:
                changes = store.changes("contacts", row, None, seeding=True)
                ids.append(store.create("contacts", changes, modified_at).id)
            return ids

    def update_contact(
        self, contact_id: str, values: Mapping[str, Any], *, modified_at: datetime | None = None
    ) -> None:
        """Change a contact as a HubSpot user would (read-only properties allowed)."""
        with self._lock:
            contact = self.store.type_of("contacts")[contact_id]
            changes = self.store.changes("contacts", values, contact, seeding=True)
            self.store.update("contacts", contact, changes, modified_at)

    def add_engagement(
        self,
        kind: str,
        contact_ids: Iterable[str],
        timestamp: datetime,
        properties: Mapping[str, Any] | None = None,
        *,
        modified_at: datetime | None = None,
    ) -> str:
        """Create a call, meeting, email or note (``kind`` is the object type, e.g.
        ``calls``) associated with the given contacts; returns its id."""
        values = {"hs_timestamp": timestamp.isoformat(), **(properties or {})}
        with self._lock:
            store = self.store
            obj = store.create(kind, store.changes(kind, values, None, seeding=True), modified_at)
            for contact_id in contact_ids:
                store.associate(kind, obj.id, "contacts", contact_id)
            return obj.id

    def add_property(self, object_type: str, definition: Mapping[str, Any]) -> None:
        """Add a custom property from a ``PropertyCreate``-shaped definition."""
        with self._lock:
            groups = self.store.groups[object_type]
            groups.setdefault(str(definition.get("groupName")), str(definition.get("groupName")))
            prop = property_from_create(dict(definition), groups)
            self.store.properties[object_type][prop.name] = prop

    def contact(self, contact_id: str) -> dict[str, str]:
        """A contact's stored (non-blank) property values."""
        with self._lock:
            return dict(self.store.type_of("contacts")[contact_id].properties)

    def contacts(self) -> list[dict[str, str]]:
        """Every contact's stored (non-blank) property values, in creation order."""
        with self._lock:
            return [dict(found.properties) for found in self.store.all("contacts")]

    def contact_by_email(self, email: str) -> dict[str, str] | None:
        """The contact with this primary email, if any."""
        with self._lock:
            found = self.store.find("contacts", email, "email")
            return dict(found.properties) if found else None

    def hold_from_search(self, ids: Iterable[str]) -> None:
        """Leave these records out of search answers until :meth:`index_all`: HubSpot
        indexes writes for search asynchronously (a change may take moments to show, and
        not in the order made), while reads by id already see them."""
        with self._lock:
            self.store.unindexed.update(ids)

    def index_all(self) -> None:
        """Let search see every record again."""
        with self._lock:
            self.store.unindexed.clear()

    def set_clock(self, moment: datetime | None) -> None:
        """Stop the portal clock at ``moment`` (``None``: real time again)."""
        self.store.clock.frozen = moment

    def advance_clock(self, seconds: float) -> None:
        """Move the stopped clock forward."""
        self.store.clock.advance(seconds)

    def set_daily_used(self, used: int) -> None:
        """Pretend the portal already made ``used`` calls today."""
        self.traffic.daily_used = used

    def fail_next(
        self, count: int = 1, *, status: int = 429, path: str = "", retry_after: int | None = 1
    ) -> None:
        """Answer the next ``count`` calls (whose path contains ``path``) with ``status``."""
        self.traffic.faults.append(Fault(status, count, path, retry_after))

    def hang_next(self, count: int = 1, *, path: str = "", seconds: float = 300.0) -> None:
        """Hold the answer to the next ``count`` calls (whose path contains ``path``) for
        ``seconds`` — a hung server — or until the emulator stops; then answer normally."""
        self.traffic.hangs.append(Hang(count, path, seconds))

    def calls_to(self, fragment: str) -> int:
        """How many calls were made to paths containing ``fragment``."""
        return sum(count for key, count in self.calls.items() if fragment in key)

    # --- serving ----------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: status, headers and body."""
        latency = self.traffic.config.latency_s
        if latency:
            time.sleep(latency)
        parts = urlsplit(target)
        hold = self.traffic.hang_for(parts.path)
        if hold:
            self._stopping.wait(hold)
        query = parse_qs(parts.query)
        body: Any = None
        extra: dict[str, str] = {}
        try:
            body = json.loads(raw) if raw else None
            status, payload, extra = self._serve(method, parts.path, query, headers, body)
        except json.JSONDecodeError:
            status, payload = 400, ApiError(400, "VALIDATION_ERROR", "Invalid input JSON").body()
        except ApiError as error:
            status, payload = error.status, error.body()
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            # A request of the wrong shape (a string where a list belongs…): HubSpot says 400.
            status, payload = (
                400,
                ApiError(400, "VALIDATION_ERROR", f"Invalid input: {error!r}").body(),
            )
        with self._lock:
            self.calls[f"{method} {parts.path}"] += 1
            self.requests.append(RecordedRequest(method, parts.path, query, body, status))
        encoded = json.dumps(payload).encode() if payload is not None else b""
        return status, {"Content-Type": "application/json;charset=utf-8", **extra}, encoded

    def _serve(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: Mapping[str, str],
        body: Any,
    ) -> tuple[int, Any, dict[str, str]]:
        scopes = self.tokens.get(_bearer(headers))
        if scopes is None:
            raise unauthorized()
        route, params = resolve(method, path)
        if route.scope not in scopes:
            raise missing_scopes(route.scope)
        refusal = self.traffic.admit(path, route.exempt, route.search)
        limit_headers = self.traffic.headers(exempt=route.exempt, search=route.search)
        if refusal is not None:
            return refusal.status, refusal.body, {**limit_headers, **refusal.headers}
        with self._lock:
            try:
                call = Call(params, query, body, self.search_cap, self.variants)
                reply = route.handler(self.store, call)
            except ApiError as error:
                return error.status, error.body(), limit_headers
        return reply.status, reply.body, limit_headers


def _bearer(headers: Mapping[str, str]) -> str:
    value = headers.get("Authorization") or headers.get("authorization") or ""
    return value.removeprefix("Bearer ").strip()


def _handler_for(emulator: HubSpotEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, payload = emulator.handle(
                self.command, self.path, dict(self.headers.items()), raw
            )
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (a timeout): as a server would

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server names

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: tests read :attr:`HubSpotEmulator.requests` instead."""

    return Handler
