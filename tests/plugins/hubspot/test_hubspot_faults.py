"""A whole sync under injected failures: 429s and 5xx at 20% of the requests.

Two portals are seeded with the same few hundred contacts and engagements and synced with
the same CSV CRM, at the same ``now``: one fault-free (the reference), one that answers a
seeded random 20% of its requests with a 429, 500, 502 or 503 carrying ``Retry-After``.
The faulty sync may take more than one run: a read that runs out of tries fails the run
(its cursors stay put) and a write batch that does is left for the next run (``partial``).
Three planted failures make sure the first run fails and that the engine retries a whole
write batch. Once a run ends ``ok``, both portals and both CSV files must hold the same
values, no contact may exist twice, no request may have come inside a ``Retry-After``
window of its run, and one more run must find nothing to write.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from funnelsync.connector import FieldInfo
from funnelsync.plugin_manager import FunnelPlugins, create_plugins
from funnelsync.plugins.hubspot.emulator.server import DEFAULT_TOKEN, HubSpotEmulator, TrafficConfig
from funnelsync.run_report import RunReport
from funnelsync.sync.engine.run import RunFailedError, run_sync
from funnelsync.sync.workspace.loading import Workspace, load_workspace

TEMPLATES = Path(__file__).resolve().parents[3] / "sync" / "workspace" / "templates"
TOKEN_ENV = "HS_FAULTS_TOKEN"
CONTACTS = 300
"""Contacts in HubSpot; the CSV CRM adds :data:`CSV_ONLY` more, which HubSpot gets created."""
CSV_ONLY = 20
ERROR_RATE = 0.2
FAULT_SEED = 20240501
"""Seeds which requests fail; the connector calls one at a time, so a run is repeatable."""
RETRY_ATTEMPTS = 3
"""Tries per call (the default is 5): fewer, so that some calls do run out of tries."""
MAX_RUNS = 4
"""Runs the faulty sync may take to complete."""
COMPARED = (
    "email",
    "jobtitle",
    "lifecyclestage",
    "hs_lead_status",
    "funnelsync_score",
    "funnelsync_fit_score",
    "funnelsync_engagement_score",
    "funnelsync_explanation",
    "funnelsync_mql_date",
)
COMPUTED = [
    FieldInfo("funnelsync_score", "number"),
    FieldInfo("funnelsync_fit_score", "number"),
    FieldInfo("funnelsync_engagement_score", "number"),
    FieldInfo("funnelsync_explanation", "string"),
    FieldInfo("funnelsync_talking_points", "string"),
    FieldInfo("funnelsync_mql_date", "datetime"),
]
CONFIG = """\
version: 1
contract: contract.yaml
connections:
  marketing:
    connector: hubspot
    settings:
      access_token_env: {token_env}
      base_url: {base_url}
      search_settle_s: 0
      rate_limit: {{search_per_second: 100}}
      retry: {{attempts: {attempts}}}
    mapping:
      lead_fields:
        stage_dates.mql: funnelsync_mql_date
  sales:
    connector: csv
    create_from_stage: mql
    settings:
      leads: {{path: sales.csv, modified_column: updated_at}}
"""
TITLES = ("VP Operations", "Director of IT", "Engineer", "Student", "Head of Growth", "")
INDUSTRIES = ("Healthcare", "Software", "Retail", "Financial Services")
COUNTRIES = ("United States", "Germany", "France", "Canada")
SALES_STATUSES = (
    "",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
    "Open - Not Contacted",
)


def email(index: int) -> str:
    return f"person{index}@corp{index % 7}.example.com"


def seed_portal(emulator: HubSpotEmulator, now: datetime) -> None:
    """The same contacts and engagements in any portal (a day before ``now``)."""
    emulator.set_clock(now - timedelta(days=1))
    rows = []
    for index in range(CONTACTS):
        row = {
            "email": email(index),
            "firstname": f"Person{index}",
            "jobtitle": TITLES[index % len(TITLES)],
            "industry": INDUSTRIES[index % len(INDUSTRIES)],
            "country": COUNTRIES[index % len(COUNTRIES)],
        }
        if index % 5 == 1:
            row["lifecyclestage"] = "lead"
        elif index % 5 == 2:
            row["lifecyclestage"] = "subscriber"
        if index % 11 == 0:
            row["recent_conversion_date"] = (now - timedelta(days=3)).isoformat()
            row["recent_conversion_event_name"] = "Demo request"
        rows.append(row)
    ids = emulator.add_contacts(rows)
    for index, contact_id in enumerate(ids):
        when = now - timedelta(days=1 + index % 20)
        if index % 3 == 0:
            emulator.add_engagement("meetings", [contact_id], when, {"hs_meeting_title": "Demo"})
        if index % 4 == 0:
            emulator.add_engagement("meetings", [contact_id], when, {"hs_meeting_title": "Deep"})
        if index % 2 == 0:
            others = [contact_id, ids[(index + 1) % len(ids)]]
            emulator.add_engagement("calls", others, when, {"hs_call_title": "Intro"})
        if index % 9 == 0:
            emulator.add_engagement("notes", [contact_id], when)
    emulator.set_clock(None)


def sales_csv() -> str:
    """The CRM: a status for every fifth HubSpot contact, plus leads HubSpot lacks."""
    lines = ["email,title,industry,company_size,country,lead_status,updated_at"]
    stamp = "2024-05-01T08:00Z"
    for index in range(0, CONTACTS, 5):
        status = SALES_STATUSES[(index // 5) % len(SALES_STATUSES)]
        lines.append(f"{email(index)},,Software,{300 + index},United States,{status},{stamp}")
    for index in range(CONTACTS, CONTACTS + CSV_ONLY):
        lines.append(f"{email(index)},VP Sales,Healthcare,1200,Canada,Working - Contacted,{stamp}")
    return "\n".join([*lines, ""])


def workspace_for(
    emulator: HubSpotEmulator, folder: Path, plugins: FunnelPlugins, contract: str
) -> Workspace:
    folder.mkdir()
    (folder / "contract.yaml").write_text(contract)
    config = CONFIG.format(token_env=TOKEN_ENV, base_url=emulator.base_url, attempts=RETRY_ATTEMPTS)
    (folder / "funnelsync.yaml").write_text(config)
    (folder / "sales.csv").write_text(sales_csv())
    workspace = load_workspace(folder / "funnelsync.yaml", plugins)
    marketing = next(c for c in workspace.connections if c.name == "marketing")
    marketing.open(folder).create_fields(COMPUTED)
    return workspace


def portal_values(emulator: HubSpotEmulator) -> dict[str, dict[str, str]]:
    """Every contact's compared properties, by email; fails on a duplicate email."""
    values: dict[str, dict[str, str]] = {}
    for contact in emulator.store.all("contacts"):
        key = contact.properties["email"]
        assert key not in values, f"two contacts with the email {key}"
        values[key] = {name: contact.properties.get(name, "") for name in COMPARED}
    return values


def csv_values(folder: Path) -> dict[str, dict[str, str]]:
    """The CRM's rows by email, without the time the CSV connector wrote them."""
    with (folder / "sales.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    emails = [row["email"] for row in rows]
    assert len(emails) == len(set(emails)), "a lead was written twice to the CSV CRM"
    return {row["email"]: {k: v for k, v in row.items() if k != "updated_at"} for row in rows}


@dataclass(frozen=True)
class Seen:
    """One request as the portal saw it: when it arrived and how it was answered."""

    at: float
    method: str
    target: str
    status: int
    retry_after: float | None


def record_arrivals(emulator: HubSpotEmulator, monkeypatch: pytest.MonkeyPatch) -> list[Seen]:
    """Note the arrival time (monotonic) and answer of every request the portal gets."""
    seen: list[Seen] = []
    handle = emulator.handle

    def timed(
        method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        at = time.monotonic()
        status, answer_headers, payload = handle(method, target, headers, raw)
        retry_after = answer_headers.get("Retry-After")
        wait = float(retry_after) if retry_after is not None else None
        seen.append(Seen(at, method, target, status, wait))
        return status, answer_headers, payload

    monkeypatch.setattr(emulator, "handle", timed)
    return seen


def sync_until_done(
    workspace: Workspace, plugins: FunnelPlugins, now: datetime, seen: list[Seen]
) -> tuple[list[str], list[int]]:
    """Run until a run ends ``ok`` (at most :data:`MAX_RUNS`): each run's status, and
    where each run's requests start in ``seen``."""
    statuses: list[str] = []
    starts: list[int] = []
    for _ in range(MAX_RUNS):
        starts.append(len(seen))
        try:
            report: RunReport = run_sync(workspace, plugins, now=now).report
        except RunFailedError as failed:  # a read that failed five times: run it again
            report = failed.result.report
        statuses.append(report.status.value)
        if report.status.value == "ok":
            return statuses, starts
    pytest.fail(f"the sync did not complete in {MAX_RUNS} runs: {statuses}")


def test_sync_under_injected_429s_and_5xx_ends_with_every_record_correct(
    make_emulator: Callable[..., HubSpotEmulator],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    now = datetime.now(UTC).replace(microsecond=0)
    contract = (TEMPLATES / "contract.yaml").read_text(encoding="utf-8")
    # The template's SAL value is a custom stage this portal does not have.
    contract = contract.replace("salesacceptedlead", "opportunity")
    plugins = create_plugins()

    reference = make_emulator()
    seed_portal(reference, now)
    clean = workspace_for(reference, tmp_path / "reference", plugins, contract)
    first = run_sync(clean, plugins, now=now).report
    assert first.status.value == "ok", first.error

    # Search limits high (as conftest's FAST), failures on: a seeded 20%, Retry-After 1 s.
    traffic = TrafficConfig(search_per_second=100, error_retry_after=1, seed=FAULT_SEED)
    faulty = make_emulator(traffic=traffic)
    seed_portal(faulty, now)
    flaky = workspace_for(faulty, tmp_path / "faulty", plugins, contract)
    seen = record_arrivals(faulty, monkeypatch)
    faulty.traffic.config.error_rate = ERROR_RATE
    # Besides the random failures, three that decide the course of the sync: the first
    # read fails on every try (the first run fails and the next run starts over), the
    # first write fails on every try of the connector (the engine retries the batch), and
    # a 429 on a batch read (the connector pauses its limiter).
    faulty.fail_next(RETRY_ATTEMPTS, status=503, path="/contacts/search", retry_after=1)
    faulty.fail_next(RETRY_ATTEMPTS, status=502, path="/batch/upsert", retry_after=1)
    faulty.fail_next(1, status=429, path="/batch/read", retry_after=1)

    statuses, starts = sync_until_done(flaky, plugins, now, seen)
    assert statuses[0] == "failed", f"the planted read failure did not fail run 1: {statuses}"

    refused = [request for request in seen if request.status in (429, 500, 502, 503)]
    assert len(seen) >= 20, "too few requests to say anything about failures"
    assert len(refused) >= 0.1 * len(seen), f"{len(refused)} of {len(seen)} requests refused"
    assert {request.status >= 500 for request in refused} == {True, False}, "429s and 5xx"

    expected = portal_values(reference)
    assert len(expected) == CONTACTS + CSV_ONLY
    assert sum(1 for v in expected.values() if v["lifecyclestage"] == "marketingqualifiedlead")
    assert sum(1 for v in expected.values() if v["funnelsync_explanation"]) == len(expected)
    assert portal_values(faulty) == expected, f"runs: {statuses}"
    assert csv_values(tmp_path / "faulty") == csv_values(tmp_path / "reference")

    # Within a run, every request after a refusal waited out its Retry-After (the
    # connector calls one at a time, so that request is the retry, or the next call).
    # A new run is a new start: this test starts it at once, a schedule would not.
    for start, end in zip(starts, [*starts[1:], len(seen)], strict=True):
        run = seen[start:end]
        for before, after in pairwise(run):
            if before.retry_after is not None:
                waited = after.at - before.at
                assert waited >= before.retry_after, (
                    f"{after.method} {after.target} came {waited:.3f}s after a "
                    f"{before.status} that asked for {before.retry_after:.0f}s"
                )

    # The ledger knows exactly what landed: one more run finds nothing to write.
    faulty.traffic.config.error_rate = 0.0
    again = run_sync(flaky, plugins, now=now).report
    assert again.status.value == "ok", again.error
    assert {name: counts.api_calls.write for name, counts in again.connections.items()} == {
        "marketing": 0,
        "sales": 0,
    }
