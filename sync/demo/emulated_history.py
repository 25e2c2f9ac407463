"""Months of funnel history for the emulated demo, seeded into the emulators.

The CSV demo writes each person's replayed stage dates into its files
(:mod:`~funnelsync.sync.demo.history`). The emulated demo replays the same data with the
preset's contract and gives every seeded lead its stage dates; each emulator stores them
the way its system would hold dates a funnelsync that ran all along had written, and says
how to map them (``Emulator.connection_mapping``). The demo's first sync reads them as
stage dates, so its report has velocity, targets and a forecast to show.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import datetime

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.sync.demo.data import DemoDataSummary
from funnelsync.sync.demo.history import Replayed, add_history
from funnelsync.sync.demo.people import DemoPeople, SidePeople, read_demo_people

STANDARD_STATUSES = {"Qualified": "Working - Contacted", "Recycled": "Open - Not Contacted"}
"""The demo data's CRM statuses that a standard org's Lead Status picklist lacks → the
standard status the preset's contract reads the same way."""


def standardise_statuses(data: DemoDataSummary) -> None:
    """Rewrite the CRM file's statuses a standard org lacks (:data:`STANDARD_STATUSES`), so
    the replay and the seeded org see the same ones."""
    path = data.sales_leads_path
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    column = rows[0].index("Status")
    for row in rows[1:]:
        if len(row) > column:
            row[column] = STANDARD_STATUSES.get(row[column], row[column])
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)


def people_with_history(
    data: DemoDataSummary, contract: FunnelContract, as_of: datetime, seed: int
) -> DemoPeople:
    """The demo's people, each lead with the stage dates of its replayed history."""
    standardise_statuses(data)
    people = read_demo_people(data)  # before add_history adds its columns to the files
    replayed = add_history(data.marketing_leads_path.parent.parent, contract, as_of, seed)
    return DemoPeople(
        marketing=_dated(people.marketing, replayed),
        sales=_dated(people.sales, replayed),
        left_out=people.left_out,
    )


def _dated(side: SidePeople, replayed: Mapping[str, Replayed]) -> SidePeople:
    return SidePeople([_with_dates(lead, replayed) for lead in side.leads], side.activities)


def _with_dates(lead: Lead, replayed: Mapping[str, Replayed]) -> Lead:
    found = replayed.get((lead.email or "").strip().lower())
    return lead if found is None else lead.model_copy(update={"stage_dates": found.stage_dates})
