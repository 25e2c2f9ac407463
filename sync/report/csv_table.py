"""The funnel report as one long CSV table (``report --format csv``).

One row per figure: ``section, dimension, item, metric, value, previous`` — easy to pivot
in a spreadsheet. Sections: ``summary``, ``stage``, ``segment`` (dimension = the field),
``campaign``, ``sla_rule``, ``sla_owner``, ``sla_week``, ``trend`` (dimension = week or
month; no previous value) and ``definition`` (item = the definition's key, value = its
text). Rates are fractions (0.25 = 25%); a blank cell is a figure that does not apply.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from funnelsync.sync.report.build import FunnelReport
from funnelsync.sync.report.definitions import DEFINITIONS
from funnelsync.sync.report.json_document import period_document

COLUMNS = ("section", "dimension", "item", "metric", "value", "previous")
Key = tuple[str, str, str, str]

_SKIP = frozenset({"stage", "label", "team", "on_path", "segment", "campaign", "key"})
"""Fields that name a row rather than measure it."""


def _measures(row: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for name, value in row.items():
        if name not in _SKIP:
            yield name, value


def _figures(document: dict[str, Any]) -> dict[Key, Any]:
    found: dict[Key, Any] = {}
    for metric, value in document["headline"].items():
        found[("summary", "", "", metric)] = value
    for row in document["stages"]:
        for metric, value in _measures(row):
            found[("stage", "", row["stage"], metric)] = value
    for field, rows in document["segments"].items():
        for row in rows:
            for metric, value in _measures(row):
                found[("segment", field, row["segment"], metric)] = value
    for row in document["campaigns"]:
        for metric, value in _measures(row):
            found[("campaign", "", row["campaign"], metric)] = value
    for group in ("rules", "owners", "weeks"):
        section = "sla_" + group.removesuffix("s")
        for row in document["sla"][group]:
            for metric, value in _measures(row):
                found[(section, "", row["key"], metric)] = value
    return found


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return value


def render_csv(report: FunnelReport) -> str:
    """The report as CSV text (with a header row)."""
    current = _figures(period_document(report.current))
    previous = _figures(period_document(report.previous))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    keys = list(current) + [key for key in previous if key not in current]
    for key in keys:
        writer.writerow([*key, _cell(current.get(key)), _cell(previous.get(key))])
    for point in report.trend:
        for metric in ("new_leads", "mqls", "sqls", "won"):
            value = getattr(point, metric)
            writer.writerow(
                ["trend", report.trend_unit, point.bucket.key, metric, _cell(value), ""]
            )
    for name, (title, text) in DEFINITIONS.items():
        writer.writerow(["definition", "", name, title, text, ""])
    return buffer.getvalue()
