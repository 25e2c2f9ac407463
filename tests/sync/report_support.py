"""A small funnel built by hand, whose every report figure can be worked out on paper.

March 2026 is the period (1–31 March; the previous period is 29 January – 28 February).
Every move happens at 12:00 UTC. The template contract: subscriber → lead → mql → sal →
sql → customer, detours recycled and disqualified; SLA mql 24 h (marketing-owned, so a
sales touch stops it) and sal 336 h.

    A  Alex   Webinar      lead 10 Feb, mql 2 Mar, sal 3 Mar, sql 10 Mar, customer 20 Mar
    B  Alex   Referral     mql 5 Mar, sql 8 Mar                    (skips sal)
    C  Priya  Webinar      subscriber 1 Feb, lead 15 Feb, mql 10 Mar, disqualified 12 Mar
    D  Priya  Paid Social  mql 20 Feb, sal 21 Feb, recycled 4 Mar, mql 15 Mar   (re-entry)
    E  —      Webinar      subscriber 25 Mar
    F  Alex   Referral     sql 5 Feb, disqualified 18 Mar (stage dates only, no history)
    G  Jordan Event        mql 30 Mar

Activities: A clicked "Launch" on 25 Feb and got a call on 2 Mar 14:00; B clicked "Launch"
on 6 Mar; C filled a "Webinar Q1" form on 1 Mar and got a call on 11 Mar 14:00; D opened a
"Webinar Q1" email on 10 Feb.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from funnelsync.models import Lead
from funnelsync.sync.state.person_rows import person_row_chunks
from funnelsync.sync.state.store import RunCommit, StateStore, StoredActivity
from funnelsync.sync.workspace.scaffold import write_templates

SINCE, UNTIL = "2026-03-01", "2026-03-31"


def noon(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


LEADS: dict[str, dict[str, object]] = {
    "a": {"owner": "Alex", "source": "Webinar", "moves": [("lead", noon(2, 10)), ("mql", noon(3, 2)), ("sal", noon(3, 3)), ("sql", noon(3, 10)), ("customer", noon(3, 20))]},  # noqa: E501
    "b": {"owner": "Alex", "source": "Referral", "moves": [("mql", noon(3, 5)), ("sql", noon(3, 8))]},  # noqa: E501
    "c": {"owner": "Priya", "source": "Webinar", "moves": [("subscriber", noon(2, 1)), ("lead", noon(2, 15)), ("mql", noon(3, 10)), ("disqualified", noon(3, 12))]},  # noqa: E501
    "d": {"owner": "Priya", "source": "Paid Social", "moves": [("mql", noon(2, 20)), ("sal", noon(2, 21)), ("recycled", noon(3, 4)), ("mql", noon(3, 15))]},  # noqa: E501
    "e": {"owner": None, "source": "Webinar", "moves": [("subscriber", noon(3, 25))]},
    "f": {"owner": "Alex", "source": "Referral", "moves": [("sql", noon(2, 5)), ("disqualified", noon(3, 18))], "no_history": True},  # noqa: E501
    "g": {"owner": "Jordan", "source": "Event", "moves": [("mql", noon(3, 30))]},
}  # fmt: skip

ACTIVITIES = [
    ("a", "email_click", noon(2, 25), "Launch"),
    ("a", "call", noon(3, 2, 14), None),
    ("b", "email_click", noon(3, 6), "Launch"),
    ("c", "form_fill", noon(3, 1), "Webinar Q1"),
    ("c", "call", noon(3, 11, 14), None),
    ("d", "email_open", noon(2, 10), "Webinar Q1"),
]


def email(name: str) -> str:
    return f"{name}@example.com"


def hand_built_workspace(root: Path) -> Path:
    """A template workspace whose state holds the funnel above; returns the config path."""
    config = write_templates(root, with_empty_data=True)
    store = StateStore.open(root / "state")
    persons: dict[int, Lead] = {}
    moves: list[dict[str, object]] = []
    for person_id, (name, spec) in enumerate(LEADS.items(), 1):
        path: list[tuple[str, datetime]] = spec["moves"]  # type: ignore[assignment]
        dates: dict[str, datetime] = {}
        previous = None
        for stage, at in path:
            dates.setdefault(stage, at)
            if not spec.get("no_history"):
                moves.append(
                    {"person_id": person_id, "from_stage": previous, "to_stage": stage,
                     "at": at.isoformat(), "reason": "by hand", "run_id": "hand"}
                )  # fmt: skip
            previous = stage
        persons[person_id] = Lead(
            email=email(name),
            first_name=name.upper(),
            company=f"{name.upper()} Corp",
            owner=spec["owner"],
            source=spec["source"],
            stage=previous,
            stage_dates=dates,
        )
    activities = [
        StoredActivity("marketing", f"act{number}", email(name), kind, when, campaign, None)
        for number, (name, kind, when, campaign) in enumerate(ACTIVITIES)
    ]
    store.commit_run(
        RunCommit(
            run_id="hand",
            at=noon(3, 31).isoformat(),
            persons=person_row_chunks(persons),
            links=[],
            ledger_rows=[],
            activities=activities,
            stage_moves=moves,
            quarantined=[],
            resolved=[],
            settings={},
            cursors={},
        )
    )
    store.close()
    return config
