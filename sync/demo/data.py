"""Deterministic sample data for the demo: a marketing tool and a CRM, as CSV files.

Everything is drawn from ``random.Random(seed)`` and dated back from the explicit
``as_of``, so the same arguments always give byte-identical files.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

MARKETING_LEAD_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "company_size",
    "country",
    "source",
    "created_at",
    "updated_at",
    "owner",
    "lead_status",
    "status_reason",
)
"""The marketing export's columns; owner, lead status and its reason are filled by sales."""
MARKETING_ACTIVITY_COLUMNS = ("activity_id", "email", "type", "occurred_at", "campaign", "asset")
SALES_LEAD_COLUMNS = (
    "Email",
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Industry",
    "Employees",
    "Country",
    "Lead Source",
    "Owner",
    "Status",
    "Created Date",
    "Last Modified",
    "Status Reason",
)
SALES_ACTIVITY_COLUMNS = ("Id", "Email", "Type", "Date", "Subject")

WINDOW = timedelta(days=180)
"""Every timestamp falls within this long before ``as_of``."""

_FIRST_NAMES = (
    "Maria", "James", "Wei", "Priya", "Lukas", "Sofia", "Hiroshi", "Amara", "Olivia", "Mateo",
    "Chloé", "Arjun", "Ingrid", "Kwame", "Yuki", "Fatima", "Liam", "Ana", "Noah", "Emma",
    "Mohammed", "Léa", "Daniel", "Aisha", "Carlos", "Hannah", "Ravi", "Elena", "Tomás", "Zoë",
    "Björn", "Mei", "Oluwaseun", "Isabella", "Ethan", "Anika", "Pedro", "Camille", "Jonas",
    "Leila", "Ahmed", "Grace", "Kenji", "Lucía", "Samuel", "Freya", "Dmitri", "Nadia", "Rafael",
    "Sakura", "Thomas", "Ife", "Gabriel", "Julia", "Santiago", "Aditi", "Marek", "Ewa",
    "Łukasz", "Søren", "Siobhan", "Connor", "Nora", "Ibrahim", "Valentina", "Hugo", "Sanne",
    "Pieter", "Keiko", "Rohan", "Beatriz", "Lars", "Amélie", "Diego", "Chiara", "Omar", "Sara",
    "Benjamin", "Ava", "Michael", "Jennifer", "David", "Laura", "Kevin", "Rachel",
)  # fmt: skip
_LAST_NAMES = (
    "Lopez", "Smith", "Zhang", "Patel", "Müller", "Rossi", "Tanaka", "Okafor", "Johnson",
    "García", "Dubois", "Sharma", "Andersen", "Mensah", "Sato", "Khan", "Brown", "Silva",
    "Williams", "Martin", "Al-Sayed", "Schmidt", "Nguyen", "Kowalski", "Fernández", "O'Brien",
    "Murphy", "Kim", "Lee", "Jansen", "de Vries", "Bakker", "Suzuki", "Yamamoto", "Gupta",
    "Reddy", "Costa", "Oliveira", "Santos", "Pereira", "Novak", "Ivanova", "Petrov", "Wagner",
    "Becker", "Hoffmann", "Laurent", "Bernard", "Moreau", "Dupont", "Taylor", "Wilson",
    "Clarke", "Singh", "Chen", "Wang", "Li", "Hernández", "Ramírez", "Torres", "Eriksson",
    "Nilsson", "Larsen", "Hansen", "Adeyemi", "Abubakar", "Cohen", "Levi", "Friedman",
    "Nakamura", "Ito", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker",
    "Nowak", "Øberg", "Schröder",
)  # fmt: skip
_COMPANY_PREFIXES = (
    "Northwind", "Bluepeak", "Silverline", "Brightwater", "Ironbridge", "Greenfield", "Redwood",
    "Summit", "Cobalt", "Harbor", "Lumen", "Vertex", "Aurora", "Keystone", "Pinecrest",
    "Crescent", "Granite", "Atlas", "Meridian", "Nimbus", "Orchid", "Quantum", "Sterling",
    "Tidewater", "Evergreen", "Falcon", "Horizon", "Juniper", "Maple", "Oakridge", "Polar",
    "Riverstone", "Sable", "Tundra", "Willow", "Zenith", "Copperleaf", "Driftwood", "Elmstead",
    "Foxglove", "Goldcrest", "Hawthorn", "Kestrel", "Lakeshore", "Moonstone", "Nova",
)  # fmt: skip
_INDUSTRIES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    # (industry, weight, words that end its company names)
    ("Software", 22, ("Labs", "Software", "Systems", "Cloud", "Analytics")),
    ("Financial Services", 14, ("Capital", "Bank", "Financial", "Insurance", "Wealth")),
    ("Healthcare", 12, ("Health", "Medical", "Care", "Clinics", "BioSciences")),
    ("Manufacturing", 12, ("Manufacturing", "Industries", "Works", "Robotics", "Components")),
    ("Retail", 10, ("Retail", "Market", "Outfitters", "Stores", "Goods")),
    ("Education", 7, ("Academy", "University", "Learning", "College")),
    ("Media", 7, ("Media", "Studios", "Broadcasting", "Publishing")),
    ("Logistics", 6, ("Logistics", "Freight", "Shipping")),
    ("Energy", 6, ("Energy", "Power", "Renewables")),
    ("Government", 4, ("County", "City Council", "Transit Authority", "Public Works")),
)
_TARGET_INDUSTRIES = frozenset({"Software", "Financial Services", "Healthcare"})
_NURTURE_TRACKS = {"Financial Services": "Finance", "Healthcare": "Healthcare", "Software": "Tech"}
_COUNTRIES: tuple[tuple[str, str, int], ...] = (
    # (country, web domain suffix, weight)
    ("United States", "com", 30),
    ("United Kingdom", "co.uk", 10),
    ("Germany", "de", 9),
    ("India", "in", 8),
    ("France", "fr", 6),
    ("Canada", "ca", 6),
    ("Brazil", "com.br", 5),
    ("Japan", "co.jp", 5),
    ("Australia", "com.au", 5),
    ("Netherlands", "nl", 4),
    ("Spain", "es", 3),
    ("Sweden", "se", 2),
    ("Singapore", "sg", 2),
    ("Mexico", "com.mx", 2),
    ("South Africa", "co.za", 2),
    ("Nigeria", "com.ng", 1),
)
_SIZE_BUCKETS: tuple[tuple[int, int, int], ...] = (
    # (fewest employees, most employees, weight): many small firms, few giants
    (1, 50, 45),
    (51, 199, 22),
    (200, 1000, 15),
    (1001, 5000, 10),
    (5001, 9999, 3),
    (10_000, 150_000, 5),
)
_TITLES: tuple[tuple[str, float, int], ...] = (
    # (title, weight, seniority: 0 individual, 1 manager, 2 leader)
    ("VP Marketing", 3, 2),
    ("Head of Growth", 3, 2),
    ("CTO", 2, 2),
    ("Chief Revenue Officer", 1.5, 2),
    ("Director of Sales Operations", 2.5, 2),
    ("Director of Marketing", 3, 2),
    ("VP Sales", 2, 2),
    ("Head of Revenue Operations", 2, 2),
    ("Founder & CEO", 2, 2),
    ("Marketing Manager", 8, 1),
    ("Demand Generation Manager", 5, 1),
    ("Sales Manager", 5, 1),
    ("Marketing Operations Manager", 4, 1),
    ("Product Manager", 5, 1),
    ("Account Executive", 5, 1),
    ("IT Manager", 4, 1),
    ("Software Engineer", 9, 0),
    ("Data Analyst", 5, 0),
    ("Marketing Coordinator", 5, 0),
    ("Sales Development Representative", 5, 0),
    ("Consultant", 4, 0),
    ("Student", 4, 0),
    ("Intern", 3, 0),
    ("Office Manager", 3, 0),
)
_PROMOTIONS = {
    "Marketing Coordinator": "Marketing Manager",
    "Marketing Manager": "Senior Marketing Manager",
    "Software Engineer": "Senior Software Engineer",
    "Data Analyst": "Senior Data Analyst",
    "Sales Development Representative": "Account Executive",
    "Account Executive": "Senior Account Executive",
    "Sales Manager": "Director of Sales Operations",
    "Director of Marketing": "VP Marketing",
    "Head of Growth": "VP Growth",
    "Intern": "Marketing Coordinator",
}
_SOURCES = ("Organic Search", "Webinar", "Paid Social", "Content Download", "Event", "Referral")
_SOURCE_WEIGHTS = (25, 15, 18, 20, 10, 12)
_SALES_ONLY_SOURCES = ("Outbound", "Partner Referral", "Trade Show", "Referral")
_EMAIL_PATTERNS = ("{first}.{last}", "{initial}{last}", "{first}", "{first}_{last}")
_PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com")
_OWNERS = ("Alex Morgan", "Priya Raman", "Jordan Lee", "Sam Okoro", "Elena Fischer", "Marcus Bell")
_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Qualified",
    "Closed - Converted",
    "Closed - Not Converted",
    "Recycled",
)
_STATUS_WEIGHTS_GOOD_FIT = (32, 32, 15, 7, 8, 6)
_STATUS_WEIGHTS_OTHER = (36, 32, 9, 4, 12, 7)
_SALES_TOUCHES = (0, 2, 4, 5, 2, 1.5)
"""Relative number of CRM tasks per status, in ``_STATUSES`` order (none when uncontacted)."""
_MARKETING_TYPES = (
    "page_view",
    "email_open",
    "email_click",
    "content_download",
    "form_fill",
    "webinar_attended",
    "demo_request",
)
_MARKETING_TYPE_WEIGHTS = (36, 33, 12, 7, 5, 5, 1.5)
_SALES_TYPES = ("Call", "Email", "Meeting")
_SALES_TYPE_WEIGHTS = (50, 30, 20)
_SALES_SUBJECTS = {
    "Call": ("Intro call", "Discovery call", "Left voicemail", "Follow-up call"),
    "Email": ("Intro email", "Sent pricing", "Re: demo request", "Follow-up: next steps"),
    "Meeting": ("Product demo", "Discovery meeting", "Pricing review", "Technical deep dive"),
}
_PAGES = (
    "pricing-page",
    "home",
    "product-overview",
    "blog-ai-forecasting",
    "blog-lead-scoring-101",
    "case-study-northwind",
    "integrations",
    "careers",
)
_CONTENT = (
    "ebook-ai-sales",
    "whitepaper-revops-benchmarks",
    "guide-lead-scoring",
    "report-state-of-b2b-marketing",
)
_FORMS = ("contact-us-form", "newsletter-signup", "webinar-registration")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ASCII_FOLD = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "đ": "d"})
_SALES_SHARE = 0.07
"""Share of the activities that are CRM tasks; the rest happen in the marketing tool."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row written wrong on purpose, for the demo's quarantine."""

    path: Path
    line: int
    """1-based line in the file; the header is line 1."""
    problem: str


@dataclass(frozen=True, slots=True)
class DemoDataSummary:
    """What ``generate_demo_data`` wrote.

    Row counts are of good rows; the deliberately bad rows are counted in ``bad_rows``
    and described in ``bad_row_details``.
    """

    people: int
    marketing_leads: int
    sales_leads: int
    marketing_activities: int
    sales_activities: int
    bad_rows: int
    marketing_leads_path: Path
    marketing_activities_path: Path
    sales_leads_path: Path
    sales_activities_path: Path
    bad_row_details: tuple[BadRow, ...]


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    industry: str
    size: int
    country: str
    email_pattern: str


@dataclass(frozen=True, slots=True)
class _Person:
    """One person; an empty system email means they are not in that system."""

    first: str
    last: str
    email: str
    title: str
    company: _Company
    source: str
    fit: float
    engagement: float
    status: str
    marketing_email: str
    sales_email: str
    marketing_created: datetime
    sales_created: datetime


def generate_demo_data(
    target_dir: Path,
    *,
    seed: int = 7,
    leads: int = 1200,
    activities: int = 12000,
    as_of: datetime,
) -> DemoDataSummary:
    """Write sample leads and activities for a marketing tool and a CRM under ``target_dir``.

    ``leads`` people are spread over ``marketing/`` and ``sales/`` (many in both), and
    ``activities`` good activity rows over both systems (mostly marketing), all dated
    within ``WINDOW`` before ``as_of`` (naive means UTC). A few bad rows are added on
    purpose and listed in the summary.
    """
    if leads < 1 or activities < 0:
        raise ValueError("leads must be at least 1 and activities not negative")
    rng = random.Random(seed)
    as_of = _utc(as_of)
    companies = _make_companies(rng, max(1, leads // 3))
    taken: set[str] = set()
    people = [_make_person(rng, companies, taken, as_of) for _ in range(leads)]
    sales_count = round(activities * _SALES_SHARE)
    files = {
        "marketing/leads.csv": [
            _marketing_lead_row(rng, p, p.marketing_email, as_of)
            for p in people
            if p.marketing_email
        ],
        "marketing/activities.csv": _marketing_activities(
            rng, people, activities - sales_count, as_of
        ),
        "sales/leads.csv": [
            _sales_lead_row(rng, p, p.sales_email, as_of) for p in people if p.sales_email
        ],
        "sales/activities.csv": _sales_activities(rng, people, sales_count, as_of),
    }
    good = {name: len(rows) for name, rows in files.items()}
    outsiders = [_make_person(rng, companies, taken, as_of) for _ in range(4)]
    bad: list[BadRow] = []
    for name, rows_and_problems in _bad_rows(rng, outsiders, as_of).items():
        bad += _insert_bad(rng, target_dir / name, files[name], rows_and_problems)
    _add_ids(files["marketing/activities.csv"], "MA-{:06d}")
    _add_ids(files["sales/activities.csv"], "00T8d{:010d}")
    for name, rows in files.items():
        _write_csv(target_dir / name, _COLUMNS[name], rows)
    return DemoDataSummary(
        people=len(people),
        marketing_leads=good["marketing/leads.csv"],
        sales_leads=good["sales/leads.csv"],
        marketing_activities=good["marketing/activities.csv"],
        sales_activities=good["sales/activities.csv"],
        bad_rows=len(bad),
        marketing_leads_path=target_dir / "marketing/leads.csv",
        marketing_activities_path=target_dir / "marketing/activities.csv",
        sales_leads_path=target_dir / "sales/leads.csv",
        sales_activities_path=target_dir / "sales/activities.csv",
        bad_row_details=tuple(bad),
    )


# --- people and companies ---------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return aware.astimezone(UTC).replace(microsecond=0)


def _between(rng: random.Random, start: datetime, end: datetime, lean: float = 1.0) -> datetime:
    """A whole-second time in ``[start, end]``; ``lean`` below 1 favours recent times."""
    seconds = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=round(seconds * rng.random() ** lean))


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_FOLD))
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in " -"))
    return "-".join(kept.split())


def _make_companies(rng: random.Random, count: int) -> list[_Company]:
    names = [(prefix, industry) for prefix in _COMPANY_PREFIXES for industry in _INDUSTRIES]
    chosen = rng.choices(names, k=count) if count > len(names) else rng.sample(names, count)
    companies = []
    for number, (prefix, (industry, _, words)) in enumerate(chosen):
        word = rng.choice(words)
        country, suffix, _ = rng.choices(_COUNTRIES, weights=[c[2] for c in _COUNTRIES])[0]
        if suffix == "com" and industry in ("Government", "Education"):
            suffix = "gov" if industry == "Government" else "edu"
        low, high, _ = rng.choices(_SIZE_BUCKETS, weights=[b[2] for b in _SIZE_BUCKETS])[0]
        name = f"{prefix} {word}" if number < len(names) else f"{prefix} {word} {number}"
        companies.append(
            _Company(
                name=name,
                domain=f"{_slug(name)}.{suffix}",
                industry=industry,
                size=round(low * (high / low) ** rng.random()),
                country=country,
                email_pattern=rng.choices(_EMAIL_PATTERNS, weights=(6, 3, 1, 1))[0],
            )
        )
    return companies


def _email(rng: random.Random, first: str, last: str, company: _Company, personal: bool) -> str:
    given, family = _slug(first).replace("-", ""), _slug(last).replace("-", "")
    if personal:
        return f"{given}.{family}{rng.randrange(1, 99)}@{rng.choice(_PERSONAL_DOMAINS)}"
    local = company.email_pattern.format(first=given, last=family, initial=given[:1])
    return f"{local}@{company.domain}"


def _unique(email: str, taken: set[str]) -> str:
    local, domain = email.split("@")
    candidate, number = email, 1
    while candidate in taken:
        number += 1
        candidate = f"{local}{number}@{domain}"
    taken.add(candidate)
    return candidate


def _email_pair(rng: random.Random, email: str) -> tuple[str, str]:
    """The email as the marketing tool and the CRM hold it.

    Now and then one side has it in another case or with stray spaces.
    """
    if rng.random() >= 0.12:
        return email, email
    variant = rng.choice((email.title(), email.upper(), f" {email}", f"{email} ", f"  {email} "))
    return (variant, email) if rng.random() < 0.4 else (email, variant)


def _make_person(
    rng: random.Random, companies: list[_Company], taken: set[str], as_of: datetime
) -> _Person:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    company = companies[min(len(companies) - 1, int(len(companies) * rng.random() ** 1.6))]
    title, _, seniority = rng.choices(_TITLES, weights=[t[1] for t in _TITLES])[0]
    personal = rng.random() < (0.25 if seniority == 0 else 0.04)
    email = _unique(_email(rng, first, last, company, personal), taken)
    fit = (
        seniority / 4
        + (0.25 if company.industry in _TARGET_INDUSTRIES else 0)
        + (0.25 if company.size >= 200 else 0)
    )
    in_marketing = rng.random() < 0.85
    in_sales = not in_marketing or rng.random() < 0.4 * (0.5 + fit)
    both = in_marketing and in_sales
    marketing_email, sales_email = _email_pair(rng, email) if both else (email, email)
    first_seen = _between(rng, as_of - WINDOW, as_of - timedelta(days=1))
    handover = _between(rng, first_seen, first_seen + (as_of - first_seen) * 0.8)
    status_weights = _STATUS_WEIGHTS_GOOD_FIT if fit >= 0.5 else _STATUS_WEIGHTS_OTHER
    return _Person(
        first=first,
        last=last,
        email=email,
        title=title,
        company=company,
        source=rng.choices(_SOURCES, weights=_SOURCE_WEIGHTS)[0],
        fit=fit,
        engagement=min(15.0, rng.paretovariate(1.3)) * (0.4 + fit),
        status=rng.choices(_STATUSES, weights=status_weights)[0],
        marketing_email=marketing_email if in_marketing else "",
        sales_email=sales_email if in_sales else "",
        marketing_created=first_seen,
        sales_created=handover if in_marketing else first_seen,
    )


# --- rows -------------------------------------------------------------------------------


def _z(value: datetime) -> str:
    """ISO 8601 with ``Z``, as marketing tools export it."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _offset(value: datetime) -> str:
    """ISO 8601 with ``+00:00``, as the CRM exports it."""
    return value.isoformat(timespec="seconds")


def _blank_or(rng: random.Random, chance: float, value: str) -> str:
    return "" if rng.random() < chance else value


def _marketing_lead_row(
    rng: random.Random, person: _Person, email: str, as_of: datetime
) -> list[str]:
    created = person.marketing_created
    return [
        email,
        person.first,
        person.last,
        _blank_or(rng, 0.05, person.title),
        person.company.name,
        _blank_or(rng, 0.04, person.company.industry),
        _blank_or(rng, 0.10, str(person.company.size)),
        _blank_or(rng, 0.03, person.company.country),
        person.source,
        _z(created),
        _z(_between(rng, created + timedelta(minutes=1), as_of, lean=0.5)),
        "",
        "",
        "",
    ]


def _sales_lead_row(rng: random.Random, person: _Person, email: str, as_of: datetime) -> list[str]:
    """The CRM's copy: sometimes a newer title, enriched or missing employee counts."""
    created = person.sales_created
    size = person.company.size
    if rng.random() < 0.06:
        size = round(size * rng.uniform(0.8, 1.5))
    return [
        email,
        person.first,
        person.last,
        _PROMOTIONS.get(person.title, person.title) if rng.random() < 0.1 else person.title,
        person.company.name,
        _blank_or(rng, 0.08, person.company.industry),
        _blank_or(rng, 0.12, str(size)),
        person.company.country,
        person.source if person.marketing_email else rng.choice(_SALES_ONLY_SOURCES),
        rng.choice(_OWNERS),
        person.status,
        _offset(created),
        _offset(_between(rng, created + timedelta(minutes=1), as_of, lean=0.5)),
        "",
    ]


def _campaign_and_asset(
    rng: random.Random, kind: str, industry: str, when: datetime
) -> tuple[str, str]:
    month = _MONTHS[when.month - 1]
    track = _NURTURE_TRACKS.get(industry, "General")
    mailing = rng.choice(
        (f"Nurture - {track}", f"Product Launch {month}", f"Monthly Newsletter {month}")
    )
    match kind:
        case "email_open":
            return mailing, ""
        case "email_click":
            return mailing, rng.choice(("pricing-page", "webinar-registration", *_CONTENT))
        case "page_view":
            return rng.choice(("", "", "Paid Social - Retargeting")), rng.choice(_PAGES)
        case "content_download":
            campaign = rng.choice(("Content Syndication", "Paid Social - Ebooks", mailing))
            return campaign, rng.choice(_CONTENT)
        case "form_fill":
            return rng.choice(("", mailing)), rng.choice(_FORMS)
        case "webinar_attended":
            quarter = (when.month - 1) // 3 + 1
            return f"{when.year}-Q{quarter} {industry} Webinar", f"webinar-{_slug(industry)}"
        case _:
            return "", "demo-request-form"


def _marketing_activity(
    rng: random.Random, person: _Person, email: str, kind: str, as_of: datetime
) -> tuple[datetime, list[str]]:
    when = _between(rng, person.marketing_created, as_of, lean=0.6)
    campaign, asset = _campaign_and_asset(rng, kind, person.company.industry, when)
    return when, [email, kind, _z(when), campaign, asset]


def _sales_activity(
    rng: random.Random, person: _Person, email: str, as_of: datetime
) -> tuple[datetime, list[str]]:
    when = _between(rng, person.sales_created, as_of, lean=0.7)
    kind = rng.choices(_SALES_TYPES, weights=_SALES_TYPE_WEIGHTS)[0]
    return when, [email, kind, _offset(when), rng.choice(_SALES_SUBJECTS[kind])]


def _marketing_activities(
    rng: random.Random, people: list[_Person], count: int, as_of: datetime
) -> list[list[str]]:
    """``count`` activities, most of them by the few most engaged people, oldest first."""
    audience = [person for person in people if person.marketing_email]
    if not audience or not count:
        return []
    doers = rng.choices(
        audience, cum_weights=list(accumulate(p.engagement for p in audience)), k=count
    )
    kinds = rng.choices(_MARKETING_TYPES, weights=_MARKETING_TYPE_WEIGHTS, k=count)
    events = [
        _marketing_activity(rng, person, person.marketing_email, kind, as_of)
        for person, kind in zip(doers, kinds, strict=True)
    ]
    return [row for _, row in sorted(events, key=lambda event: event[0])]


def _sales_activities(
    rng: random.Random, people: list[_Person], count: int, as_of: datetime
) -> list[list[str]]:
    """``count`` CRM tasks for leads sales has worked (none for uncontacted ones), oldest first."""
    audience = [person for person in people if person.sales_email]
    weights = [_SALES_TOUCHES[_STATUSES.index(p.status)] * rng.uniform(0.5, 1.5) for p in audience]
    if not count or sum(weights) <= 0:
        return []
    doers = rng.choices(audience, weights=weights, k=count)
    events = [_sales_activity(rng, person, person.sales_email, as_of) for person in doers]
    return [row for _, row in sorted(events, key=lambda event: event[0])]


# --- bad rows and files -----------------------------------------------------------------


def _bad_rows(
    rng: random.Random, outsiders: list[_Person], as_of: datetime
) -> dict[str, list[tuple[list[str], str]]]:
    """Rows that a sync must quarantine, by file, each with what is wrong with it."""
    wrong_email, extra_cell, wrong_size, stranger = outsiders
    bad_size = _sales_lead_row(rng, wrong_size, wrong_size.email, as_of)
    bad_size[SALES_LEAD_COLUMNS.index("Employees")] = "about 50"
    width = len(MARKETING_LEAD_COLUMNS)
    return {
        "marketing/leads.csv": [
            (_marketing_lead_row(rng, wrong_email, "not-an-email", as_of), "invalid email"),
            (
                [*_marketing_lead_row(rng, extra_cell, extra_cell.email, as_of), "UNSUBSCRIBED"],
                f"{width + 1} cells for {width} columns",
            ),
        ],
        "marketing/activities.csv": [
            (_marketing_activity(rng, stranger, "", "email_click", as_of)[1], "blank email"),
        ],
        "sales/leads.csv": [(bad_size, "Employees 'about 50' is not a number")],
        "sales/activities.csv": [
            (
                _sales_activity(rng, stranger, stranger.email, as_of)[1],
                f"email {stranger.email!r} belongs to no lead in either system",
            )
        ],
    }


def _insert_bad(
    rng: random.Random, path: Path, rows: list[list[str]], bad: list[tuple[list[str], str]]
) -> list[BadRow]:
    """Insert ``bad`` rows at random places in ``rows``; say where they landed."""
    places = sorted(rng.sample(range(len(rows) + len(bad)), len(bad)))
    for place, (row, _) in zip(places, bad, strict=True):
        rows.insert(place, row)
    return [
        BadRow(path, place + 2, problem) for place, (_, problem) in zip(places, bad, strict=True)
    ]


def _add_ids(rows: list[list[str]], template: str) -> None:
    for number, row in enumerate(rows, start=1):
        row.insert(0, template.format(number))


_COLUMNS = {
    "marketing/leads.csv": MARKETING_LEAD_COLUMNS,
    "marketing/activities.csv": MARKETING_ACTIVITY_COLUMNS,
    "sales/leads.csv": SALES_LEAD_COLUMNS,
    "sales/activities.csv": SALES_ACTIVITY_COLUMNS,
}


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        writer.writerows(rows)
