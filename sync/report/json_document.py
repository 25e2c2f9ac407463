"""The funnel report as one JSON document (``report --format json``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from funnelsync.stalling import stall_rules
from funnelsync.sync.report.build import FunnelReport, PeriodFigures
from funnelsync.sync.report.definitions import DEFINITIONS
from funnelsync.sync.report.figures import Headline
from funnelsync.sync.report.period import Period
from funnelsync.sync.report.sla import Attainment
from funnelsync.sync.report.stalled import count_by
from funnelsync.sync.report.targets import TargetFigures

HEADLINE_METRICS: tuple[str, ...] = tuple(Headline.__dataclass_fields__)


def attainment_document(row: Attainment) -> dict[str, Any]:
    """One SLA group: met, breached, open and the attainment rate."""
    return {
        "key": row.key,
        "met": row.met,
        "breached": row.breached,
        "open": row.open,
        "attainment": row.attainment,
    }


def _period(period: Period) -> dict[str, Any]:
    return {
        "since": period.first_day.isoformat(),
        "until": period.last_day.isoformat(),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "days": period.days,
    }


def period_document(figures: PeriodFigures) -> dict[str, Any]:
    """Every figure of one period, as plain JSON values."""
    sla = figures.sla
    return {
        "period": _period(figures.period),
        "as_of": figures.as_of.isoformat(),
        "headline": {
            **asdict(figures.headline),
            "sla_attainment": sla.total.attainment,
            "sla_met": sla.total.met,
            "sla_breached": sla.total.breached,
            "sla_open": sla.total.open,
        },
        "stages": [asdict(stage) for stage in figures.stages],
        "segments": {
            field: [{"segment": row.segment, **asdict(row.figures)} for row in rows]
            for field, rows in figures.segments.items()
        },
        "campaigns": [asdict(row) for row in figures.campaigns],
        "sla": {
            "rules": [attainment_document(row) for row in sla.rules],
            "owners": [attainment_document(row) for row in sla.owners],
            "weeks": [attainment_document(row) for row in sla.weeks],
        },
    }


def change(current: Any, previous: Any) -> float | int | None:
    """``current - previous`` for two numbers (rates to 4 places); ``None`` otherwise."""
    if not isinstance(current, int | float) or not isinstance(previous, int | float):
        return None
    if isinstance(current, int) and isinstance(previous, int):
        return current - previous
    return round(current - previous, 4)


def report_document(report: FunnelReport) -> dict[str, Any]:
    """The whole report: both periods, the change of each headline figure, the trend."""
    current = period_document(report.current)
    previous = period_document(report.previous)
    contract = report.contract
    return {
        "report": "funnel",
        "generated_at": report.generated_at.isoformat(),
        "contract": {"name": contract.name, "version": contract.version},
        "stages": [stage.name for stage in contract.stages],
        "detours": [stage.name for stage in contract.detours],
        "mql_stage": contract.mql_stage,
        "sql_stage": contract.sql_stage,
        "sla_rules": [rule.model_dump(mode="json") for rule in contract.sla],
        "leads": report.leads,
        "current": current,
        "previous": previous,
        "change": {
            name: change(current["headline"][name], previous["headline"][name])
            for name in current["headline"]
        },
        "trend": {
            "unit": report.trend_unit,
            "points": [
                {
                    "bucket": point.bucket.key,
                    "start": point.bucket.start.isoformat(),
                    "end": point.bucket.end.isoformat(),
                    "new_leads": point.new_leads,
                    "mqls": point.mqls,
                    "sqls": point.sqls,
                    "won": point.won,
                }
                for point in report.trend
            ],
        },
        "targets": [target_document(row) for row in report.targets],
        "forecast": forecast_document(report),
        "campaigns_communicated": [
            {
                **asdict(row),
                "start": row.start.isoformat() if row.start else None,
                "end": row.end.isoformat() if row.end else None,
            }
            for row in report.communicated
        ],
        "stalled": stalled_document(report),
        "definitions": {key: {"title": t, "text": text} for key, (t, text) in DEFINITIONS.items()},
    }


def target_document(row: TargetFigures) -> dict[str, Any]:
    """One shared target as JSON: the period as ISO days (end excluded), figures as numbers."""
    document = asdict(row)
    document["start"] = row.start.date().isoformat()
    document["end"] = row.end.date().isoformat()
    return document


def stalled_document(report: FunnelReport) -> dict[str, Any]:
    """Stalled leads: the rules, counts per stage and owner, each lead (days to ``as_of``)."""
    leads = report.stalled
    as_of = report.current.as_of
    return {
        "rules": stall_rules(report.contract),
        "count": len(leads),
        "stages": dict(count_by(leads, "stage")),
        "owners": dict(count_by(leads, "owner")),
        "leads": [lead.document(as_of) for lead in leads],
    }


def forecast_document(report: FunnelReport) -> dict[str, Any]:
    """The forecast: the rates it used, expected arrivals per stage and month, the backtest."""
    made = report.forecast
    return {
        "as_of": made.as_of.isoformat(),
        "rates": [asdict(rate) for rate in made.rates],
        "cells": [
            {**asdict(cell), "month": cell.month.date().isoformat()[:7]} for cell in made.cells
        ],
        "backtest": [
            {
                **asdict(row),
                "as_of": row.as_of.date().isoformat(),
                "month": row.month.date().isoformat()[:7],
            }
            for row in report.backtest
        ],
    }


def render_json(report: FunnelReport) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"
