"""A person's row of the ``journeys`` table: what the funnel report reads of them.

One row per person, kept beside their ``persons`` row: the current stage, the lead's stage
dates, every stage move funnelsync made (from the stage history), and the lead fields
reports group by, each as the text a report shows (trimmed; ``None`` when blank), the
contract's attributes together as one JSON object. The report then neither decodes whole
leads nor joins the stage history.

Stage dates and moves are kept as :func:`entries_text`: ``stage<TAB>moment<TAB>…`` with
each moment in one spelling (``datetime.isoformat`` of an aware time, naive ones read as
UTC), so the same entry in both reads as one and is parsed once. Stage names cannot hold
a tab (the contract's names are ``[a-z][a-z0-9_]*``); an entry whose name does would be no
stage of any contract, and is left out.

:func:`journey_row` builds a row from a stored lead decoded from JSON (the migration that
fills the table); the run's commit builds the same row from the ``Lead`` itself
(:func:`funnelsync.sync.state.journeys.lead_row`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

FIELD_COLUMNS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "company_size",
    "country",
    "phone",
    "source",
    "owner",
    "lead_status",
    "status_reason",
    "created_at",
    "updated_at",
)
"""Lead fields with a column of their own: every field a report can group by. These are
the columns state migration 8 created; another needs a migration of its own."""


def shown(value: Any) -> str | None:
    """A field value as a report shows it: its text, trimmed; ``None`` when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def journey_row(person_id: int, email: str, lead: Mapping[str, Any]) -> dict[str, Any]:
    """The row of one person, from their lead as JSON values (``moves`` are written
    separately, from the stage history)."""
    given = lead.get("attributes") or {}
    attributes = {name: text for name, value in given.items() if (text := shown(value))}
    return {
        "person_id": person_id,
        "email": email,
        "stage": lead.get("stage"),
        "stage_dates": entries_text(
            (stage, moment_text(at)) for stage, at in (lead.get("stage_dates") or {}).items()
        ),
        **{name: shown(lead.get(name)) for name in FIELD_COLUMNS},
        "attributes": json.dumps(attributes) if attributes else None,
    }


def moment_text(text: str) -> str:
    """A stored moment in the one spelling rows use (naive text is UTC).

    Text that already ends in a ``+HH:MM``/``-HH:MM`` offset (what funnelsync writes) is
    kept as it is, unparsed.
    """
    if len(text) > 6 and text[-6] in "+-" and text[-3] == ":":
        return text
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def entries_text(entries: Iterable[tuple[str, str]]) -> str | None:
    """``(stage, moment)`` pairs, moments in :func:`moment_text`'s spelling, as a row keeps
    them (``None`` for none)."""
    parts = [f"{stage}\t{at}" for stage, at in entries if "\t" not in stage]
    return "\t".join(parts) if parts else None
