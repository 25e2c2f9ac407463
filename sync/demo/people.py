"""The generated demo data as canonical leads and activities, to seed emulated systems.

:func:`~funnelsync.sync.demo.data.generate_demo_data` writes CSV files as a marketing tool
and a CRM would export them; this reads them back into :class:`~funnelsync.models.Lead`
and :class:`~funnelsync.models.Activity` objects per side. The rows written wrong on
purpose do not validate and are left out (a system would not hold them either).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from funnelsync.models import Activity, Lead
from funnelsync.sync.demo.data import DemoDataSummary

_SALES_LEAD_FIELDS = {
    "Email": "email",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Title": "title",
    "Company": "company",
    "Industry": "industry",
    "Employees": "company_size",
    "Country": "country",
    "Lead Source": "source",
    "Owner": "owner",
    "Status": "lead_status",
    "Created Date": "created_at",
    "Last Modified": "updated_at",
    "Status Reason": "status_reason",
}
_SALES_ACTIVITY_FIELDS = {
    "Id": "activity_id",
    "Email": "email",
    "Type": "type",
    "Date": "occurred_at",
    "Subject": "asset",
}
_SALES_ACTIVITY_TYPES = {"Call": "call", "Email": "sales_email", "Meeting": "meeting"}

Record = TypeVar("Record", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class SidePeople:
    """One system's people and what they did there."""

    leads: list[Lead]
    activities: list[Activity]


@dataclass(frozen=True, slots=True)
class DemoPeople:
    """The demo's two sides."""

    marketing: SidePeople
    sales: SidePeople
    left_out: int
    """Rows that do not validate (the deliberately bad ones)."""


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            # A row with more cells than columns keeps the extra ones under the key None.
            yield {str(key): value for key, value in row.items()}


def _read(
    path: Path, model: type[Record], rename: Callable[[dict[str, str]], dict[str, str]]
) -> tuple[list[Record], int]:
    records, bad = [], 0
    for row in _rows(path):
        try:
            records.append(model.model_validate(rename(row)))
        except ValidationError:
            bad += 1
    return records, bad


def _as_is(row: dict[str, str]) -> dict[str, str]:
    return row


def _sales_lead(row: dict[str, str]) -> dict[str, str]:
    return {_SALES_LEAD_FIELDS.get(key, key): value for key, value in row.items()}


def _sales_activity(row: dict[str, str]) -> dict[str, str]:
    renamed = {_SALES_ACTIVITY_FIELDS.get(key, key): value for key, value in row.items()}
    renamed["type"] = _SALES_ACTIVITY_TYPES.get(renamed.get("type", ""), renamed.get("type", ""))
    return renamed


def read_demo_people(data: DemoDataSummary) -> DemoPeople:
    """The people and activities of each side of the generated data."""
    marketing_leads, bad_leads = _read(data.marketing_leads_path, Lead, _as_is)
    marketing_done, bad_done = _read(data.marketing_activities_path, Activity, _as_is)
    sales_leads, bad_sales = _read(data.sales_leads_path, Lead, _sales_lead)
    sales_done, bad_tasks = _read(data.sales_activities_path, Activity, _sales_activity)
    return DemoPeople(
        marketing=SidePeople(marketing_leads, marketing_done),
        sales=SidePeople(sales_leads, sales_done),
        left_out=bad_leads + bad_done + bad_sales + bad_tasks,
    )
