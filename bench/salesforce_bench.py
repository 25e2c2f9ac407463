"""Benchmark: the salesforce connector's writes and reads on the emulator, side by side with
drt-core's Salesforce Bulk destination pushing the same records (issue 6, item 7).

Run it from the repository (defaults: 10,000 changed leads written, 100,000 read)::

    .venv/bin/python bench/salesforce_bench.py [--writes N] [--reads M] [--drt-venv DIR]
        [--no-drt] [--fault-rate F]

One in-memory emulator org on 127.0.0.1 holds ``--reads`` Leads with the funnel fields.
Then, each with a fresh connector (so its login is included):

1. funnelsync writes ``--writes`` changed leads (score, stage, explanation by Lead Id)
   with its defaults: above ``bulk_threshold`` (2,000) that is one Bulk API 2.0 job whose
   per-record results are read back. Floor: one job of a handful of calls;
2. the same through sObject Collections (``bulk_threshold`` raised above the batch).
   Floor: ``writes / 200`` calls (50 for 10,000);
3. drt-core's ``salesforce_bulk`` destination (``operation: update``) pushes the same
   records, changed once more, to the same org: a small driver run by the Python of a
   separate virtualenv (``--drt-venv``, default ``bench/out/drt-venv``, created with
   ``pip install drt-core`` when missing). drt-core talks to the emulator directly: its
   ``instance_url`` is the emulator's ``http://127.0.0.1:<port>``, and it logs in with the
   OAuth password grant of a connected app the org is given;
4. funnelsync reads every lead (``read_leads`` with no cursor). Floor: ``reads / 2000``
   query pages (50 for 100,000). With ``--fault-rate F``, it reads them once more while
   the emulator fails that share of the calls (500, 502, 503, 429; no ``Retry-After``),
   which the connector retries with backoff: the cost of the retries.

Calls are counted by the emulator (every HTTP request it answered, logins included) and,
for funnelsync, by the connector itself; "API" is the rise of the org's daily API usage
(``Sforce-Limit-Info``), which logins do not count. Wall time is measured in-process
around the work (for drt-core, inside its driver: ``stage`` + ``finalize``, login
included; its interpreter start is shown apart).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
import venv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnelsync.connector import ConnectorContext, LeadWrite, WriteStatus
from funnelsync.plugins.salesforce import SalesforceConnector, SalesforceSettings
from funnelsync.plugins.salesforce.emulator import Org, SalesforceEmulator

DEFAULT_WRITES = 10_000
DEFAULT_READS = 100_000
DEFAULT_DRT_VENV = Path(__file__).resolve().parent / "out" / "drt-venv"
DRT_PACKAGE = "drt-core"

USERNAME = "bench@funnelsync.example"
PASSWORD = "bench-Passw0rd"  # a made-up password of an in-memory org
SECURITY_TOKEN = "BENCHtoken42"  # likewise
CONSUMER_KEY = "funnelsync-bench-app"
CONSUMER_SECRET = "bench-app-secret"  # likewise
PASSWORD_ENV, TOKEN_ENV = "SF_BENCH_PASSWORD", "SF_BENCH_TOKEN"

FUNNEL_FIELDS = {
    "Funnel_Score__c": ("double", 0),
    "Funnel_Fit_Score__c": ("double", 0),
    "Funnel_Engagement_Score__c": ("double", 0),
    "Funnel_Stage__c": ("string", 80),
    "Funnel_Explanation__c": ("textarea", 32768),
}
COLLECTION_SIZE = 200
QUERY_PAGE = 2000

DRT_DRIVER = """\
import json, os, sys, time
from drt.config.models import SalesforceBulkDestinationConfig, SyncOptions
from drt.destinations.salesforce_bulk import SalesforceBulkDestination

records = json.load(sys.stdin)
config = SalesforceBulkDestinationConfig(
    type="salesforce_bulk",
    instance_url=os.environ["DRT_SF_INSTANCE_URL"],
    object_name="Lead",
    operation="update",
    external_id_field="Id",
    poll_interval_seconds=0,
    client_id_env="DRT_SF_CLIENT_ID",
    client_secret_env="DRT_SF_CLIENT_SECRET",
    username_env="DRT_SF_USERNAME",
    password_env="DRT_SF_PASSWORD",
)
options = SyncOptions()
destination = SalesforceBulkDestination()
started = time.perf_counter()
destination.stage(records, config, options)
result = destination.finalize(config, options)
seconds = time.perf_counter() - started
json.dump(
    {
        "seconds": seconds,
        "extracted": result.rows_extracted,
        "success": result.success,
        "failed": result.failed,
        "errors": [error.error_message for error in result.row_errors[:3]],
    },
    sys.stdout,
)
"""


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the table."""

    step: str
    tool: str
    records: int
    ok: int
    calls: int
    """HTTP requests the emulator answered."""
    api: int
    """Rise of the org's daily API usage."""
    floor: str
    wall_s: float
    detail: str


# --- the org -------------------------------------------------------------------------------


def seed(org: Org, count: int) -> list[str]:
    """A user, a connected app, the funnel fields, and ``count`` Leads; returns their Ids."""
    org.add_user(USERNAME, PASSWORD, SECURITY_TOKEN)
    org.add_connected_app(CONSUMER_KEY, CONSUMER_SECRET)
    for sobject in ("Lead", "Contact"):
        for name, (kind, length) in FUNNEL_FIELDS.items():
            org.add_field(sobject, name, kind, length=length)
    return [
        org.add_lead(
            FirstName=f"First{n}",
            LastName=f"Last{n}",
            Email=f"lead{n:06d}@bench.example.com",
            Company=f"Company {n % 997}",
            Title=("VP Operations", "Engineer", "Head of Sales", "Student")[n % 4],
            Industry=("Healthcare", "Software", "Retail", "Banking")[n % 4],
            NumberOfEmployees=50 + n % 5000,
            Country=("United States", "Germany", "France", "Canada")[n % 4],
        )
        for n in range(count)
    ]


def funnel_values(n: int, round_: int) -> dict[str, Any]:
    """What funnelsync writes for lead ``n`` in ``round_`` (each round changes every lead)."""
    fit = (n * 7 + round_) % 61
    engagement = (n * 13 + 3 * round_) % 101
    stage = "MQL" if fit >= 25 and engagement >= 30 else "Lead"
    return {
        "Funnel_Score__c": fit + engagement,
        "Funnel_Fit_Score__c": fit,
        "Funnel_Engagement_Score__c": engagement,
        "Funnel_Stage__c": stage,
        "Funnel_Explanation__c": (
            f"{stage} since 2026-11-{1 + round_:02d} · score {fit + engagement} "
            f"(fit {fit}, engagement {engagement}): demo request +{engagement}, "
            f"Senior title +{min(fit, 20)}, Target industry +15"
        ),
    }


def connector(
    emulator: SalesforceEmulator, workspace: Path, **settings: Any
) -> SalesforceConnector:
    """A fresh connector on the emulator (password login as the bench user)."""
    config = {
        "auth": {
            "kind": "password",
            "username": USERNAME,
            "password_env": PASSWORD_ENV,
            "security_token_env": TOKEN_ENV,
        },
        "domain": emulator.base_url,
        "bulk_poll_seconds": 0,
        **settings,
    }
    return SalesforceConnector(
        SalesforceSettings.model_validate(config), ConnectorContext("sales", workspace)
    )


def measured(org: Org, work: Callable[[], Any]) -> tuple[Any, float, Counter[str], int]:
    """``work()``'s result, its wall time, the emulator's calls by endpoint, the API usage."""
    calls_before, used_before = Counter(org.calls), org.api_used
    started = time.perf_counter()
    result = work()
    wall = time.perf_counter() - started
    calls = Counter(org.calls)
    calls.subtract(calls_before)
    return result, wall, +calls, org.api_used - used_before


def endpoints(calls: Counter[str]) -> str:
    """``query 1, query_more 49`` (endpoints by name)."""
    return ", ".join(f"{name} {count}" for name, count in sorted(calls.items()))


# --- funnelsync ----------------------------------------------------------------------------


def funnelsync_write(
    emulator: SalesforceEmulator, workspace: Path, ids: Sequence[str], round_: int, bulk: bool
) -> Line:
    """Write ``ids`` (changed) with a fresh connector, through Bulk API or Collections."""
    writes = [
        LeadWrite(f"lead{n:06d}@bench.example.com", lead_id, funnel_values(n, round_))
        for n, lead_id in enumerate(ids)
    ]
    settings = {} if bulk else {"bulk_threshold": len(ids) + 1}
    made = connector(emulator, workspace, **settings)
    try:
        results, wall, calls, api = measured(emulator.org, lambda: made.write_leads(writes))
    finally:
        made.close()
    ok = sum(1 for result in results if result.status is WriteStatus.ok)
    if bulk:
        floor = "1 Bulk job (≈5 calls)"
        step = f"write {len(ids):,} changed leads"
        tool = "funnelsync (Bulk API 2.0, default)"
    else:
        floor = f"{math.ceil(len(ids) / COLLECTION_SIZE)} collection calls"
        step = f"write {len(ids):,} changed leads"
        tool = "funnelsync (sObject Collections)"
    detail = f"connector: {made.calls.read} read + {made.calls.write} write; {endpoints(calls)}"
    return Line(step, tool, len(ids), ok, calls.total(), api, floor, wall, detail)


def funnelsync_read(emulator: SalesforceEmulator, workspace: Path, count: int) -> Line:
    """Read every lead with a fresh connector (no cursor)."""
    made = connector(emulator, workspace)

    def drain() -> tuple[int, int]:
        batches = records = 0
        for batch in made.read_leads(None):
            batches += 1
            records += len(batch.records)
        return batches, records

    failed_before = sum(emulator.traffic.failed.values())
    try:
        (pages, records), wall, calls, api = measured(emulator.org, drain)
    finally:
        made.close()
    detail = f"{pages} pages; connector: {made.calls.read} read; {endpoints(calls)}"
    failed = sum(emulator.traffic.failed.values()) - failed_before
    if failed:
        detail += f"; {failed} failed and retried"
    floor = f"{math.ceil(count / QUERY_PAGE)} query pages"
    rate = emulator.traffic.config.error_rate
    return Line(
        f"read {count:,} leads" + (f" at {rate:.0%} faults" if rate else ""),
        "funnelsync",
        count,
        records,
        calls.total(),
        api,
        floor,
        wall,
        detail,
    )


# --- drt-core ------------------------------------------------------------------------------


class DrtUnavailableError(Exception):
    """drt-core could not be installed or run here; the message says why."""


def drt_python(venv_dir: Path) -> Path:
    """The Python of a virtualenv with drt-core, creating it (pip install) when missing."""
    python = venv_dir / "bin" / "python"
    if not python.exists():
        print(f"creating {venv_dir} and installing {DRT_PACKAGE} there …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    probe = subprocess.run(
        [str(python), "-c", "import drt.destinations.salesforce_bulk"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        return python
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", DRT_PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        raise DrtUnavailableError(
            f"pip install {DRT_PACKAGE} failed (exit {install.returncode}): "
            + (install.stderr.strip() or install.stdout.strip())[-2000:]
        )
    return python


def drt_version(python: Path) -> str:
    """The installed drt-core version."""
    found = subprocess.run(
        [
            str(python),
            "-c",
            f"from importlib.metadata import version; print(version({DRT_PACKAGE!r}))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "?"


def drt_write(emulator: SalesforceEmulator, python: Path, ids: Sequence[str], round_: int) -> Line:
    """Push the same leads (changed once more) with drt-core's salesforce_bulk destination."""
    records = [{"Id": lead_id, **funnel_values(n, round_)} for n, lead_id in enumerate(ids)]
    environment = {
        **os.environ,
        "DRT_SF_INSTANCE_URL": emulator.base_url,
        "DRT_SF_CLIENT_ID": CONSUMER_KEY,
        "DRT_SF_CLIENT_SECRET": CONSUMER_SECRET,
        "DRT_SF_USERNAME": USERNAME,
        "DRT_SF_PASSWORD": PASSWORD + SECURITY_TOKEN,
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-c", DRT_DRIVER],
            input=json.dumps(records),
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )

    finished, process_s, calls, api = measured(emulator.org, run)
    if finished.returncode != 0:
        raise DrtUnavailableError(
            f"the drt-core driver failed (exit {finished.returncode}): "
            + finished.stderr.strip()[-2000:]
        )
    outcome = json.loads(finished.stdout)
    written = sum(
        1
        for n, lead_id in enumerate(ids)
        if emulator.org.get(lead_id)["Funnel_Score__c"]
        == funnel_values(n, round_)["Funnel_Score__c"]
    )
    detail = (
        f"success {outcome['success']}, failed {outcome['failed']}, {written:,} verified in the "
        f"org; process {process_s:.2f}s with interpreter start; {endpoints(calls)}"
    )
    if outcome["errors"]:
        detail += f"; first errors: {outcome['errors']}"
    return Line(
        f"write {len(ids):,} changed leads",
        f"drt-core {drt_version(python)} (salesforce_bulk)",
        len(ids),
        int(outcome["success"]),
        calls.total(),
        api,
        "1 Bulk job (≈5 calls)",
        float(outcome["seconds"]),
        detail,
    )


# --- the report ----------------------------------------------------------------------------


def table(lines: Sequence[Line]) -> str:
    """The lines as a Markdown table, then each line's details."""
    header = ("Step", "Tool", "Records", "OK", "Calls", "API", "Floor", "Wall s", "Records/s")
    rows = [
        (
            line.step,
            line.tool,
            f"{line.records:,}",
            f"{line.ok:,}",
            str(line.calls),
            str(line.api),
            line.floor,
            f"{line.wall_s:.2f}",
            f"{line.records / line.wall_s:,.0f}" if line.wall_s else "-",
        )
        for line in lines
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [render(header), render(["-" * w for w in widths]), *map(render, rows), ""]
    out += [f"- {line.tool}, {line.step}: {line.detail}" for line in lines]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; exit 1 if a write or read came up short."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--writes", type=int, default=DEFAULT_WRITES, help="changed leads")
    parser.add_argument("--reads", type=int, default=DEFAULT_READS, help="leads read")
    parser.add_argument("--drt-venv", type=Path, default=DEFAULT_DRT_VENV)
    parser.add_argument("--no-drt", action="store_true", help="skip drt-core")
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="also read with this share of calls failing (5xx and 429), retried",
    )
    args = parser.parse_args(argv)
    if not 0 < args.writes <= args.reads:
        parser.error("need 0 < --writes <= --reads")
    command = shlex.join([sys.executable, *sys.argv]) if argv is None else "(called from Python)"
    print(f"command: {command}")
    os.environ[PASSWORD_ENV], os.environ[TOKEN_ENV] = PASSWORD, SECURITY_TOKEN
    lines: list[Line] = []
    drt_problem: str | None = None
    with SalesforceEmulator() as emulator, tempfile.TemporaryDirectory() as scratch:
        workspace = Path(scratch)
        started = time.perf_counter()
        ids = seed(emulator.org, args.reads)
        print(f"seeded {args.reads:,} leads in {time.perf_counter() - started:.1f}s", flush=True)
        targets = ids[: args.writes]
        lines.append(funnelsync_write(emulator, workspace, targets, round_=1, bulk=True))
        lines.append(funnelsync_write(emulator, workspace, targets, round_=2, bulk=False))
        if args.no_drt:
            drt_problem = "skipped (--no-drt)"
        else:
            try:
                lines.append(drt_write(emulator, drt_python(args.drt_venv), targets, round_=3))
            except DrtUnavailableError as exc:
                drt_problem = str(exc)
        lines.append(funnelsync_read(emulator, workspace, args.reads))
        if args.fault_rate:
            emulator.traffic.config.statuses = (500, 502, 503, 429)
            emulator.traffic.config.error_rate = args.fault_rate
            lines.append(funnelsync_read(emulator, workspace, args.reads))
    print()
    print(table(lines))
    if drt_problem:
        print(f"\ndrt-core: {drt_problem}")
    short = [line for line in lines if line.ok != line.records]
    for line in short:
        print(f"SHORT: {line.tool}, {line.step}: {line.ok:,} of {line.records:,}")
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
