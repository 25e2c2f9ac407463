"""The demo's sample data: deterministic, realistic, with a few bad rows on purpose."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from funnelsync.contract import Scoring
from funnelsync.models import Activity, Lead, normalise_email
from funnelsync.scoring import score_lead
from funnelsync.sync.demo.data import (
    MARKETING_ACTIVITY_COLUMNS,
    MARKETING_LEAD_COLUMNS,
    SALES_ACTIVITY_COLUMNS,
    SALES_LEAD_COLUMNS,
    WINDOW,
    DemoDataSummary,
    generate_demo_data,
)

AS_OF = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
COLUMNS = {
    "marketing/leads.csv": MARKETING_LEAD_COLUMNS,
    "marketing/activities.csv": MARKETING_ACTIVITY_COLUMNS,
    "sales/leads.csv": SALES_LEAD_COLUMNS,
    "sales/activities.csv": SALES_ACTIVITY_COLUMNS,
}
FILES = tuple(COLUMNS)
EMAIL_COLUMN = {
    name: [c.lower() for c in columns].index("email") for name, columns in COLUMNS.items()
}
DATE_COLUMNS = {
    # Only required dates: an unreadable optional one (a lead's) is a field warning.
    "marketing/leads.csv": (),
    "marketing/activities.csv": ("occurred_at",),
    "sales/leads.csv": (),
    "sales/activities.csv": ("Date",),
}
SIZE_COLUMN = {"marketing/leads.csv": "company_size", "sales/leads.csv": "Employees"}


class Demo(NamedTuple):
    """The default demo data: what the summary says and what the files hold."""

    summary: DemoDataSummary
    target: Path
    rows: dict[str, list[tuple[int, list[str]]]]
    """Data rows of each file, with their line numbers."""

    @property
    def reported_bad(self) -> set[tuple[str, int]]:
        return {
            (d.path.relative_to(self.target).as_posix(), d.line)
            for d in self.summary.bad_row_details
        }

    def good(self, name: str) -> list[list[str]]:
        bad = self.reported_bad
        return [row for line, row in self.rows[name] if (name, line) not in bad]


def _read(target: Path) -> dict[str, list[tuple[int, list[str]]]]:
    rows = {}
    for name in FILES:
        with (target / name).open(newline="", encoding="utf-8") as file:
            reader = csv.reader(file)
            assert tuple(next(reader)) == COLUMNS[name]
            rows[name] = [(reader.line_num, row) for row in reader]
    return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    target = tmp_path_factory.mktemp("demo")
    summary = generate_demo_data(target, as_of=AS_OF)
    return Demo(summary, target, _read(target))


def _valid_email(value: str) -> str | None:
    try:
        return normalise_email(value)
    except ValueError:
        return None


def _valid_date(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.utcoffset() is not None


def _lead_emails(demo: Demo, name: str) -> set[str]:
    return {
        email
        for _, row in demo.rows[name]
        if len(row) == len(COLUMNS[name]) and (email := _valid_email(row[0]))
    }


def _whole_or_blank(text: str) -> bool:
    return not text.strip() or text.strip().isdigit()


def _problems(demo: Demo) -> set[tuple[str, int]]:
    """Every row a sync would have to quarantine, found without the summary's help."""
    known = _lead_emails(demo, "marketing/leads.csv") | _lead_emails(demo, "sales/leads.csv")
    found = set()
    for name, numbered in demo.rows.items():
        columns = COLUMNS[name]
        dates = [columns.index(column) for column in DATE_COLUMNS[name]]
        size = columns.index(SIZE_COLUMN[name]) if name in SIZE_COLUMN else None
        for line, row in numbered:
            email = _valid_email(row[EMAIL_COLUMN[name]]) if len(row) == len(columns) else None
            if (
                email is None
                or not all(_valid_date(row[index]) for index in dates)
                or (size is not None and not _whole_or_blank(row[size]))
                or ("activities" in name and email not in known)
            ):
                found.add((name, line))
    return found


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate_demo_data(tmp_path / "a", seed=3, as_of=AS_OF)
    generate_demo_data(tmp_path / "b", seed=3, as_of=AS_OF)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate_demo_data(tmp_path / "a", seed=3, as_of=AS_OF)
    generate_demo_data(tmp_path / "b", seed=4, as_of=AS_OF)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_counts_meet_the_demo_minimums(demo: Demo) -> None:
    summary = demo.summary
    people = _lead_emails(demo, "marketing/leads.csv") | _lead_emails(demo, "sales/leads.csv")
    assert summary.people == 1200
    assert len(people) >= 1000
    activities = summary.marketing_activities + summary.sales_activities
    assert activities >= 10_000
    assert summary.marketing_activities >= 0.9 * activities
    assert 0.75 * summary.people <= summary.marketing_leads <= 0.95 * summary.people
    assert 0.35 * summary.people <= summary.sales_leads <= 0.55 * summary.people
    for name, count in (
        ("marketing/leads.csv", summary.marketing_leads),
        ("marketing/activities.csv", summary.marketing_activities),
        ("sales/leads.csv", summary.sales_leads),
        ("sales/activities.csv", summary.sales_activities),
    ):
        assert len(demo.good(name)) == count


def test_every_good_email_is_valid(demo: Demo) -> None:
    for name in FILES:
        for row in demo.good(name):
            normalise_email(row[EMAIL_COLUMN[name]])


def test_bad_rows_are_exactly_the_reported_ones(demo: Demo) -> None:
    assert demo.summary.bad_rows == len(demo.summary.bad_row_details) == 5
    assert _problems(demo) == demo.reported_bad
    assert {name for name, _ in demo.reported_bad} == set(FILES)


def test_bad_rows_show_each_kind_of_problem(demo: Demo) -> None:
    reported = demo.reported_bad
    bad = [
        (name, row) for name in FILES for line, row in demo.rows[name] if (name, line) in reported
    ]
    assert ("marketing/leads.csv", "not-an-email") in {(name, row[0]) for name, row in bad}
    assert any(len(row) == len(COLUMNS[name]) + 1 for name, row in bad)
    assert any("about 50" in row for _, row in bad)
    assert any(name == "marketing/activities.csv" and row[1] == "" for name, row in bad)
    assert any(name == "sales/activities.csv" and _valid_email(row[1]) for name, row in bad)


def test_people_overlap_across_systems_even_when_written_differently(demo: Demo) -> None:
    marketing = {normalise_email(row[0]): row[0] for row in demo.good("marketing/leads.csv")}
    sales = {normalise_email(row[0]): row[0] for row in demo.good("sales/leads.csv")}
    both = marketing.keys() & sales.keys()
    assert len(both) >= 200
    assert sales.keys() - marketing.keys(), "some people are only in the CRM"
    written = [(marketing[email], sales[email]) for email in both]
    assert any(m != s and m.strip() == s.strip() for m, s in written), "spaces differ"
    assert any(m != s and m.lower() == s.lower() for m, s in written), "case differs"
    titles = {normalise_email(row[0]): row[3] for row in demo.good("marketing/leads.csv")}
    assert any(
        titles[normalise_email(row[0])] not in ("", row[3])
        for row in demo.good("sales/leads.csv")
        if normalise_email(row[0]) in both
    )


def test_timestamps_fall_in_the_window_before_as_of(demo: Demo) -> None:
    for name, columns in DATE_COLUMNS.items():
        for row in demo.good(name):
            stamps = [datetime.fromisoformat(row[COLUMNS[name].index(c)]) for c in columns]
            assert all(AS_OF - WINDOW <= stamp <= AS_OF for stamp in stamps)
            assert stamps == sorted(stamps), "created before updated"


def test_sales_statuses_are_mostly_open_or_working(demo: Demo) -> None:
    statuses = Counter(row[10] for row in demo.good("sales/leads.csv"))
    assert set(statuses) == {
        "Open - Not Contacted",
        "Working - Contacted",
        "Qualified",
        "Closed - Converted",
        "Closed - Not Converted",
        "Recycled",
    }
    opened = statuses["Open - Not Contacted"] + statuses["Working - Contacted"]
    assert opened > 0.5 * demo.summary.sales_leads


TYPICAL_SCORING = Scoring.model_validate(
    {
        "fit": {
            "rules": [
                {
                    "field": "title",
                    "matches": r"\b(VP|Head|Chief|Director|CTO|Founder)\b",
                    "points": 20,
                },
                {"field": "title", "matches": r"Manager|Executive", "points": 10},
                {
                    "field": "industry",
                    "in": ["Software", "Financial Services", "Healthcare"],
                    "points": 10,
                },
                {"field": "company_size", "min": 200, "points": 10},
            ]
        },
        "engagement": {
            "points": {
                "email_open": 1,
                "page_view": 1,
                "email_click": 3,
                "form_fill": 10,
                "content_download": 10,
                "webinar_attended": 15,
                "demo_request": 30,
            },
            "caps": {"email_open": 10, "page_view": 15, "email_click": 15},
            "half_life_days": 30,
            "cap": 60,
        },
    }
)


def test_a_realistic_share_of_leads_reach_a_typical_mql_threshold(
    demo: Demo,
) -> None:
    activities: dict[str, list[Activity]] = defaultdict(list)
    for row in demo.good("marketing/activities.csv"):
        activities[normalise_email(row[1])].append(
            Activity(email=row[1], type=row[2], occurred_at=row[3])
        )
    leads = [
        Lead(**dict(zip(MARKETING_LEAD_COLUMNS, row, strict=True)))
        for row in demo.good("marketing/leads.csv")
    ]
    scores = [score_lead(TYPICAL_SCORING, lead, activities[lead.email], AS_OF) for lead in leads]
    mql_rate = sum(score.total >= 50 for score in scores) / len(scores)
    assert 0.10 <= mql_rate <= 0.20
    engaged = [score.fit for score in scores if score.engagement >= 30]
    assert sum(engaged) / len(engaged) > sum(score.fit for score in scores) / len(scores)
