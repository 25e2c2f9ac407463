"""Whole syncs against an org that fails: a hung answer, and 25% injected failures.

A hung answer (the org takes the call and never answers) must end the run within the
connection's ``timeout_s`` and its retries, with a clear error, and release the workspace
lock so the next scheduled run can start.

Under faults, two orgs are seeded with the same leads, Tasks and custom fields and synced
with the same CSV marketing system at the same ``now``: one fault-free (the reference),
one where a seeded random 25% of the calls fail (5xx and 429 answers, reset connections).
Planted failures make the first run fail (a query that fails on every try) and make the
engine retry a whole write. The reference takes two runs (the second brings back the
Status Salesforce gave the leads the first created); within a few runs the faulty sync
must have two ``ok`` runs, with both orgs and both CSV files then holding the same
values and no lead twice, and one more fault-free run must find nothing to write.
"""

from __future__ import annotations

import csv
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sf_support import PASSWORD, PASSWORD_ENV, TOKEN, TOKEN_ENV, USERNAME, add_funnel_fields

from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.plugins.salesforce.emulator import Org, SalesforceEmulator
from funnelsync.plugins.salesforce.emulator.traffic import TrafficConfig
from funnelsync.run_report import RunReport
from funnelsync.sync.engine.lock import workspace_lock
from funnelsync.sync.engine.run import RunFailedError, RunResult, run_sync
from funnelsync.sync.workspace.loading import Workspace, load_workspace

TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
PEOPLE = 120
"""Leads in Salesforce; marketing has every other one plus :data:`MARKETING_ONLY` more."""
MARKETING_ONLY = 30
FAULT_RATE = 0.25
ATTEMPTS = 4
MAX_RUNS = 6
COMPARED = (
    "Email",
    "FirstName",
    "Title",
    "Status",
    "Funnel_Score__c",
    "Funnel_Fit_Score__c",
    "Funnel_Engagement_Score__c",
    "Funnel_Stage__c",
    "Funnel_Explanation__c",
)
CONFIG = """\
version: 1
contract: contract.yaml
connections:
  marketing:
    connector: csv
    settings:
      leads: {{path: marketing.csv, modified_column: updated_at}}
      activities: {{path: activities.csv, id_column: activity_id}}
  sales:
    connector: salesforce
    create_from_stage: mql
    settings:
      auth:
        kind: password
        username: {username}
        password_env: {password_env}
        security_token_env: {token_env}
      domain: {url}
      bulk_poll_seconds: 0
      timeout_s: {timeout_s}
      retry: {{attempts: {attempts}, max_wait_s: 0.5}}
"""
TITLES = ("VP Operations", "Director of IT", "Engineer", "Student", "Head of Growth")
INDUSTRIES = ("Healthcare", "Software", "Retail", "Financial Services")


def email(index: int) -> str:
    return f"person{index}@corp{index % 7}.example.com"


def seed_org(org: Org, now: datetime) -> None:
    """The same leads and calls in any org (a week before ``now``)."""
    add_funnel_fields(org)
    org.query_batch_size = 10  # many pages: many calls to fail
    org.set_time(now - timedelta(days=7))
    for index in range(PEOPLE):
        lead = org.add_lead(
            FirstName=f"Person{index}",
            LastName="Example",
            Company=f"Corp {index % 7}",
            Email=email(index),
            Title=TITLES[index % len(TITLES)],
            Industry=INDUSTRIES[index % len(INDUSTRIES)],
            NumberOfEmployees=300 + index,
            Country="United States",
        )
        if index % 3 == 0:
            org.add_task(lead, Subject="Intro call", TaskSubtype="Call", Type="Call")
        if index % 10 == 0:
            org.update(lead, Status="Working - Contacted")
    org.set_time(now - timedelta(days=1))
    org._frozen_at = None  # the clock runs again (as SalesforceDemoEmulator does)


def write_marketing(folder: Path, now: datetime) -> None:
    """Marketing's leads (every other org lead, and some it alone has) and demo requests."""
    stamp = (now - timedelta(days=3)).isoformat()
    with (folder / "marketing.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "title", "company", "industry",
                         "company_size", "country", "updated_at"])  # fmt: skip
        for index in [*range(0, PEOPLE, 2), *range(PEOPLE, PEOPLE + MARKETING_ONLY)]:
            title = TITLES[index % len(TITLES)]
            industry = INDUSTRIES[index % len(INDUSTRIES)]
            row = [email(index), f"Person{index}", "Example", title, f"Corp {index % 7}"]
            writer.writerow([*row, industry, 400 + index, "United States", stamp])
    with (folder / "activities.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["activity_id", "email", "type", "occurred_at"])
        for index in range(0, PEOPLE + MARKETING_ONLY, 4):
            writer.writerow([f"a{index}", email(index), "demo_request", stamp])


def workspace_for(
    emulator: SalesforceEmulator,
    folder: Path,
    plugins: FunnelPlugins,
    now: datetime,
    timeout_s: float = 30,
) -> Workspace:
    folder.mkdir()
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    (folder / "contract.yaml").write_text(contract, encoding="utf-8")
    config = CONFIG.format(
        username=USERNAME,
        password_env=PASSWORD_ENV,
        token_env=TOKEN_ENV,
        url=emulator.base_url,
        timeout_s=timeout_s,
        attempts=ATTEMPTS,
    )
    (folder / "funnelsync.yaml").write_text(config, encoding="utf-8")
    write_marketing(folder, now)
    return load_workspace(folder / "funnelsync.yaml", plugins)


def org_values(org: Org) -> dict[str, dict[str, Any]]:
    """Every live lead's compared fields, by email; fails on a duplicate email."""
    values: dict[str, dict[str, Any]] = {}
    for record_id in org.ids("Lead"):
        lead = org.get(record_id)
        key = str(lead["Email"]).casefold()
        assert key not in values, f"two leads with the email {key}"
        values[key] = {name: lead.get(name) for name in COMPARED}
    return values


def csv_values(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "marketing.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len({row["email"] for row in rows}) == len(rows), "a lead was written twice"
    return {row["email"]: {k: v for k, v in row.items() if k != "updated_at"} for row in rows}


def one_run(workspace: Workspace, plugins: FunnelPlugins, now: datetime) -> RunReport:
    try:
        return run_sync(workspace, plugins, now=now).report
    except RunFailedError as failed:
        return failed.result.report


@pytest.fixture
def _org_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.mark.usefixtures("_org_secrets")
def test_a_hung_answer_ends_the_run_within_its_timeout_and_frees_the_workspace(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    plugins = create_plugins()
    with SalesforceEmulator() as emulator:
        emulator.org.add_user(USERNAME, PASSWORD, TOKEN)
        seed_org(emulator.org, now)
        workspace = workspace_for(emulator, tmp_path / "ws", plugins, now, timeout_s=1.0)
        emulator.fail_next(100, "hang", path="/query")  # the org never answers a query
        outcome: list[RunResult | BaseException] = []

        def sync() -> None:
            try:
                outcome.append(run_sync(workspace, plugins, now=now))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

        runner = threading.Thread(target=sync, daemon=True)
        runner.start()
        runner.join(timeout=60)  # far more than 4 tries of 1 s and the waits between
        assert not runner.is_alive(), "the sync still hangs on an unanswered query"

        [failed] = outcome
        assert isinstance(failed, RunFailedError)
        assert failed.result.report.status.value == "failed"
        assert "cannot reach Salesforce" in str(failed.result.report.error)
        assert "ReadTimeout" in str(failed.result.report.error)
        assert emulator.traffic.failed["hang"] == ATTEMPTS
        with workspace_lock(workspace.state_dir):  # free: the next run can start
            pass

        emulator.traffic.faults.clear()
        assert run_sync(workspace, plugins, now=now).report.status.value == "ok"


@pytest.mark.slow
@pytest.mark.usefixtures("_org_secrets")
def test_a_sync_under_25_percent_faults_converges_to_the_fault_free_result(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    plugins = create_plugins()
    faults = TrafficConfig(statuses=(429, 500, 502, 503), seed=20261207)
    with SalesforceEmulator() as reference, SalesforceEmulator(traffic=faults) as faulty:
        for emulator in (reference, faulty):
            emulator.org.add_user(USERNAME, PASSWORD, TOKEN)
            seed_org(emulator.org, now)
        clean = workspace_for(reference, tmp_path / "reference", plugins, now)
        first = run_sync(clean, plugins, now=now).report
        assert first.status.value == "ok", first.error
        assert first.connections["sales"].created > 0 and first.connections["sales"].updated > 0
        # The second run brings back the Status Salesforce gave the leads the first created.
        assert run_sync(clean, plugins, now=now).report.status.value == "ok"

        flaky = workspace_for(faulty, tmp_path / "faulty", plugins, now)
        faulty.traffic.config.error_rate = 0.15
        faulty.traffic.config.reset_rate = FAULT_RATE - 0.15
        # The first query fails on every try (run 1 fails, its cursors stay), and the
        # first write once (the engine sends that batch again).
        faulty.fail_next(ATTEMPTS, path="/query", status=503)
        faulty.fail_next(1, "reset", path="/composite/sobjects")

        statuses = []
        for _ in range(MAX_RUNS):
            report = one_run(flaky, plugins, now)
            statuses.append(report.status.value)
            if statuses.count("ok") == 2:  # as the reference: the sync, then the carry-back
                break
        assert statuses.count("ok") == 2, f"not two ok runs in {MAX_RUNS}: {statuses}"
        assert statuses[0] == "failed", statuses

        failed = faulty.traffic.failed
        answered = sum(faulty.org.calls.values())
        print(f"runs {statuses}; {faulty.org.calls} calls answered, failed: {failed}")
        assert failed["status"] + failed["reset"] >= 0.15 * (answered + sum(failed.values()))
        assert failed["status"] > ATTEMPTS and failed["reset"] > 1, failed  # random ones too
        assert org_values(faulty.org) == org_values(reference.org), statuses
        assert csv_values(tmp_path / "faulty") == csv_values(tmp_path / "reference")

        faulty.traffic.config.error_rate = faulty.traffic.config.reset_rate = 0.0
        again = run_sync(flaky, plugins, now=now).report
        assert again.status.value == "ok", again.error
        assert {name: c.api_calls.write for name, c in again.connections.items()} == {
            "marketing": 0,
            "sales": 0,
        }
