"""Benchmark: 10,000 changed contacts pushed to the HubSpot emulator at 190 calls / 10 s.

Run it from the repository (issue 5, item 7)::

    .venv/bin/python bench/hubspot_bench.py [--contacts N] [--drt-records M] [--no-drt]

One emulated portal (``HubSpotEmulator``, throttled by its ``TrafficConfig`` to HubSpot's
190 calls per rolling ten seconds, search 5 a second) is seeded with ``N`` contacts (default
10,000) and the custom properties funnelsync writes. Every contact then gets a change: new
score, fit and engagement scores, explanation, MQL date, and for a third of them a forward
``lifecyclestage`` move. The same changes are pushed twice to that portal, each time from
the same starting state (the portal's store is put back between the two) and an empty
rate-limit window:

1. **funnelsync**: ``HubSpotConnector.write_leads`` in the engine's batches of
   ``write_batch_size`` (100), the way ``funnelsync sync`` pushes a plan;
2. **drt-core**: its HubSpot destination (``drt.destinations.hubspot``), in its own
   virtualenv (``bench/out/drt-venv``, created with ``pip install drt-core`` when missing),
   driven by a small script whose ``_HUBSPOT_API`` constants are patched to the emulator,
   calling ``load()`` per ``sync.batch_size`` (100) records as drt's engine does.

Calls are counted by the emulator itself (every request, by endpoint and status); wall time
is the push alone. The floor is ``ceil(N / 100)`` write calls, and the limit-bound time is
the calls a push needs at the sustained limit of 19 a second (190 / 10 s): for the writes
alone, and with the reads the connector needs to write (the current ``lifecyclestage`` of
the contacts whose stage it writes, and the property definitions), reported separately.
Targets: write calls equal to the floor, wall time within 10% of the limit-bound time.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from funnelsync.connector import ConnectorContext, LeadWrite, WriteStatus
from funnelsync.plugins.hubspot import HubSpotConnector, HubSpotSettings
from funnelsync.plugins.hubspot.emulator.server import (
    DEFAULT_TOKEN,
    HubSpotEmulator,
    RecordedRequest,
)
from funnelsync.plugins.hubspot.emulator.traffic import Traffic, TrafficConfig

DEFAULT_CONTACTS = 10_000
TEN_SECOND_LIMIT = 190
INTERVAL_S = 10.0
SUSTAINED_PER_S = TEN_SECOND_LIMIT / INTERVAL_S
BATCH_LIMIT = 100
TARGET_WALL_SHARE = 1.10
TOKEN_ENV = "FUNNELSYNC_BENCH_HUBSPOT_TOKEN"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_DRT_VENV = REPO / "bench" / "out" / "drt-venv"
STAGE = "lifecyclestage"
CUSTOM_PROPERTIES = (
    ("funnelsync_score", "number", "number"),
    ("funnelsync_fit_score", "number", "number"),
    ("funnelsync_engagement_score", "number", "number"),
    ("funnelsync_explanation", "string", "textarea"),
    ("funnelsync_mql_date", "datetime", "date"),
)
WRITE_SUFFIXES = ("/batch/upsert", "/batch/create", "/batch/update")

DRT_DRIVER = '''\
"""Push records to HubSpot with drt-core's HubSpot destination (from bench/hubspot_bench.py).

Usage: python drt_hubspot_push.py BASE_URL RECORDS_JSON; token in $HUBSPOT_TOKEN.
"""

import json
import sys
import time
from importlib.metadata import version

import drt.destinations.hubspot as hubspot
from drt.config.models import HubSpotDestinationConfig, SyncOptions

base_url, records_path = sys.argv[1].rstrip("/"), sys.argv[2]
# The destination's API address is a module constant: point it at the emulator.
hubspot._HUBSPOT_API = f"{base_url}/crm/v3/objects"
hubspot._HUBSPOT_PROPERTIES_API = f"{base_url}/crm/v3/properties"
with open(records_path, encoding="utf-8") as file:
    records = json.load(file)
config = HubSpotDestinationConfig.model_validate(
    {
        "type": "hubspot",
        "object_type": "contacts",
        "id_property": "email",
        "auth": {"type": "bearer", "token_env": "HUBSPOT_TOKEN"},
    }
)
options = SyncOptions()
destination = hubspot.HubSpotDestination()
totals = {"success": 0, "failed": 0, "skipped": 0}
errors = []
started = time.perf_counter()
for start in range(0, len(records), options.batch_size):  # drt's engine batches the same way
    result = destination.load(records[start : start + options.batch_size], config, options)
    totals["success"] += result.success
    totals["failed"] += result.failed
    totals["skipped"] += result.skipped
    errors.extend(str(error) for error in result.row_errors[: 5 - len(errors)])
wall = time.perf_counter() - started
print(
    json.dumps(
        {
            "version": version("drt-core"),
            "rate_limit": options.rate_limit.model_dump(),
            "retry": options.retry.model_dump(),
            "wall_s": wall,
            "errors": errors,
            **totals,
        }
    )
)
'''


@dataclass
class Push:
    """One tool's push of the changes, as measured."""

    tool: str
    records: int
    ok: int = 0
    wall_s: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    """Requests the emulator received, by ``METHOD endpoint``."""
    statuses: Counter[int] = field(default_factory=Counter)
    verified: int = 0
    """Contacts whose stored values equal the change after the push."""
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def write_calls(self) -> int:
        return sum(n for key, n in self.calls.items() if _is_write(key))

    @property
    def other_calls(self) -> int:
        return sum(n for key, n in self.calls.items() if not _is_write(key))

    @property
    def total_calls(self) -> int:
        return self.write_calls + self.other_calls

    @property
    def limited_calls(self) -> int:
        """Calls that count against the ten-second window (not search or associations)."""
        return sum(n for key, n in self.calls.items() if "/search" not in key and "/v4/" not in key)


def _is_write(key: str) -> bool:
    method, _, path = key.partition(" ")
    if method == "PATCH":
        return True
    return method == "POST" and (
        path.endswith(WRITE_SUFFIXES) or path == "/crm/v3/objects/contacts"
    )


def _endpoint(request: RecordedRequest) -> str:
    parts = request.path.split("/")
    if request.method == "PATCH" and len(parts) == 6:  # /crm/v3/objects/{type}/{id}
        return f"PATCH /crm/v3/objects/{parts[4]}/{{id}}"
    return f"{request.method} {request.path}"


# --- the portal and the changes -----------------------------------------------------------


def start_portal() -> HubSpotEmulator:
    """An emulated portal at HubSpot's 190 calls / 10 s, with funnelsync's properties."""
    config = TrafficConfig(ten_second_limit=TEN_SECOND_LIMIT, interval_ms=int(INTERVAL_S * 1000))
    portal = HubSpotEmulator(traffic=config).start()
    for name, kind, field_type in CUSTOM_PROPERTIES:
        portal.add_property(
            "contacts",
            {
                "name": name,
                "label": name.replace("_", " ").title(),
                "type": kind,
                "fieldType": field_type,
                "groupName": "funnelsync",
            },
        )
    return portal


def seed(portal: HubSpotEmulator, contacts: int) -> list[str]:
    """``contacts`` contacts, a day old; their ids."""
    portal.set_clock(datetime.now(UTC) - timedelta(days=1))
    ids = portal.add_contacts(
        {
            "email": email(index),
            "firstname": f"Person{index}",
            "jobtitle": ("VP Operations", "Engineer", "Director of IT")[index % 3],
            STAGE: "lead" if index % 3 else "subscriber",
            "funnelsync_score": str(index % 40),
        }
        for index in range(contacts)
    )
    portal.set_clock(None)
    return ids


def email(index: int) -> str:
    return f"contact{index}@company{index % 97}.example.com"


def changes(contacts: int) -> list[dict[str, str]]:
    """The new values of every contact (as HubSpot stores them), ``email`` first."""
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for index in range(contacts):
        fit, engagement = 20 + index % 41, index % 53
        values = {
            "email": email(index),
            "funnelsync_score": str(fit + engagement),
            "funnelsync_fit_score": str(fit),
            "funnelsync_engagement_score": str(engagement),
            "funnelsync_explanation": (
                f"score {fit + engagement} (fit {fit}, engagement {engagement}): "
                f"Senior title +20, meeting ({index % 9 + 1} days ago) +{engagement % 16}"
            ),
        }
        if index % 3 == 1:  # a third move forward to MQL (from lead)
            values[STAGE] = "marketingqualifiedlead"
            values["funnelsync_mql_date"] = (now - timedelta(hours=index % 48)).isoformat()
        out.append(values)
    return out


def verify(portal: HubSpotEmulator, wanted: Sequence[dict[str, str]]) -> int:
    """How many contacts hold every wanted value (datetimes compared as instants)."""
    good = 0
    for values in wanted:
        stored = portal.contact_by_email(values["email"]) or {}
        good += all(_same(name, stored.get(name), value) for name, value in values.items())
    return good


def _same(name: str, stored: str | None, wanted: str) -> bool:
    if stored == wanted:
        return True
    if stored is None or not name.endswith("_date"):
        return False
    try:
        return datetime.fromisoformat(stored.replace("Z", "+00:00")) == datetime.fromisoformat(
            wanted
        )
    except ValueError:
        return False


def fresh_window(portal: HubSpotEmulator) -> None:
    """An empty ten-second window and daily count, as if the portal had been idle."""
    portal.traffic = Traffic(replace(portal.traffic.config), portal.variants)


def counted(push: Push, portal: HubSpotEmulator, first: int) -> None:
    """Fill ``push.calls`` and ``push.statuses`` from the requests since index ``first``."""
    for request in portal.requests[first:]:
        push.calls[_endpoint(request)] += 1
        push.statuses[request.status] += 1


# --- funnelsync ------------------------------------------------------------------------------


def push_funnelsync(
    portal: HubSpotEmulator, ids: Sequence[str], wanted: Sequence[dict[str, str]], work: Path
) -> Push:
    """``write_leads`` in the engine's batches, through a connector on default settings."""
    os.environ[TOKEN_ENV] = DEFAULT_TOKEN
    settings = HubSpotSettings.model_validate(
        {"access_token_env": TOKEN_ENV, "base_url": portal.base_url}
    )
    connector = HubSpotConnector(settings, ConnectorContext("marketing", work))
    writes = [
        LeadWrite(values["email"], record_id, {k: v for k, v in values.items() if k != "email"})
        for record_id, values in zip(ids, wanted, strict=True)
    ]
    push = Push("funnelsync", len(writes))
    size = connector.write_batch_size or len(writes)
    first = len(portal.requests)
    started = time.perf_counter()
    try:
        for start in range(0, len(writes), size):
            results = connector.write_leads(writes[start : start + size])
            push.ok += sum(result.status is WriteStatus.ok for result in results)
    finally:
        push.wall_s = time.perf_counter() - started
        connector.close()
    counted(push, portal, first)
    push.verified = verify(portal, wanted)
    calls = connector.calls
    push.notes.append(
        f"connector's own count: {calls.write} write + {calls.read} read; "
        f"settings: defaults (limiter from X-HubSpot-RateLimit-* less 5%, retries 5)"
    )
    return push


# --- drt-core ----------------------------------------------------------------------------------


def drt_python(venv: Path) -> tuple[Path | None, str]:
    """The drt venv's python, creating the venv with ``pip install drt-core`` if needed;
    ``(None, why)`` when that fails."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import drt.destinations.hubspot"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python, "already installed"
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "drt-core"],
    ]
    for step in steps:
        if step[0] != sys.executable and not python.exists():
            break
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            text = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return None, f"`{shlex.join(step)}` failed: " + " / ".join(text)
    check = subprocess.run(probe, capture_output=True, text=True, check=False)
    if check.returncode != 0:
        return None, f"drt-core installed but not importable: {check.stderr.strip()[-400:]}"
    return python, "installed now"


def push_drt(
    portal: HubSpotEmulator, python: Path, wanted: Sequence[dict[str, str]], work: Path
) -> Push:
    """drt-core's HubSpot destination, run by the drt venv's python."""
    push = Push("drt-core", len(wanted))
    driver = work / "drt_hubspot_push.py"
    driver.write_text(DRT_DRIVER, encoding="utf-8")
    records = work / "drt_records.json"
    records.write_text(json.dumps(list(wanted)), encoding="utf-8")
    env = {**os.environ, "HUBSPOT_TOKEN": DEFAULT_TOKEN}
    first = len(portal.requests)
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), str(driver), portal.base_url, str(records)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    process_s = time.perf_counter() - started
    counted(push, portal, first)
    push.verified = verify(portal, wanted)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        push.wall_s = process_s
        push.error = f"exit {done.returncode}: {done.stderr.strip()[-800:]}"
        return push
    report: dict[str, Any] = json.loads(lines[-1])
    push.tool = f"drt-core {report['version']}"
    push.ok = int(report["success"])
    push.wall_s = float(report["wall_s"])
    rate = report["rate_limit"]
    push.notes.append(
        f"success {report['success']}, failed {report['failed']}, skipped {report['skipped']}; "
        f"process {process_s:.1f}s with interpreter start; "
        f"sync.rate_limit {rate['requests_per_second']}/s (HubSpot destination caps it at 9 "
        f"records/s), retry {report['retry']['max_attempts']} attempts"
    )
    if report["errors"]:
        push.notes.append("first errors: " + " | ".join(report["errors"]))
    return push


# --- the table ----------------------------------------------------------------------------------


def bound_s(calls: int) -> float:
    """Seconds ``calls`` take at the sustained limit (19 a second)."""
    return calls / SUSTAINED_PER_S


def table(rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(rows[0]), line(["-" * w for w in widths]), *map(line, rows[1:])])


def report(contacts: int, pushes: Sequence[Push]) -> tuple[str, bool]:
    """The table, the per-push details and the verdict on the targets."""
    floor_writes = math.ceil(contacts / BATCH_LIMIT)
    header = [
        "Tool",
        "Records",
        "OK",
        "Verified",
        "Write calls",
        "Other calls",
        "429s",
        "Wall s",
        "Limit-bound s",
        "Records/s",
    ]
    rows = [
        header,
        [
            "floor",
            f"{contacts:,}",
            "",
            "",
            f"{floor_writes}",
            "",
            "",
            "",
            f"{bound_s(floor_writes):.2f} (writes)",
            "",
        ],
    ]
    for push in pushes:
        rows.append(
            [
                push.tool,
                f"{push.records:,}",
                f"{push.ok:,}",
                f"{push.verified:,}",
                f"{push.write_calls:,}",
                f"{push.other_calls:,}",
                f"{push.statuses[429]:,}",
                f"{push.wall_s:.2f}",
                f"{bound_s(push.limited_calls):.2f}",
                f"{push.records / push.wall_s:,.0f}" if push.wall_s else "",
            ]
        )
    lines = [table(rows), ""]
    lines.append(
        f"Limit-bound s: the calls that count against the ten-second window at "
        f"{TEN_SECOND_LIMIT}/{INTERVAL_S:.0f} s = {SUSTAINED_PER_S:.0f} a second. From an "
        f"idle portal the rolling window lets the first {TEN_SECOND_LIMIT} calls through at "
        "once, so a push of fewer calls can beat it."
    )
    for push in pushes:
        endpoints = ", ".join(f"{key} {n:,}" for key, n in sorted(push.calls.items()))
        statuses = ", ".join(f"{status}: {n:,}" for status, n in sorted(push.statuses.items()))
        lines.append(f"- {push.tool}: {endpoints}; statuses {statuses}")
        lines.extend(f"  {note}" for note in push.notes)
        if push.error:
            lines.append(f"  FAILED: {push.error}")
    ours = pushes[0]
    needed_reads = ours.limited_calls - ours.write_calls
    limit_s = bound_s(ours.limited_calls)
    calls_ok = ours.write_calls == floor_writes and ours.ok == contacts
    wall_ok = ours.wall_s <= TARGET_WALL_SHARE * limit_s
    lines += [
        "",
        "Targets (funnelsync):",
        f"- write calls {ours.write_calls} vs floor {floor_writes}: "
        + ("met" if calls_ok else "MISSED"),
        f"- wall {ours.wall_s:.2f} s vs limit-bound {limit_s:.2f} s "
        f"({ours.write_calls} writes {bound_s(ours.write_calls):.2f} s + {needed_reads} reads "
        f"the connector needs {bound_s(needed_reads):.2f} s), within "
        f"{TARGET_WALL_SHARE - 1:.0%}: " + ("met" if wall_ok else "MISSED"),
    ]
    return "\n".join(lines), calls_ok and wall_ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=DEFAULT_CONTACTS)
    parser.add_argument(
        "--drt-records", type=int, help="push only the first M records with drt (default: all)"
    )
    parser.add_argument("--no-drt", action="store_true", help="skip drt-core")
    parser.add_argument("--drt-venv", type=Path, default=DEFAULT_DRT_VENV)
    args = parser.parse_args(argv)
    print("command:", shlex.join([os.path.relpath(sys.executable), *sys.argv]))
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs")

    portal = start_portal()
    try:
        started = time.perf_counter()
        ids = seed(portal, args.contacts)
        wanted = changes(args.contacts)
        pristine = copy.deepcopy(portal.store)
        print(f"seeded {args.contacts:,} contacts in {time.perf_counter() - started:.1f}s")
        with tempfile.TemporaryDirectory(prefix="hubspot-bench-") as scratch:
            work = Path(scratch)
            fresh_window(portal)
            pushes = [push_funnelsync(portal, ids, wanted, work)]
            print(f"funnelsync pushed in {pushes[0].wall_s:.1f}s", flush=True)
            if not args.no_drt:
                python, how = drt_python(args.drt_venv)
                if python is None:
                    print(f"drt-core not run: {how}")
                else:
                    portal.store = pristine
                    fresh_window(portal)
                    subset = wanted[: args.drt_records] if args.drt_records else wanted
                    print(f"drt-core ({how}) pushing {len(subset):,} records…", flush=True)
                    pushes.append(push_drt(portal, python, subset, work))
    finally:
        portal.stop()
    text, met = report(args.contacts, pushes)
    print()
    print(text)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
