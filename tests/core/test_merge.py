"""Merging one person's records from several systems by the contract's ownership rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from funnelsync.contract import FunnelContract
from funnelsync.merge import SourceLead, merge_field, merge_leads, previous_stage, writes_field
from funnelsync.models import Lead

EMAIL = "ana.silva@acme.example"
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)

CONTRACT = FunnelContract.model_validate(
    {
        "version": "2026-11-01",
        "stages": [
            {"name": "subscriber", "team": "marketing"},
            {"name": "lead", "team": "marketing"},
            {"name": "mql", "team": "marketing"},
            {"name": "sal", "team": "sales"},
            {"name": "sql", "team": "sales"},
        ],
        "detours": [
            {"name": "recycled", "team": "marketing"},
            {"name": "disqualified", "team": "sales"},
        ],
        "ownership": {
            "phone": "prefer salesforce unless blank",
            "owner": "always salesforce",
            "lead_status": "always salesforce",
            "title": "two-way",
            "source": "set if empty",
            "country": "don't sync",
        },
    }
)


def _from(connection: str, **fields: Any) -> SourceLead:
    fields.setdefault("email", EMAIL)
    return SourceLead(
        connection=connection,
        record_id=f"{connection}-1",
        location=f"{connection}:leads",
        lead=Lead(**fields),
    )


# --- prefer / always --------------------------------------------------------------------


def test_prefer_takes_the_preferred_system_value() -> None:
    sources = [_from("hubspot", phone="+1 555 0100"), _from("salesforce", phone="+1 555 0199")]
    assert merge_field(CONTRACT, "phone", sources) == "+1 555 0199"


def test_prefer_unless_blank_falls_back_to_another_system() -> None:
    sources = [_from("hubspot", phone="+1 555 0100"), _from("salesforce", phone="  ")]
    assert merge_field(CONTRACT, "phone", sources) == "+1 555 0100"


def test_prefer_when_the_preferred_system_lacks_the_person() -> None:
    sources = [_from("hubspot"), _from("marketo", phone="+1 555 0142")]
    assert merge_field(CONTRACT, "phone", sources) == "+1 555 0142"


def test_always_keeps_the_owner_blank() -> None:
    sources = [_from("hubspot", owner="Marta"), _from("salesforce")]
    assert merge_field(CONTRACT, "owner", sources) is None


def test_always_falls_back_only_when_the_owner_system_lacks_the_person() -> None:
    sources = [_from("hubspot", owner="Marta"), _from("marketo", owner="Joe")]
    assert merge_field(CONTRACT, "owner", sources) == "Marta"


def test_the_system_name_in_a_rule_is_matched_exactly() -> None:
    # connection names are compared as written; "Salesforce" is not "salesforce"
    sources = [_from("hubspot", owner="Marta"), _from("Salesforce", owner="Joe")]
    assert merge_field(CONTRACT, "owner", sources) == "Marta"


# --- two-way ----------------------------------------------------------------------------


def test_two_way_takes_the_latest_change() -> None:
    sources = [
        _from("hubspot", title="Head of Growth", updated_at=WEDNESDAY),
        _from("salesforce", title="Growth Manager", updated_at=MONDAY),
    ]
    assert merge_field(CONTRACT, "title", sources) == "Head of Growth"
    assert merge_field(CONTRACT, "title", sources[::-1]) == "Head of Growth"


def test_two_way_tie_goes_to_connection_order() -> None:
    sources = [
        _from("hubspot", title="Head of Growth", updated_at=TUESDAY),
        _from("salesforce", title="Growth Manager", updated_at=TUESDAY),
    ]
    assert merge_field(CONTRACT, "title", sources) == "Head of Growth"
    assert merge_field(CONTRACT, "title", sources[::-1]) == "Growth Manager"


def test_two_way_compares_instants_not_wall_clocks() -> None:
    paris = datetime.fromisoformat("2026-11-03T10:30:00+01:00")  # 09:30 UTC
    sources = [
        _from("hubspot", title="Head of Growth", updated_at=paris),
        _from("salesforce", title="Growth Manager", updated_at=TUESDAY),  # 09:00 UTC
    ]
    assert merge_field(CONTRACT, "title", sources[::-1]) == "Head of Growth"


def test_two_way_records_without_a_modification_time_come_last() -> None:
    sources = [
        _from("hubspot", title="Head of Growth"),
        _from("salesforce", title="Growth Manager", updated_at=MONDAY),
    ]
    assert merge_field(CONTRACT, "title", sources) == "Growth Manager"


def test_two_way_without_any_times_goes_by_connection_order() -> None:
    sources = [_from("hubspot", title="Head of Growth"), _from("salesforce", title="CMO")]
    assert merge_field(CONTRACT, "title", sources) == "Head of Growth"


def test_two_way_blank_never_beats_a_given_value() -> None:
    sources = [
        _from("hubspot", title="Head of Growth", updated_at=MONDAY),
        _from("salesforce", title="", updated_at=WEDNESDAY),
    ]
    assert merge_field(CONTRACT, "title", sources) == "Head of Growth"


def test_fields_the_table_does_not_name_are_two_way_by_default() -> None:
    sources = [
        _from("hubspot", company="Acme", updated_at=MONDAY),
        _from("salesforce", company="Acme Corp", updated_at=TUESDAY),
    ]
    assert merge_field(CONTRACT, "company", sources) == "Acme Corp"


# --- set if empty / don't sync ----------------------------------------------------------


def test_set_if_empty_and_dont_sync_merge_to_the_first_value() -> None:
    sources = [_from("hubspot"), _from("salesforce", source="Webinar", country="PT")]
    assert merge_field(CONTRACT, "source", sources) == "Webinar"
    assert merge_field(CONTRACT, "country", sources) == "PT"


@pytest.mark.parametrize(
    ("field", "current", "writes"),
    [
        ("source", None, True),
        ("source", "", True),
        ("source", "Webinar", False),
        ("country", None, False),
        ("country", "PT", False),
        ("phone", "+1 555 0100", True),
        ("owner", None, True),
        ("title", "CMO", True),
        ("company", "Acme", True),
    ],
)
def test_writes_field(field: str, current: Any, writes: bool) -> None:
    assert writes_field(CONTRACT, field, current) is writes


# --- the whole lead ---------------------------------------------------------------------


def test_merge_leads_picks_each_field_by_its_rule() -> None:
    lead = merge_leads(
        CONTRACT,
        [
            _from("hubspot", title="Head of Growth", phone="+1 555 0100", updated_at=TUESDAY),
            _from("salesforce", title="Manager", owner="Marta", updated_at=MONDAY),
        ],
    )
    assert lead.email == EMAIL
    assert (lead.title, lead.phone, lead.owner) == ("Head of Growth", "+1 555 0100", "Marta")


def test_created_at_is_the_earliest_and_updated_at_the_latest() -> None:
    lead = merge_leads(
        CONTRACT,
        [
            _from("hubspot", created_at=TUESDAY, updated_at=TUESDAY),
            _from("salesforce", created_at=MONDAY, updated_at=WEDNESDAY),
            _from("marketo"),
        ],
    )
    assert lead.created_at == MONDAY
    assert lead.updated_at == WEDNESDAY


def test_stage_dates_keep_the_earliest_date_per_stage() -> None:
    lead = merge_leads(
        CONTRACT,
        [
            _from("hubspot", stage_dates={"lead": MONDAY, "mql": WEDNESDAY}),
            _from("salesforce", stage_dates={"mql": TUESDAY, "sal": WEDNESDAY}),
        ],
    )
    assert lead.stage_dates == {"lead": MONDAY, "mql": TUESDAY, "sal": WEDNESDAY}


def test_merged_lead_leaves_computed_fields_for_the_contract() -> None:
    lead = merge_leads(
        CONTRACT,
        [_from("hubspot", stage="mql", score=80, fit_score=30, explanation="old words")],
    )
    assert (lead.stage, lead.score, lead.fit_score, lead.explanation) == (None, None, None, None)


def test_merge_leads_needs_a_source() -> None:
    with pytest.raises(ValueError, match="at least one source"):
        merge_leads(CONTRACT, [])


# --- the stage the systems held ---------------------------------------------------------


def test_previous_stage_is_the_furthest_on_the_success_path() -> None:
    sources = [_from("hubspot", stage="mql"), _from("salesforce", stage="sal")]
    assert previous_stage(CONTRACT, sources) == "sal"
    assert previous_stage(CONTRACT, sources[::-1]) == "sal"


def test_previous_stage_prefers_the_success_path_over_a_detour() -> None:
    sources = [_from("hubspot", stage="recycled"), _from("salesforce", stage="lead")]
    assert previous_stage(CONTRACT, sources) == "lead"


def test_previous_stage_is_a_detour_when_no_system_is_on_the_path() -> None:
    sources = [_from("hubspot", stage="disqualified"), _from("salesforce", stage="recycled")]
    assert previous_stage(CONTRACT, sources) == "disqualified"


def test_previous_stage_ignores_stages_the_contract_does_not_know() -> None:
    assert previous_stage(CONTRACT, [_from("hubspot", stage="evangelist")]) is None
    assert previous_stage(CONTRACT, [_from("hubspot"), _from("salesforce")]) is None
