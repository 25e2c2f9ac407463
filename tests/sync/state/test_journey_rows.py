"""A run's commit builds a person's ``journeys`` row from the ``Lead`` itself; the
migration builds it from the lead stored as JSON. Both give the same row, for every kind
of value a lead field or attribute can hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from funnelsync.models import Lead
from funnelsync.sync.state.journey_rows import journey_row
from funnelsync.sync.state.journeys import lead_row


def test_a_lead_and_its_stored_json_give_the_same_journey_row() -> None:
    lead = Lead(
        email="ann@example.com",
        first_name="  Ann ",
        last_name=" ",
        company_size=0,
        created_at=datetime.fromisoformat("2026-01-05T09:00:00.250000+02:00"),
        updated_at=datetime(2026, 2, 1, tzinfo=UTC),
        attributes={
            "region": " EMEA ",
            "seats": 3,
            "ratio": 0.1,
            "partner": True,
            "tags": ["a", "b"],
            "blank": "  ",
        },
        stage="sal",
        stage_dates={
            "mql": datetime.fromisoformat("2026-01-06T10:00:00-05:00"),
            "sal": datetime(2026, 1, 7, 8, 30, 15, 120, tzinfo=UTC),
        },
    )

    row = lead_row(7, "ann@example.com", lead)

    assert row == journey_row(7, "ann@example.com", json.loads(lead.model_dump_json()))
    assert row["created_at"] == "2026-01-05T09:00:00.250000+02:00"
    assert row["updated_at"] == "2026-02-01T00:00:00Z"
    assert (row["first_name"], row["last_name"], row["company_size"]) == ("Ann", None, "0")
    assert json.loads(row["attributes"]) == {
        "region": "EMEA",
        "seats": "3",
        "ratio": "0.1",
        "partner": "True",
        "tags": "['a', 'b']",
    }
