"""The admin screen in a real browser: Debian's Chromium driven by Playwright.

On the demo workspace: every page opens without a console error, a funnel number leads
to its leads and on to one lead, leads are found by identity keys (a small workspace
keyed by prospect and CRM ids beside it), a quarantined record is retried (after its row is
fixed) and leaves the list after a sync run from the screen, and a what-if simulation
shows its result. Screenshots of every page go to ``.artifacts/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import fix_missing_activity_email, identity_workspace, serving

from funnelsync.sync.demo.build import build_demo
from funnelsync.sync.serve.app import ServeSettings

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[3] / ".artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("the browser tests need Debian's chromium package (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_the_screen_on_the_demo_in_chromium(browser_page: object, tmp_path: Path) -> None:
    page: object = browser_page
    built = build_demo(tmp_path / "demo", seed=7)
    from funnelsync.plugin_manager import create_plugins
    from funnelsync.sync.engine.run import run_sync
    from funnelsync.sync.workspace.loading import load_workspace

    plugins = create_plugins()
    run_sync(load_workspace(built.config_path, plugins), plugins)
    ids = identity_workspace(tmp_path / "ids")
    run_sync(load_workspace(ids, plugins), plugins)
    settings = ServeSettings((built.config_path, ids), allow_actions=True)
    with serving(settings) as base:
        p = page  # playwright Page
        p.goto(f"{base}/")  # type: ignore[attr-defined]
        assert p.locator("h1").inner_text() == "Health"  # type: ignore[attr-defined]
        assert p.locator("table.runs td.ok").count() >= 1  # type: ignore[attr-defined]
        missing = p.locator("tr.record", has_text="activity:MA-")  # type: ignore[attr-defined]
        record = missing.first.locator("td").first.inner_text().removeprefix("activity:")
        _shot(p, "health")

        # Follow a funnel number to the leads behind it, then to one lead.
        p.goto(f"{base}/w/demo/funnel")  # type: ignore[attr-defined]
        _shot(p, "funnel")
        mqls = p.locator("#headline a[data-metric=mqls]")  # type: ignore[attr-defined]
        count = int(mqls.inner_text())
        mqls.click()
        assert "Leads behind mqls" in p.locator("h1").inner_text()  # type: ignore[attr-defined]
        assert p.locator("#leads li").count() == count  # type: ignore[attr-defined]
        _shot(p, "leads")
        p.locator("#leads a").first.click()  # type: ignore[attr-defined]
        assert p.locator("#stage").inner_text() != ""  # type: ignore[attr-defined]
        _shot(p, "lead")

        # Search by identity keys through the form: a bare value two keys share lists
        # both people; one of them opens; a key:value names one person at once.
        p.goto(f"{base}/w/ids/lead")  # type: ignore[attr-defined]
        p.fill("#lead-search input[name=q]", "77")  # type: ignore[attr-defined]
        p.click("#lead-search button")  # type: ignore[attr-defined]
        assert p.locator("#matches li").count() == 2  # type: ignore[attr-defined]
        _shot(p, "lead-search")
        p.locator("#matches a", has_text="bob@example.com").click()  # type: ignore[attr-defined]
        assert "Bob" in p.locator("h1").inner_text()  # type: ignore[attr-defined]
        p.goto(f"{base}/w/ids/lead")  # type: ignore[attr-defined]
        p.fill("#lead-search input[name=q]", "prospect_id:P-9")  # type: ignore[attr-defined]
        p.click("#lead-search button")  # type: ignore[attr-defined]
        assert "Cy" in p.locator("h1").inner_text()  # type: ignore[attr-defined]

        p.goto(f"{base}/w/demo/sla")  # type: ignore[attr-defined]
        _shot(p, "sla")
        # Stalled leads per owner: follow one to its lead page.
        stalled = p.locator("table.stalled a")  # type: ignore[attr-defined]
        assert stalled.count() >= 1
        name = stalled.first.inner_text()
        stalled.first.click()
        assert p.locator("#stage").inner_text() != ""  # type: ignore[attr-defined]
        assert name in p.locator("main").inner_text()  # type: ignore[attr-defined]
        _shot(p, "lead-stalled")

        # A what-if simulation.
        p.goto(f"{base}/w/demo/contract")  # type: ignore[attr-defined]
        p.fill("#simulate input[name=set]", "stages.mql.entry.engagement_min=20")  # type: ignore[attr-defined]
        p.click("#simulate button")  # type: ignore[attr-defined]
        assert p.locator("#simulation").count() == 1  # type: ignore[attr-defined]
        _shot(p, "contract-simulated")

        # Retry the record once its row is fixed; it leaves the list after the next sync.
        fix_missing_activity_email(built.config_path, record, _any_lead_email(built.config_path))
        p.goto(f"{base}/")  # type: ignore[attr-defined]
        row = p.locator("tr.record", has_text=f"activity:{record}")  # type: ignore[attr-defined]
        row.locator("button", has_text="Retry").click()
        assert "will be retried" in p.locator("#notice").inner_text()  # type: ignore[attr-defined]
        p.locator("#run-demo").click()  # type: ignore[attr-defined]
        assert "Sync finished" in p.locator("#notice").inner_text()  # type: ignore[attr-defined]
        assert p.locator("tr.record", has_text=f"activity:{record}").count() == 0  # type: ignore[attr-defined]
        _shot(p, "health-after-retry")
    assert p.console_errors == []  # type: ignore[attr-defined]


def _any_lead_email(config: Path) -> str:
    leads = (config.parent / "data" / "marketing" / "leads.csv").read_text(encoding="utf-8")
    return leads.splitlines()[1].split(",")[0]
