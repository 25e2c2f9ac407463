"""Benchmark: scoring and staging every lead, in-process (issue 4, item 9).

Run it from the repository (defaults: 100,000 leads, 1,000,000 activities, best of 3)::

    .venv/bin/python bench/scoring_bench.py [--leads N] [--activities M] [--repeat R]
                                            [--seed S] [--profile [TOP]]

It generates seeded data in memory: pydantic ``Lead`` objects with realistic fields (a
title, an industry, a company size, a country, a CRM status; a third have a stage from a
previous run with its entry date), and lightweight activities (a frozen, slotted dataclass
with type, time, campaign and asset, as the state store yields them) spread unevenly over
the leads within the last 180 days. It loads the demo contract
(``sync/workspace/templates/contract.yaml``), then times, with ``time.perf_counter``,
only what a run does per lead once the data is read::

    score = score_lead(contract.scoring, lead, activities, as_of)
    placement = place_lead(contract, lead, score, previous_stage, as_of)
    explain(contract.stage(placement.stage).display_name, <its entry date>, score)

It reports the best of ``--repeat`` passes: wall time (and the CPU time of that pass: on a
busy machine the two part), leads/s, activities/s, and the
process's peak RSS (``resource.getrusage``), which includes the generated data. The target
(issue 4) is 100,000 leads with 1,000,000 activities in at most 5 s.

``--profile`` runs one more pass under :mod:`cProfile` and prints the functions with the
most own time (``TOP``, default 20), so you can see where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import platform
import pstats
import random
import resource
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from funnelsync.contract import FunnelContract
from funnelsync.explanation import explain
from funnelsync.models import Lead
from funnelsync.scoring import score_lead
from funnelsync.stages import place_lead

DEFAULT_LEADS = 100_000
DEFAULT_ACTIVITIES = 1_000_000
DEFAULT_SEED = 7
DEFAULT_REPEAT = 3
TARGET_SECONDS = 5.0
AS_OF = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
WINDOW_DAYS = 180
CONTRACT_PATH = (
    Path(__file__).resolve().parent.parent / "sync" / "workspace" / "templates" / "contract.yaml"
)

FIRST_NAMES = (
    "Maria", "James", "Wei", "Priya", "Lukas", "Sofia", "Hiroshi", "Amara", "Olivia", "Mateo",
    "Arjun", "Ingrid", "Kwame", "Yuki", "Fatima", "Liam", "Ana", "Noah", "Emma", "Daniel",
)  # fmt: skip
LAST_NAMES = (
    "Lopez", "Smith", "Zhang", "Patel", "Muller", "Rossi", "Tanaka", "Okafor", "Johnson",
    "Garcia", "Dubois", "Sharma", "Andersen", "Mensah", "Sato", "Khan", "Brown", "Silva",
)  # fmt: skip
COMPANIES = (
    "Northwind", "Bluepeak", "Silverline", "Brightwater", "Ironbridge", "Greenfield", "Redwood",
    "Summit", "Cobalt", "Harbor", "Lumen", "Vertex", "Aurora", "Keystone", "Pinecrest",
)  # fmt: skip
TITLES = (
    "VP Marketing", "Head of Growth", "CTO", "Director of Marketing", "VP Sales",
    "Marketing Manager", "Demand Generation Manager", "Sales Manager", "Product Manager",
    "Software Engineer", "Data Analyst", "Marketing Coordinator", "Consultant", "Student",
    "Intern",
)  # fmt: skip
INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing", "Education",
    "Media", "Logistics",
)  # fmt: skip
COUNTRIES = (
    "United States", "United Kingdom", "Germany", "India", "France", "Canada", "Brazil", "Japan",
)  # fmt: skip
COUNTRY_WEIGHTS = (30, 10, 9, 8, 6, 6, 5, 5)
SOURCES = ("Organic Search", "Webinar", "Paid Social", "Content Download", "Event", "Referral")
OWNERS = ("Alex Morgan", "Priya Raman", "Jordan Lee", "Sam Okoro", "Elena Fischer")
STATUSES = (
    None,
    "Open - Not Contacted",
    "Working - Contacted",
    "Qualified",
    "Closed - Converted",
    "Closed - Not Converted",
    "Recycled",
)
STATUS_WEIGHTS = (40, 20, 18, 8, 4, 6, 4)
REASONS = ("No budget", "Went with a competitor", "Not the decision maker", "Bad timing")
ACTIVITY_TYPES = (
    "page_view",
    "email_open",
    "email_click",
    "content_download",
    "form_fill",
    "webinar_attended",
    "demo_request",
    "call",
    "meeting",
    "email_bounce",  # not scored by the demo contract
)
ACTIVITY_WEIGHTS = (34, 31, 12, 6, 4, 4, 1.5, 4, 2, 1.5)
CAMPAIGNS = (None, "spring-launch", "webinar-q3", "nurture-finance", "retargeting")
ASSETS = (None, "pricing-page", "ebook-ai-sales", "guide-lead-scoring", "demo-form")


@dataclass(frozen=True, slots=True)
class BenchActivity:
    """What scoring reads of an activity (as ``sync.state_store.StoredActivity``)."""

    type: str
    occurred_at: datetime
    campaign: str | None
    asset: str | None


@dataclass(frozen=True, slots=True)
class Work:
    """One lead to score and place: the lead, its activities and its stage so far."""

    lead: Lead
    activities: Sequence[BenchActivity]
    previous: str | None


@dataclass(frozen=True, slots=True)
class Pass:
    """One timed pass over every lead."""

    seconds: float
    cpu_seconds: float
    per_stage: dict[str, int]


def load_contract(path: Path = CONTRACT_PATH) -> FunnelContract:
    """The demo workspace's contract."""
    return FunnelContract.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _lead(rng: random.Random, index: int, contract: FunnelContract) -> tuple[Lead, str | None]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = rng.choice(COMPANIES)
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    created = AS_OF - timedelta(seconds=rng.randrange(2 * WINDOW_DAYS * 86400))
    previous = None
    stage_dates: dict[str, datetime] = {}
    if rng.random() < 0.35:  # placed by an earlier run
        previous = rng.choice(contract.stages[:4]).name
        stage_dates[previous] = created + (AS_OF - created) * rng.random()
    lead = Lead(
        email=f"{first.lower()}.{last.lower()}{index}@{company.lower()}.example",
        first_name=first,
        last_name=last,
        title=rng.choice(TITLES) if rng.random() < 0.9 else None,
        company=f"{company} {rng.choice(('Labs', 'Systems', 'Group', 'Health', 'Bank'))}",
        industry=rng.choice(INDUSTRIES) if rng.random() < 0.85 else None,
        company_size=int(rng.lognormvariate(5, 1.8)) if rng.random() < 0.8 else None,
        country=rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0],
        source=rng.choice(SOURCES),
        owner=rng.choice(OWNERS) if status else None,
        lead_status=status,
        status_reason=rng.choice(REASONS) if status == "Closed - Not Converted" else None,
        created_at=created,
        updated_at=created + (AS_OF - created) * rng.random(),
        stage=previous,
        stage_dates=stage_dates,
    )
    return lead, previous


def generate(n_leads: int, n_activities: int, seed: int, contract: FunnelContract) -> list[Work]:
    """Seeded leads, and activities spread unevenly over them (a few leads get many)."""
    rng = random.Random(seed)
    leads = [_lead(rng, index, contract) for index in range(n_leads)]
    # Heavy-tailed activity counts: most leads have a handful, some have hundreds.
    weights = [rng.paretovariate(1.3) for _ in range(n_leads)]
    owners = rng.choices(range(n_leads), weights, k=n_activities)
    types = rng.choices(ACTIVITY_TYPES, ACTIVITY_WEIGHTS, k=n_activities)
    grouped: list[list[BenchActivity]] = [[] for _ in range(n_leads)]
    window = WINDOW_DAYS * 86400
    for owner, kind in zip(owners, types, strict=True):
        grouped[owner].append(
            BenchActivity(
                kind,
                AS_OF - timedelta(seconds=rng.randrange(window)),
                rng.choice(CAMPAIGNS),
                rng.choice(ASSETS),
            )
        )
    return [
        Work(lead, activities, previous)
        for (lead, previous), activities in zip(leads, grouped, strict=True)
    ]


def run_pass(contract: FunnelContract, work: Sequence[Work]) -> Pass:
    """Score, place and explain every lead; only this is timed."""
    scoring = contract.scoring
    per_stage: dict[str, int] = {}
    cpu_start = time.process_time()
    start = time.perf_counter()
    for item in work:
        score = score_lead(scoring, item.lead, item.activities, AS_OF)
        placement = place_lead(contract, item.lead, score, item.previous, AS_OF)
        stage = contract.stage(placement.stage)
        explain(stage.display_name, placement.stage_dates.get(placement.stage), score)
        per_stage[placement.stage] = per_stage.get(placement.stage, 0) + 1
    seconds = time.perf_counter() - start
    return Pass(seconds, time.process_time() - cpu_start, per_stage)


def peak_rss_bytes() -> int:
    """This process's peak resident set size (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _profile(contract: FunnelContract, work: Sequence[Work], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_pass(contract, work)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, time, print the table; exit 1 when the default-size run misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--leads", type=int, default=DEFAULT_LEADS)
    parser.add_argument("--activities", type=int, default=DEFAULT_ACTIVITIES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument(
        "--profile", type=int, nargs="?", const=20, default=None, metavar="TOP",
        help="profile one more pass with cProfile and print the TOP functions by own time",
    )  # fmt: skip
    args = parser.parse_args(argv)

    contract = load_contract()
    started = time.perf_counter()
    work = generate(args.leads, args.activities, args.seed, contract)
    generated_in = time.perf_counter() - started
    rss_data = peak_rss_bytes()

    passes = [run_pass(contract, work) for _ in range(max(1, args.repeat))]
    best = min(passes, key=lambda one: one.seconds)
    rss_peak = peak_rss_bytes()
    assert all(one.per_stage == best.per_stage for one in passes), "passes disagree"

    n_activities = sum(len(item.activities) for item in work)
    mb = 1 << 20
    command = shlex.join([Path(sys.executable).name, *sys.argv])
    rows = [
        ("leads", f"{len(work):,}"),
        ("activities", f"{n_activities:,}"),
        ("data generated in (untimed)", f"{generated_in:.1f} s"),
        (f"score + place + explain, best of {len(passes)}", f"{best.seconds:.2f} s"),
        ("CPU time of that pass", f"{best.cpu_seconds:.2f} s"),
        ("all passes (wall)", ", ".join(f"{one.seconds:.2f}" for one in passes) + " s"),
        ("leads/s", f"{len(work) / best.seconds:,.0f}"),
        ("activities/s", f"{n_activities / best.seconds:,.0f}"),
        ("peak RSS after generating data", f"{rss_data / mb:,.0f} MB"),
        ("peak RSS at the end", f"{rss_peak / mb:,.0f} MB"),
        ("stages", ", ".join(f"{k} {v:,}" for k, v in sorted(best.per_stage.items()))),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("gc", "enabled" if gc.isenabled() else "disabled"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"$ {command}")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    full_size = len(work) >= DEFAULT_LEADS and n_activities >= DEFAULT_ACTIVITIES
    if full_size:
        verdict = "meets" if best.seconds <= TARGET_SECONDS else "MISSES"
        target = f"target ≤ {TARGET_SECONDS:g} s for {DEFAULT_LEADS:,} leads"
        print(f"  {target} / {DEFAULT_ACTIVITIES:,} activities: {verdict}")
    if args.profile:
        print()
        print(_profile(contract, work, args.profile))
    return 1 if full_size and best.seconds > TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
