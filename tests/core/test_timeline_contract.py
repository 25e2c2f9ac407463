"""The contract's timeline: which stages are sales-visible, and its own checks."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from funnelsync.contract import FunnelContract


def _contract(visible: dict[str, bool] | None = None, **extra: Any) -> FunnelContract:
    stages = [
        {"name": "subscriber", "team": "marketing"},
        {"name": "lead", "team": "marketing"},
        {"name": "mql", "team": "marketing"},
        {"name": "sql", "team": "sales"},
        {"name": "customer", "team": "sales"},
    ]
    detours = [{"name": "disqualified", "team": "sales"}, {"name": "nurture", "team": "marketing"}]
    for stage in [*stages, *detours]:
        if stage["name"] in (visible or {}):
            stage["sales_visible"] = (visible or {})[stage["name"]]
    data: dict[str, Any] = {"version": "1", "stages": stages, "detours": detours, **extra}
    return FunnelContract.model_validate(data)


def test_by_default_mql_and_every_later_stage_are_sales_visible() -> None:
    contract = _contract()
    visible = [s.name for s in contract.all_stages if contract.sales_visible(s.name)]
    assert visible == ["mql", "sql", "customer"]
    assert not contract.sales_visible(None) and not contract.sales_visible("unknown")


def test_a_stage_says_for_itself_and_mql_stage_moves_the_default() -> None:
    contract = _contract(visible={"mql": False, "disqualified": True}, mql_stage="lead")
    visible = [s.name for s in contract.all_stages if contract.sales_visible(s.name)]
    assert visible == ["lead", "sql", "customer", "disqualified"]


def test_timeline_labels_must_name_significant_types() -> None:
    with pytest.raises(ValidationError, match="labels given for types that are not significant"):
        _contract(timeline={"significant": ["demo_request"], "labels": {"webinar": "Webinar"}})
    contract = _contract(timeline={"significant": ["demo_request", "pricing_page"]})
    assert contract.timeline.label("pricing_page") == "Pricing page"
    assert contract.timeline.lookback_days == 90
