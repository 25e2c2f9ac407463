"""A synthetic funnel history written straight into a state store, for the report's
benchmark and browser test.

The demo's state holds one sync, so every stage date in it is that sync's time. This
module instead simulates months of funnel movement — leads arriving, qualifying,
skipping stages, being recycled or disqualified, sales touching MQLs late or never, and
campaign activity — and commits it as one run, with every stage move in the stage
history. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.sync.state.person_rows import person_row_chunks
from funnelsync.sync.state.store import RunCommit, StateStore, StoredActivity

OWNERS = ("Alex Morgan", "Priya Raman", "Jordan Lee", "Sam Okoro", "Elena Fischer", "Marcus Bell")
SOURCES = ("Organic Search", "Webinar", "Paid Social", "Content Download", "Event", "Referral")
INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Manufacturing", "Retail")
CAMPAIGNS = (
    "Nurture - Tech",
    "Nurture - Finance",
    "Product Launch",
    "Monthly Newsletter",
    "Webinar: Revenue Ops",
    "Paid Social - Ebooks",
    "Content Syndication",
    "Field Event Tour",
    "Partner Co-marketing",
    "Retargeting",
)
MARKETING_TYPES = ("email_open", "email_click", "page_view", "content_download", "form_fill")


@dataclass(slots=True)
class _Path:
    moves: list[tuple[str, datetime]] = field(default_factory=list)

    def go(self, stage: str, at: datetime) -> None:
        self.moves.append((stage, at))


def _days(rng: random.Random, mean: float) -> timedelta:
    return timedelta(days=rng.expovariate(1 / mean))


def _simulate(rng: random.Random, names: list[str], start: datetime) -> _Path:
    """A plausible walk along subscriber → lead → mql → sal → sql → customer."""
    path = _Path()
    at = start
    index = rng.choices((0, 1, 2), weights=(55, 35, 10))[0]
    path.go(names[index], at)
    chances = {0: 0.55, 1: 0.4}
    while index < 2:
        if rng.random() > chances[index]:
            return path
        at += _days(rng, 9)
        index += 1
        path.go(names[index], at)
    return _qualify(rng, names, path, at)


def _qualify(rng: random.Random, names: list[str], path: _Path, at: datetime) -> _Path:
    roll = rng.random()
    if roll < 0.12:
        at += _days(rng, 3)
        path.go("disqualified", at)
        return path
    if roll < 0.22:
        at += _days(rng, 5)
        path.go("recycled", at)
        if rng.random() < 0.35:
            at += _days(rng, 25)
            path.go(names[2], at)
        return path
    at += timedelta(hours=rng.expovariate(1 / 20))
    if rng.random() < 0.88:
        path.go(names[3], at)
        if rng.random() > 0.6:
            return path
        at += _days(rng, 7)
    if rng.random() < 0.15:
        path.go("recycled", at)
        return path
    path.go(names[4], at)
    outcome = rng.random()
    if outcome < 0.4:
        at += _days(rng, 18)
        path.go(names[5], at)
    elif outcome < 0.7:
        at += _days(rng, 14)
        path.go("disqualified", at)
    return path


def write_sample_state(
    store: StateStore,
    contract: FunnelContract,
    *,
    leads: int,
    activities: int,
    as_of: datetime,
    days: int = 180,
    seed: int = 11,
) -> None:
    """Commit ``leads`` simulated leads with ``activities`` activities dated before ``as_of``.

    The contract must have the template's stages (six on the path; ``recycled`` and
    ``disqualified`` detours).
    """
    rng = random.Random(seed)
    names = [stage.name for stage in contract.stages]
    persons: dict[int, Lead] = {}
    moves: list[dict[str, object]] = []
    rows: list[StoredActivity] = []
    per_lead = activities / max(leads, 1)
    for person_id in range(1, leads + 1):
        start = as_of - timedelta(days=days * rng.random() ** 0.8)
        path = _simulate(rng, names, start)
        kept = [(stage, at) for stage, at in path.moves if at < as_of]
        email = f"lead{person_id}@sample{person_id % 97}.example.com"
        previous: str | None = None
        dates: dict[str, datetime] = {}
        for stage, at in kept:
            moves.append(
                {
                    "person_id": person_id,
                    "from_stage": previous,
                    "to_stage": stage,
                    "at": at.isoformat(),
                    "reason": "sample",
                    "run_id": "sample",
                }
            )
            dates.setdefault(stage, at)
            previous = stage
        qualified = names[2] in dates or "disqualified" in dates
        persons[person_id] = Lead(
            email=email,
            first_name=f"Lead{person_id}",
            last_name="Sample",
            company=f"Company {person_id % 211}",
            industry=rng.choice(INDUSTRIES),
            source=rng.choice(SOURCES),
            owner=rng.choice(OWNERS) if qualified else None,
            stage=previous,
            stage_dates=dates,
        )
        count = min(int(rng.expovariate(1 / per_lead)) if per_lead else 0, 10 * int(per_lead + 1))
        for number in range(count):
            when = start + (as_of - start) * rng.random()
            rows.append(
                StoredActivity(
                    "marketing",
                    f"m{person_id}-{number}",
                    email,
                    rng.choice(MARKETING_TYPES),
                    when,
                    rng.choice(CAMPAIGNS),
                    None,
                )
            )
        if names[2] in dates and rng.random() < 0.85:
            touch = dates[names[2]] + timedelta(hours=rng.expovariate(1 / 16))
            if touch < as_of:
                rows.append(
                    StoredActivity("sales", f"s{person_id}", email, "call", touch, None, None)
                )
    store.commit_run(
        RunCommit(
            run_id="sample",
            at=as_of.isoformat(),
            persons=person_row_chunks(persons),
            links=[],
            ledger_rows=[],
            activities=rows,
            stage_moves=moves,
            quarantined=[],
            resolved=[],
            settings={},
            cursors={},
        )
    )
