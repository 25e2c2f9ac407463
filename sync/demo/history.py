"""Months of funnel history for the CSV demo, as the systems would hold it.

The generated data says who each person is, what they did and when, and where sales left
them (the CRM status). This module works out how that person moved through the funnel
over the demo's six months: the CRM status gets a history (worked from the first sales
touch, then qualified, won, lost or recycled at later dates), and the contract's own
scoring and stage machine are replayed at every activity and status change. Scores only
rise at those moments (decay only lowers them), so the replay finds the moment each
stage was entered, as daily syncs would have. The stage reached and the date of every
stage entry are then written into both systems' files — the columns a funnelsync that
had run all along would have filled — so the demo's first sync starts from that history:
velocity, trends, SLA attainment, targets and the forecast have months to work with.
Deterministic for a given seed.
"""

from __future__ import annotations

import csv
import random
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead, as_moment
from funnelsync.scoring import score_lead
from funnelsync.stages import place_lead

MARKETING_STAGE = "stage"
MARKETING_DATE_COLUMN = "{stage}_date"
"""Marketing's column of each stage's entry date (the demo config maps them)."""
SALES_STAGE = "Funnel Stage"
SALES_DATE_COLUMNS = {
    "subscriber": "Subscriber Date",
    "lead": "Lead Date",
    "mql": "MQL Date",
    "sal": "SAL Date",
    "sql": "SQL Date",
    "customer": "Customer Date",
    "recycled": "Recycled Date",
    "disqualified": "Disqualified Date",
}
"""The CRM's stage date columns (the demo config maps them)."""
_SALES_TYPES = {"Call": "call", "Email": "sales_email", "Meeting": "meeting"}
_STEPS = {
    "Open - Not Contacted": (),
    "Working - Contacted": ("Working - Contacted",),
    "Qualified": ("Working - Contacted", "Qualified"),
    "Closed - Converted": ("Working - Contacted", "Qualified", "Closed - Converted"),
    "Closed - Not Converted": ("Working - Contacted", "Closed - Not Converted"),
    "Recycled": ("Working - Contacted", "Recycled"),
}
"""The statuses a lead passes through on its way to its final CRM status."""
_DAYS_BEFORE = {
    "Qualified": 16,
    "Closed - Converted": 40,
    "Closed - Not Converted": 20,
    "Recycled": 25,
}
"""Mean days from the previous status to this one (exponentially distributed)."""


@dataclass(frozen=True, slots=True)
class _Done:
    """An activity as scoring reads it."""

    type: str
    occurred_at: datetime
    campaign: str | None
    asset: str | None


@dataclass(frozen=True, slots=True)
class Replayed:
    """Where a person ended up and when they entered each stage."""

    stage: str
    stage_dates: dict[str, datetime]


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        return header, list(reader)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def _key(email: str) -> str:
    return email.strip().lower()


def _activities(data: Path) -> dict[str, list[_Done]]:
    done: dict[str, list[_Done]] = defaultdict(list)
    header, rows = _rows(data / "marketing" / "activities.csv")
    at = {name: header.index(name) for name in ("email", "type", "occurred_at", "campaign")}
    for row in rows:
        moment = as_moment(row[at["occurred_at"]]) if len(row) == len(header) else None
        if moment is not None and row[at["email"]].strip():
            done[_key(row[at["email"]])].append(
                _Done(row[at["type"]], moment, row[at["campaign"]] or None, None)
            )
    header, rows = _rows(data / "sales" / "activities.csv")
    at = {name: header.index(name) for name in ("Email", "Type", "Date")}
    for row in rows:
        moment = as_moment(row[at["Date"]]) if len(row) == len(header) else None
        if moment is not None:
            kind = _SALES_TYPES.get(row[at["Type"]], row[at["Type"]])
            done[_key(row[at["Email"]])].append(_Done(kind, moment, None, None))
    for items in done.values():
        items.sort(key=lambda item: item.occurred_at)
    return done


def _status_history(
    rng: random.Random,
    final: str,
    opened: datetime,
    handed: datetime,
    touches: Sequence[datetime],
    end: datetime,
) -> list[tuple[datetime, str]]:
    """When the lead took each status on the way to ``final``: open from ``opened``, worked
    from the first sales touch after ``handed`` (when marketing handed it over)."""
    steps = _STEPS.get(final, (final,))
    history = [(opened, "Open - Not Contacted")]
    if not steps:
        return history
    later = [touch for touch in touches if touch >= handed]
    at = later[0] if later else handed + timedelta(hours=rng.uniform(2, 96))
    at = min(at, end)
    history.append((at, steps[0]))
    for status in steps[1:]:
        gap = timedelta(days=rng.expovariate(1 / _DAYS_BEFORE[status]))
        if at + gap > end:  # it did happen (the CRM says so): somewhen before now
            gap = (end - at) * rng.random()
        at += gap
        history.append((at, status))
    return history


def replay(
    contract: FunnelContract,
    lead: Lead,
    activities: Sequence[_Done],
    statuses: Sequence[tuple[datetime, str]],
    start: datetime,
    until: str | None = None,
) -> Replayed:
    """Score and place ``lead`` at ``start`` and at every activity and status change
    (stopping once it reaches success-path stage ``until``, if given)."""
    goal = None if until is None else contract.path_index(until)
    moments = sorted({start, *(a.occurred_at for a in activities), *(s for s, _ in statuses)})
    times = [activity.occurred_at for activity in activities]
    status_times = [moment for moment, _ in statuses]
    stage: str | None = None
    dates: dict[str, datetime] = {}
    for index, moment in enumerate(moments):
        if moment < start:
            continue
        day = moment.date()
        status_index = bisect_right(status_times, moment) - 1
        is_status_change = status_index >= 0 and status_times[status_index] == moment
        if index + 1 < len(moments) and moments[index + 1].date() == day and not is_status_change:
            continue  # a look at the day's last activity is enough; status moves exactly
        status = statuses[status_index][1] if status_index >= 0 else None  # not in the CRM yet
        now_lead = lead.model_copy(update={"lead_status": status, "stage_dates": dates})
        seen = activities[: bisect_right(times, moment)]
        score = score_lead(contract.scoring, now_lead, seen, moment)
        placement = place_lead(contract, now_lead, score, stage, moment)
        stage, dates = placement.stage, placement.stage_dates
        reached = contract.path_index(stage)
        if goal is not None and reached is not None and reached >= goal:
            break
    assert stage is not None
    return Replayed(stage, dates)


def _lead(fields: Mapping[str, str]) -> Lead:
    return Lead.model_validate(
        {
            "title": fields.get("title"),
            "industry": fields.get("industry"),
            "company_size": fields.get("company_size") or None,
            "country": fields.get("country"),
            "lead_status": fields.get("lead_status") or None,
        }
    )


_SALES_AS_CANONICAL = {
    "Title": "title",
    "Industry": "industry",
    "Employees": "company_size",
    "Country": "country",
    "Status": "lead_status",
    "Created Date": "created_at",
}


def add_history(
    data: Path, contract: FunnelContract, as_of: datetime, seed: int
) -> dict[str, Replayed]:
    """Replay every person of the demo files under ``data`` and write their stage and
    stage dates into the files; returns each person's replay, by lower-case email."""
    rng = random.Random(seed)
    done = _activities(data)
    m_header, m_rows = _rows(data / "marketing" / "leads.csv")
    s_header, s_rows = _rows(data / "sales" / "leads.csv")
    people: dict[str, dict[str, str]] = {}
    for row in m_rows:
        if len(row) == len(m_header):
            people.setdefault(_key(row[0]), {}).update(zip(m_header, row, strict=True))
    for row in s_rows:
        if len(row) != len(s_header):
            continue
        fields = dict(zip(s_header, row, strict=True))
        person = people.setdefault(_key(fields["Email"]), {})
        person["sales_created"] = fields["Created Date"]
        for column, name in _SALES_AS_CANONICAL.items():
            if fields.get(column) and (name not in person or name == "lead_status"):
                person[name] = fields[column]
    replayed: dict[str, Replayed] = {}
    for email in sorted(people):
        fields = people[email]
        try:
            lead = _lead(fields)
        except ValueError:
            continue  # a deliberately bad row: the sync quarantines it
        created = as_moment(fields.get("created_at")) or as_of
        opened = as_moment(fields.get("sales_created")) or created
        mine = done.get(email, [])
        touches = [a.occurred_at for a in mine if a.type in _SALES_TYPES.values()]
        start = min(created, opened)
        handed = opened
        if lead.lead_status and "email" in fields:
            # Sales works a marketing lead once marketing qualified it, if it ever did.
            unworked = lead.model_copy(update={"lead_status": None})
            qualified = replay(contract, unworked, mine, [], start, contract.mql_stage)
            handed = max(opened, qualified.stage_dates.get(contract.mql_stage, opened))
        statuses = (
            _status_history(rng, lead.lead_status, opened, handed, touches, as_of)
            if lead.lead_status
            else []
        )
        replayed[email] = replay(contract, lead, mine, statuses, start)
    _write_columns(data / "marketing" / "leads.csv", m_header, m_rows, replayed, contract)
    _write_sales(data / "sales" / "leads.csv", s_header, s_rows, replayed, contract)
    return replayed


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _write_columns(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    replayed: Mapping[str, Replayed],
    contract: FunnelContract,
) -> None:
    stages = [stage.name for stage in contract.all_stages]
    added = [MARKETING_STAGE, *(MARKETING_DATE_COLUMN.format(stage=name) for name in stages)]
    for row in rows:
        if len(row) != len(header):
            continue  # a row with the wrong number of cells keeps its shape
        found = replayed.get(_key(row[0]))
        if found is None:
            row.extend([""] * len(added))
            continue
        # Both detours are "other" in marketing's lifecycle: the CRM's value tells them apart.
        detour = contract.path_index(found.stage) is None
        value = "" if detour else contract.stage(found.stage).values.get("marketing", "")
        row.extend([value, *(_iso(found.stage_dates.get(name)) for name in stages)])
    _write(path, [*header, *added], rows)


def _write_sales(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    replayed: Mapping[str, Replayed],
    contract: FunnelContract,
) -> None:
    for row in rows:
        if len(row) != len(header):
            continue
        found = replayed.get(_key(row[0]))
        if found is None:
            row.extend([""] * (1 + len(SALES_DATE_COLUMNS)))
            continue
        value = contract.stage(found.stage).values.get("sales", found.stage)
        row.extend([value, *(_iso(found.stage_dates.get(s)) for s in SALES_DATE_COLUMNS)])
    _write(path, [*header, SALES_STAGE, *SALES_DATE_COLUMNS.values()], rows)
