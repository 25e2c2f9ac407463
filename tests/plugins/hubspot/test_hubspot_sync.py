"""A whole sync between the HubSpot emulator and a CSV CRM, through the real engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from funnelsync.connector import FieldInfo
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.plugins.hubspot.emulator.server import (
    DEFAULT_TOKEN,
    AnswerVariants,
    HubSpotEmulator,
    TrafficConfig,
)
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.loading import Workspace, load_workspace

TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
CONFIG = """\
version: 1
contract: contract.yaml
connections:
  marketing:
    connector: hubspot
    settings:
      access_token_env: HS_TEST_TOKEN
      base_url: ${HS_TEST_URL}
      search_settle_s: 0
    mapping:
      lead_fields:
        stage_dates.mql: funnelsync_mql_date
  sales:
    connector: csv
    create_from_stage: mql
    settings:
      leads: {path: sales.csv, modified_column: updated_at}
"""
SALES = "\n".join(
    [
        "email,title,industry,company_size,country,lead_status,updated_at",
        "vp@hospital.example.com,VP Operations,Healthcare,1200,United States,,2024-05-01T08:00Z",
        "dq@acme.example.com,Dev,Software,300,Germany,Closed - Not Converted,2024-05-01T08:00Z",
        "",
    ]
)
COMPUTED = [
    FieldInfo("funnelsync_score", "number"),
    FieldInfo("funnelsync_fit_score", "number"),
    FieldInfo("funnelsync_engagement_score", "number"),
    FieldInfo("funnelsync_explanation", "string"),
    FieldInfo("funnelsync_talking_points", "string"),
    FieldInfo("funnelsync_mql_date", "datetime"),
]


def test_scores_stages_and_explanations_land_and_a_second_run_writes_nothing(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator()
    now = datetime.now(UTC)
    emulator.set_clock(now - timedelta(days=1))
    vp, dq, _ = emulator.add_contacts(
        [
            {
                "email": "vp@hospital.example.com",
                "jobtitle": "VP Operations",
                "lifecyclestage": "lead",
            },
            {"email": "dq@acme.example.com", "lifecyclestage": "salesqualifiedlead"},
            {"email": "student@uni.example.edu", "jobtitle": "Student"},
        ]
    )
    for kind in ("meetings", "meetings", "calls"):  # engagement 15 + 15 + 5, a little decayed
        emulator.add_engagement(kind, [vp], now - timedelta(days=2))
    emulator.set_clock(None)
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    # The template's SAL value is a custom stage this portal does not have.
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text(SALES)
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(tmp_path).create_fields(COMPUTED)

    first = run_sync(workspace, plugins).report
    assert first.status.value == "ok", first.error
    stored = emulator.contact(vp)
    assert stored["lifecyclestage"] == "marketingqualifiedlead"
    assert stored["funnelsync_explanation"].startswith("MQL since ")
    assert int(stored["funnelsync_score"]) == int(stored["funnelsync_fit_score"]) + int(
        stored["funnelsync_engagement_score"]
    )
    assert stored["funnelsync_mql_date"]
    assert emulator.contact(dq)["lifecyclestage"] == "other"  # disqualified, forward in HubSpot
    assert emulator.contact(dq)["hs_lead_status"] == "UNQUALIFIED"

    second = run_sync(workspace, plugins).report
    assert second.status.value == "ok", second.error
    assert {name: counts.api_calls.write for name, counts in second.connections.items()} == {
        "marketing": 0,
        "sales": 0,
    }


def test_a_budget_used_up_while_reading_ends_partial_the_crm_is_still_written_and_next_run_resumes(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator(traffic=TrafficConfig(search_per_second=100, daily_limit=1000))
    [vp] = emulator.add_contacts([{"email": "vp@hospital.example.com", "jobtitle": "VP Sales"}])
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text(SALES)
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(tmp_path).create_fields(COMPUTED)
    # One call left of this run's 50% share: reading stops at the second call.
    emulator.set_daily_used(499)

    stopped = run_sync(workspace, plugins).report

    assert stopped.status.value == "partial", stopped.status_rule
    assert stopped.status_rule.startswith("stopped early, resumed next run: marketing: stopped")
    assert "API budget reached" in stopped.status_rule
    assert stopped.connections["marketing"].api_calls.write == 0
    # The CSV CRM, with budget to spare, still gets its scores and stages.
    assert stopped.connections["sales"].updated == 2
    sales = (tmp_path / "sales.csv").read_text()
    assert "score" in sales.splitlines()[0]
    assert "funnelsync_score" not in emulator.contact(vp) or not emulator.contact(vp).get(
        "funnelsync_score"
    )

    emulator.set_daily_used(0)  # a new day
    resumed = run_sync(workspace, plugins).report

    assert resumed.status.value == "ok", resumed.status_rule
    assert resumed.connections["marketing"].read == 1
    assert emulator.contact(vp)["funnelsync_score"]


def test_when_hubspots_budget_runs_out_while_writing_the_crm_is_still_written(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator(traffic=TrafficConfig(search_per_second=100, daily_limit=1000))
    [vp] = emulator.add_contacts([{"email": "vp@hospital.example.com", "jobtitle": "VP Sales"}])
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text(SALES)
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(tmp_path).create_fields(COMPUTED)
    emulator.set_daily_used(0)
    run_sync(workspace, plugins, dry_run=True)  # reads exactly as the sync will
    emulator.set_daily_used(500 - emulator.traffic.daily_used)  # the reads fit, no write does

    stopped = run_sync(workspace, plugins).report

    assert stopped.status.value == "partial", stopped.status_rule
    assert "marketing: stopped writing: API budget reached" in stopped.status_rule
    assert stopped.connections["marketing"].updated == 0
    assert stopped.connections["sales"].updated == 2  # after marketing, and still written
    emulator.set_daily_used(0)
    resumed = run_sync(workspace, plugins).report
    assert resumed.status.value == "ok", resumed.status_rule
    assert emulator.contact(vp)["funnelsync_score"]


def test_a_write_hubspot_refuses_makes_the_run_partial(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator()
    [vp] = emulator.add_contacts([{"email": "vp@hospital.example.com", "jobtitle": "VP Sales"}])
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    # A lead status of sales' own that is no option of HubSpot's hs_lead_status.
    (tmp_path / "sales.csv").write_text(SALES.replace(",,2024", ",Waiting on Legal,2024", 1))
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    next(c for c in workspace.connections if c.name == "marketing").open(tmp_path).create_fields(
        COMPUTED
    )

    planned = run_sync(workspace, plugins, dry_run=True)  # `plan` foresees the refusal
    assert (planned.report.status.value, planned.report.connections["marketing"].refused) == (
        "partial",
        1,
    )
    [foreseen] = planned.plans["marketing"].predicted
    assert foreseen.message.startswith(
        "hs_lead_status (lead_status): 'Waiting on Legal' is not a value of this restricted "
        "picklist ("
    )

    report = run_sync(workspace, plugins).report

    assert report.status.value == "partial", report.status_rule
    assert report.connections["marketing"].refused == 1
    assert report.status_rule.startswith("1 writes refused by the system (marketing 1)")
    assert emulator.contact(vp).get("hs_lead_status") in (None, "")


def test_a_run_that_can_use_no_record_at_all_failed(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = make_emulator()
    emulator.add_contacts([{"firstname": "Ana"}, {"firstname": "Bo"}])  # no emails
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text(SALES.splitlines()[0] + "\n")
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(tmp_path).create_fields(COMPUTED)  # as `check --fix` would

    report = run_sync(workspace, plugins).report

    assert report.status.value == "failed", report.status_rule
    assert report.status_rule.startswith("nothing could be read or written (2 of 2 rows read")


def _workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: HubSpotEmulator, sales: str
) -> tuple[Workspace, FunnelPlugins]:
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (tmp_path / "contract.yaml").write_text(contract.replace("salesacceptedlead", "opportunity"))
    (tmp_path / "funnelsync.yaml").write_text(CONFIG)
    (tmp_path / "sales.csv").write_text(sales)
    monkeypatch.setenv("HS_TEST_TOKEN", DEFAULT_TOKEN)
    monkeypatch.setenv("HS_TEST_URL", emulator.base_url)
    plugins = create_plugins()
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(tmp_path).create_fields(COMPUTED)
    return workspace, plugins


@pytest.mark.parametrize("trace_ids", [True, False], ids=["trace-ids", "no-trace-ids"])
def test_upserts_land_once_and_count_right_with_or_without_echoed_trace_ids(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    trace_ids: bool,
) -> None:
    emulator = make_emulator(variants=AnswerVariants(upsert_trace_ids=trace_ids))
    emulator.set_clock(datetime.now(UTC) - timedelta(days=1))
    emulator.add_contacts(
        {"email": f"hs{i}@example.com", "jobtitle": "VP Operations"} for i in range(130)
    )
    emulator.set_clock(None)
    row = "crm{}@example.com,Engineer,Software,300,Germany,,2024-05-01T08:00Z"
    rows = [row.format(i) for i in range(40)]
    workspace, plugins = _workspace(
        tmp_path, monkeypatch, emulator, "\n".join([SALES.splitlines()[0], *rows, ""])
    )
    first = run_sync(workspace, plugins).report
    assert first.status.value == "ok", (first.error, first.notes)
    marketing = first.connections["marketing"]
    assert (marketing.created, marketing.updated, marketing.quarantined) == (40, 130, 0)
    assert marketing.api_calls.write == emulator.calls_to("batch/upsert") == 2  # 170 writes
    assert emulator.contact_by_email("crm7@example.com") is not None
    second = run_sync(workspace, plugins).report
    assert second.status.value == "ok"
    assert second.connections["marketing"].api_calls.write == 0


def test_a_refused_option_is_rejected_with_hubspots_message_without_trace_ids(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator(variants=AnswerVariants(upsert_trace_ids=False))
    emulator.set_clock(datetime.now(UTC) - timedelta(days=1))
    emulator.add_contacts([{"email": "vp@hospital.example.com"}, {"email": "ok@example.com"}])
    emulator.set_clock(None)
    sales = "\n".join(
        [
            SALES.splitlines()[0],
            # No value map entry for "Qualified": the value goes as it is and is refused.
            "vp@hospital.example.com,VP,Healthcare,1200,United States,Qualified,2024-05-01T08:00Z",
            "ok@example.com,Dev,Software,300,Germany,,2024-05-01T08:00Z",
            "",
        ]
    )
    workspace, plugins = _workspace(tmp_path, monkeypatch, emulator, sales)
    report = run_sync(workspace, plugins).report
    assert report.status.value == "partial", report.status_rule  # a refusal, not a failure
    assert report.connections["marketing"].refused == 1
    assert emulator.calls_to("batch/upsert") == 1
    store = StateStore.open(tmp_path / "state")
    [entry] = [q for q in store.quarantine("marketing") if q.kind == "write"]
    store.close()
    assert entry.reason.startswith("rejected: VALIDATION_ERROR: hs_lead_status: Qualified was")


def test_a_contact_past_the_contracts_last_stage_gets_its_score_and_keeps_its_stage(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator()
    emulator.set_clock(datetime.now(UTC) - timedelta(days=1))
    [fan] = emulator.add_contacts(
        [{"email": "fan@hospital.example.com", "jobtitle": "VP", "lifecyclestage": "evangelist"}]
    )
    emulator.set_clock(None)
    workspace, plugins = _workspace(tmp_path, monkeypatch, emulator, SALES)
    reports = [run_sync(workspace, plugins).report for _ in range(3)]
    assert [r.status.value for r in reports] == ["ok", "ok", "ok"]
    stored = emulator.contact(fan)
    assert stored["lifecyclestage"] == "evangelist"
    assert stored["funnelsync_explanation"]
    assert stored["funnelsync_score"] == stored["funnelsync_fit_score"]
    assert [r.connections["marketing"].quarantined for r in reports] == [0, 0, 0]
    notes = [[n for n in r.notes if "lifecyclestage" in n] for r in reports]
    assert notes[0] == [
        "marketing: lifecyclestage left at HubSpot's 'evangelist', which comes after "
        "'lead' (HubSpot only moves it forward; other fields are written)"
    ]
    # Run 2 reads the contact back (our write changed it): the stage HubSpot kept is not
    # planned again, so the note shows once and nothing is counted as updated.
    assert notes[1:] == [[], []]
    assert [r.connections["marketing"].api_calls.write for r in reports] == [1, 0, 0]
    assert [r.connections["marketing"].updated for r in reports] == [1, 0, 0]
    emulator.update_contact(fan, {"lifecyclestage": ""})  # someone clears it
    emulator.update_contact(fan, {"lifecyclestage": "subscriber"})
    assert run_sync(workspace, plugins).report.connections["marketing"].updated == 1
    assert emulator.contact(fan)["lifecyclestage"] == "lead"  # a forward move lands again


def test_a_hung_portal_ends_the_run_within_its_timeouts_and_releases_the_lock(
    make_emulator: Callable[..., HubSpotEmulator], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator()
    emulator.add_contacts([{"email": "ann@example.com"}])
    workspace, plugins = _workspace(tmp_path, monkeypatch, emulator, SALES)
    quick = "      timeout_s: 0.5\n      retry: {attempts: 2, max_wait_s: 0.1}\n"
    config = CONFIG.replace("      search_settle_s: 0\n", "      search_settle_s: 0\n" + quick)
    (tmp_path / "funnelsync.yaml").write_text(config)
    workspace = load_workspace(tmp_path / "funnelsync.yaml", plugins)
    emulator.hang_next(2, path="/search", seconds=120)
    started = time.monotonic()
    with pytest.raises(RunFailedError, match="reading HubSpot contacts failed after retries"):
        run_sync(workspace, plugins)
    assert time.monotonic() - started < 60
    assert run_sync(workspace, plugins).report.status.value == "ok"  # the lock was let go
