"""The web app: pages per workspace, guarded actions, 404s as pages, never a traceback."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.secrets import redact
from funnelsync.stalling import stall_rules
from funnelsync.sync.engine.lock import WorkspaceBusyError
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.report.period import Period, PeriodError, resolve_period
from funnelsync.sync.report.segments import SEGMENT_FIELDS
from funnelsync.sync.report.stalled import StalledLead, stalled_by_owner, stalled_leads
from funnelsync.sync.serve import pages
from funnelsync.sync.serve.errors_view import group_errors
from funnelsync.sync.serve.journey_cache import JourneyCache
from funnelsync.sync.serve.security import CSRF_FIELD, TOKEN_COOKIE, new_csrf_secret, same_secret
from funnelsync.sync.simulation import SimulationError
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.state.timeline import TimelineStore
from funnelsync.sync.workspace.loading import Workspace, load_workspace

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """How the app runs: which workspaces, whether actions are allowed, the access token."""

    configs: tuple[Path, ...]
    allow_actions: bool = False
    token: str | None = None


def workspace_slugs(configs: tuple[Path, ...]) -> dict[str, Path]:
    """A short, unique URL name per workspace (its directory's name, numbered if repeated)."""
    slugs: dict[str, Path] = {}
    for config in configs:
        base = config.resolve().parent.name or "workspace"
        slug, number = base, 2
        while slug in slugs:
            slug, number = f"{base}-{number}", number + 1
        slugs[slug] = config.resolve()
    return slugs


class _Screen:
    """Shared state of one app: plugins, workspaces, templates, the CSRF secret."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.plugins: FunnelPlugins = create_plugins()
        self.slugs = workspace_slugs(settings.configs)
        self.csrf = new_csrf_secret()
        self.journeys = JourneyCache()
        self.loaded: dict[str, tuple[tuple[int, ...], Workspace]] = {}
        self.templates = Environment(
            loader=PackageLoader("funnelsync.sync.serve", "templates"),
            autoescape=select_autoescape(["html"]),
        )

    def workspace(self, slug: str) -> Workspace:
        """The workspace ``slug`` names, loaded again only when its config or contract
        file has changed (parsing them is most of a page's time otherwise)."""
        if slug not in self.slugs:
            raise HTTPException(404, f"no workspace named {slug!r}")
        kept = self.loaded.get(slug)
        if kept is not None and kept[0] == _files_stamp(kept[1]):
            return kept[1]
        workspace = load_workspace(self.slugs[slug], self.plugins)
        self.loaded[slug] = (_files_stamp(workspace), workspace)
        return workspace

    @contextmanager
    def store(self, workspace: Workspace) -> Iterator[StateStore]:
        store = StateStore.open(workspace.state_dir, workspace.state_url)
        try:
            yield store
        finally:
            store.close()

    def page(self, request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        text = self.templates.get_template(name).render(
            request=request,
            slugs=list(self.slugs),
            allow_actions=self.settings.allow_actions,
            csrf_field=CSRF_FIELD,
            csrf=self.csrf,
            **values,
        )
        return HTMLResponse(redact(text), status_code=status)


def _files_stamp(workspace: Workspace) -> tuple[int, ...]:
    """When and how big the workspace's config and contract files are now."""
    stamp: list[int] = []
    for path in (workspace.config_path, workspace.contract_path):
        try:
            found = path.stat()
        except OSError:
            return ()
        stamp += [found.st_mtime_ns, found.st_size]
    return tuple(stamp)


def create_app(settings: ServeSettings) -> Starlette:
    """The app for ``settings``; serve it with uvicorn (``funnelsync serve`` does)."""
    screen = _Screen(settings)

    async def health(request: Request) -> Response:
        now = datetime.now(UTC)

        def gather() -> list[tuple[str, Workspace, pages.Health]]:
            found = []
            for slug in screen.slugs:
                workspace = screen.workspace(slug)
                with screen.store(workspace) as store:
                    found.append((slug, workspace, pages.health(workspace, store, now)))
            return found

        return screen.page(request, "health.html", workspaces=await run_in_threadpool(gather))

    async def errors_csv(request: Request) -> Response:
        workspace = screen.workspace(request.path_params["slug"])
        with screen.store(workspace) as store:
            entries = store.quarantine()
            refused = TimelineStore(store.engine).refused()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["connection", "kind", "record", "location", "reason", "attempts",
                         "first_seen", "last_seen"])  # fmt: skip
        for e in entries:
            writer.writerow([e.connection, e.kind, e.record_key, e.location, e.reason,
                             e.attempts, e.first_seen, e.last_seen])  # fmt: skip
        for r in refused:  # attempts are not counted for timeline entries
            where = f"{r.source} activity {r.activity_id} of {r.email or 'a person gone'}"
            writer.writerow([r.connection, "timeline", r.ref, where, r.message or "",
                             "", r.at, r.at])  # fmt: skip
        name = f"{request.path_params['slug']}-errors.csv"
        return Response(
            redact(out.getvalue()),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def lead(request: Request) -> Response:
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)
        query = request.query_params.get("q", "").strip()
        if not query:
            return screen.page(request, "lead_search.html", slug=slug)

        def find() -> pages.LeadPage | list[pages.LeadMatch]:
            with screen.store(workspace) as store:
                matches = pages.find_leads(workspace, store, query)
                if len(matches) != 1:
                    return matches
                now = datetime.now(UTC)
                return pages.lead_page(workspace, store, screen.plugins, matches[0], now)

        found = await run_in_threadpool(find)
        if found == []:
            raise HTTPException(404, f"no lead {query!r} in {slug}")
        if isinstance(found, list):
            return screen.page(request, "lead_search.html", slug=slug, query=query, matches=found)
        return screen.page(request, "lead.html", slug=slug, page=found, contract=workspace.contract)

    async def leads(request: Request) -> Response:
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)
        stage = request.query_params.get("stage", "")
        if stage not in {s.name for s in workspace.contract.all_stages}:
            raise HTTPException(404, f"no stage {stage!r} in the contract")
        with screen.store(workspace) as store:
            listed = store.emails_at_stage(stage, limit=500)
        return screen.page(
            request, "leads.html", slug=slug, stage=stage, emails=listed, period=None
        )

    def period_of(request: Request) -> Period:
        """The period the funnel pages show: ``since``/``until`` (ISO days) or the default."""
        try:
            since, until = (
                date.fromisoformat(value) if (value := request.query_params.get(key)) else None
                for key in ("since", "until")
            )
            return resolve_period(since, until, datetime.now(UTC).date())
        except (ValueError, PeriodError) as exc:
            raise HTTPException(400, f"not a period: {exc}") from None

    async def funnel(request: Request) -> Response:
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)
        period = period_of(request)
        by = request.query_params.get("by") or None
        if by is not None and by not in SEGMENT_FIELDS:
            raise HTTPException(400, f"cannot break the funnel down by {by!r}")

        def build() -> dict[str, Any]:
            with screen.store(workspace) as store:
                return pages.funnel_document(workspace, store, datetime.now(UTC), period, by)

        document = await run_in_threadpool(build)
        query = {k: v for k, v in request.query_params.items() if k in ("since", "until")}
        return screen.page(request, "funnel.html", slug=slug, report=document, by=by,
                           segment_fields=SEGMENT_FIELDS, period_query=query,
                           headline_metrics=pages.HEADLINE_METRICS)  # fmt: skip

    async def funnel_leads(request: Request) -> Response:
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)
        period = period_of(request)
        metric = request.query_params.get("metric", "")
        stage = request.query_params.get("stage") or None
        by, segment = request.query_params.get("by"), request.query_params.get("segment")
        if by is not None and (by not in SEGMENT_FIELDS or segment is None):
            raise HTTPException(404, f"no funnel segment {by!r} {segment or ''}")

        def listed() -> list[str]:
            with screen.store(workspace) as store:
                journeys = (
                    pages.segment_journeys(workspace, store, screen.journeys, by, segment, period)
                    if by is not None and segment is not None
                    else screen.journeys.journeys(workspace, store)
                )
            return pages.funnel_leads(workspace, journeys, period, metric, stage)

        try:
            emails = await run_in_threadpool(listed)
        except KeyError:
            raise HTTPException(404, f"no funnel figure {metric!r} {stage or ''}") from None
        title = f"{metric.replace('_', ' ')} {stage or ''}".strip()
        if by is not None:
            title += f" ({by}: {segment})"
        return screen.page(request, "leads.html", slug=slug, stage=title, emails=emails,
                           period=period)  # fmt: skip

    async def sla(request: Request) -> Response:
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)

        now = datetime.now(UTC)

        def waiting() -> tuple[list[Any], list[StalledLead]]:
            with screen.store(workspace) as store:
                return pages.sla_waiting(workspace, store, now), stalled_leads(store)

        listed, stalled = await run_in_threadpool(waiting)
        return screen.page(
            request,
            "sla.html",
            slug=slug,
            waiting=listed,
            contract=workspace.contract,
            stalled=stalled_by_owner(stalled),
            stall_rules=stall_rules(workspace.contract),
            now=now,
        )

    async def contract(request: Request) -> Response:
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)
        settings = [s for s in request.query_params.getlist("set") if s.strip()]
        result: dict[str, Any] | None = None
        problem = None
        if settings:
            try:
                with screen.store(workspace) as store:
                    simulated = await run_in_threadpool(
                        pages.what_if, workspace, store, screen.plugins, settings
                    )
                result = asdict(simulated)
            except SimulationError as exc:
                problem = str(exc)
        document = workspace.contract.model_dump(mode="json", by_alias=True, exclude_none=True)
        return screen.page(request, "contract.html", slug=slug, contract=workspace.contract,
                           document=document, settings=settings, result=result,
                           problem=problem)  # fmt: skip

    async def action_form(request: Request) -> FormData:
        """The form of an action (POST), once actions are allowed and its CSRF token holds."""
        if not settings.allow_actions:
            raise HTTPException(403, "actions are off: serve with --allow-actions")
        form = await request.form()
        if not same_secret(str(form.get(CSRF_FIELD, "")), screen.csrf):
            raise HTTPException(403, "this form is stale (CSRF check): reload the page")
        return form

    async def retry(request: Request) -> Response:
        form = await action_form(request)
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)
        group, record = str(form.get("group", "")), str(form.get("record", ""))
        timeline = str(form.get("timeline", ""))
        with screen.store(workspace) as store:
            if timeline:
                # "connection|ref" for one refused entry, "connection|" for all of them.
                connection, _, ref = timeline.partition("|")
                count = TimelineStore(store.engine).requeue_rejected(connection, ref or None)
                if not count:
                    raise HTTPException(404, "no such refused timeline entry")
                return RedirectResponse(f"/?retried={count}#ws-{slug}", status_code=303)
            entries = store.quarantine()
            if group:
                chosen = [e for g in group_errors(entries) if g.key == group for e in g.entries]
            else:
                chosen = [e for e in entries if f"{e.connection}|{e.record_key}" == record]
            if not chosen:
                raise HTTPException(404, "no such quarantined record or group")
            for entry in chosen:
                store.requeue(entry.connection, entry.record_key)
        return RedirectResponse(f"/?retried={len(chosen)}#ws-{slug}", status_code=303)

    async def run_now(request: Request) -> Response:
        await action_form(request)
        slug = request.path_params["slug"]
        workspace = screen.workspace(slug)

        def run() -> str:
            try:
                return run_sync(workspace, screen.plugins).report.status.value
            except RunFailedError as failed:
                return failed.result.report.status.value
            except WorkspaceBusyError:
                return "busy"

        status = await run_in_threadpool(run)
        return RedirectResponse(f"/?ran={status}#ws-{slug}", status_code=303)

    async def not_found(request: Request, exc: Exception) -> Response:
        detail = exc.detail if isinstance(exc, HTTPException) else "not found"
        code = exc.status_code if isinstance(exc, HTTPException) else 404
        return screen.page(request, "error.html", status=code, code=code, detail=detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        logger.error("page %s failed: %s", request.url.path, redact(repr(exc)))
        return screen.page(request, "error.html", status=500, code=500,
                           detail="this page failed; the server log says why")  # fmt: skip

    routes = [
        Route("/", health),
        Route("/w/{slug}/errors.csv", errors_csv),
        Route("/w/{slug}/lead", lead),
        Route("/w/{slug}/leads", leads),
        Route("/w/{slug}/funnel", funnel),
        Route("/w/{slug}/funnel/leads", funnel_leads),
        Route("/w/{slug}/sla", sla),
        Route("/w/{slug}/contract", contract),
        Route("/w/{slug}/retry", retry, methods=["POST"]),
        Route("/w/{slug}/run", run_now, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Guard, screen=screen)],
        exception_handlers={HTTPException: not_found, Exception: server_error},
    )
    app.state.configs = tuple(screen.slugs.values())
    return app


class _Guard(BaseHTTPMiddleware):
    """The token on every request, when one is set (actions check CSRF themselves)."""

    def __init__(self, app: Any, screen: _Screen) -> None:
        super().__init__(app)
        self.screen = screen

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token = self.screen.settings.token
        given = request.query_params.get("token")
        cookie = request.cookies.get(TOKEN_COOKIE)
        if token and not (same_secret(given, token) or same_secret(cookie, token)):
            return self._refuse(request, 401, "open this screen with ?token=<the serve token>")
        response = await call_next(request)
        if token and given and same_secret(given, token):
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    def _refuse(self, request: Request, code: int, detail: str) -> Response:
        return self.screen.page(request, "error.html", status=code, code=code, detail=detail)
