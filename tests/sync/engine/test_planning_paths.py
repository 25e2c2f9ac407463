"""Planning finds exactly the fields that differ, as the comparison rules read one by one.

Planning decides each field's ownership rule once per plan and compares the common pairs
(blank, text with text) without calls; these tests hold it to the rules applied field by
field: a descriptive field only as its ownership rule allows, a value the system holds
(compared as canonical values, timestamps to the second) is not written, nor one whose
system form is already there (blank equals missing, values compare as text), nor one
the system kept before; a value the encoding cannot hold is refused naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from funnelsync.contract import FunnelContract
from funnelsync.mapping import FieldMap, format_value
from funnelsync.merge import writes_field
from funnelsync.models import Lead, is_descriptive
from funnelsync.sync.engine.kept import kept_before
from funnelsync.sync.engine.planning import (
    UnencodableValueError,
    _changed_fields,
    _ownership,
    _writable,
    same_text,
)
from funnelsync.text_fit import describe_character, fit_own_text, unencodable

MOMENT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
LATER = MOMENT.replace(microsecond=250_000)
ZONE = ZoneInfo("Europe/Berlin")

FIELD_MAPS = {
    "first_name": FieldMap(field="First"),
    "title": FieldMap(field="Title", direction="write"),
    "owner": FieldMap(field="Owner"),
    "country": FieldMap(field="Country"),
    "company_size": FieldMap(field="Employees"),
    "score": FieldMap(field="Score"),
    "stage": FieldMap(field="Stage", values={"mql": "MQL"}),
    "explanation": FieldMap(field="Why", max_length=12),
    "stage_dates.mql": FieldMap(field="MQL Date", format="%d/%m/%Y %H:%M:%S"),
    "created_at": FieldMap(field="Created"),
    "tier": FieldMap(field="Tier"),
}
WRITABLE = _writable(FIELD_MAPS)
SYSTEM_FIELDS = [item.name for item in WRITABLE]
RULES = ["prefer a unless blank", "always a", "two-way", "set if empty", "don't sync"]
VALUES: list[Any] = [None, "", "Ann", "None", "ÉLODIE", "Łukasz", "MQL", "mql", "5", 5, 0, MOMENT]


def _rule_by_rule(
    contract: FunnelContract,
    lead: Lead,
    system_values: list[Any],
    raw: dict[str, Any],
    kept: dict[str, tuple[Any, Any]],
    encoding: str,
) -> dict[str, tuple[str, Any]]:
    """The changes, each field compared as the module docstring states the rules."""

    def blank(value: Any) -> bool:
        return value is None or value == "" or value == {}

    def same(current: Any, desired: Any) -> bool:
        if isinstance(current, datetime) and isinstance(desired, datetime):
            return current.replace(microsecond=0) == desired.replace(microsecond=0)
        return (blank(current) and blank(desired)) or bool(current == desired)

    def formatted(canonical: str, field_map: FieldMap, value: Any) -> Any:
        text = format_value(field_map, value, ZONE)
        if not isinstance(text, str):
            return text
        if not is_descriptive(canonical):
            return fit_own_text(text, encoding, field_map.max_length)
        character = unencodable(text, encoding)
        if character is not None:
            raise UnencodableValueError(
                f"{field_map.field} ({canonical}): {describe_character(character)} "
                f"cannot be written in {encoding}"
            )
        return text

    changes: dict[str, tuple[str, Any]] = {}
    for item, current in zip(WRITABLE, system_values, strict=True):
        canonical, field_map = item.canonical, item.field_map
        if item.descriptive and not writes_field(contract, canonical, current):
            continue
        desired = item.value_of(lead)
        if field_map.reads and same(current, desired):
            continue
        value = formatted(canonical, field_map, desired)
        if same_text(raw.get(field_map.field), value):
            continue
        if kept_before(kept, raw, field_map.field, value):
            continue
        changes[field_map.field] = (canonical, value)
    return changes


def _outcome(compute: Any) -> Any:
    try:
        return compute()
    except UnencodableValueError as exc:
        return ("refused", str(exc))


_lead = st.builds(
    lambda first, title, owner, country, size, score, stage, why, mql, created, tier: (
        Lead.model_construct(
            first_name=first,
            title=title,
            owner=owner,
            country=country,
            company_size=size,
            score=score,
            stage=stage,
            explanation=why,
            stage_dates={} if mql is None else {"mql": mql},
            created_at=created,
            attributes={} if tier is None else {"tier": tier},
        )
    ),
    *(st.sampled_from([None, "Ann", "ÉLODIE", "Łukasz", "None", ""]) for _ in range(4)),
    st.sampled_from([None, 0, 250]),
    st.sampled_from([None, 0, 5]),
    st.sampled_from([None, "mql", "lead"]),
    st.sampled_from([None, "MQL since today ≥ 5", "short"]),
    st.sampled_from([None, MOMENT, LATER]),
    st.sampled_from([None, MOMENT, LATER]),
    st.sampled_from([None, "Gold", ["a", "b"]]),
)


@settings(max_examples=600, deadline=None)
@given(
    rules=st.dictionaries(
        st.sampled_from(["first_name", "owner", "country", "tier"]), st.sampled_from(RULES)
    ),
    lead=_lead,
    system_values=st.lists(
        st.sampled_from([*VALUES, LATER, ["a", "b"]]),
        min_size=len(WRITABLE),
        max_size=len(WRITABLE),
    ),
    raw=st.dictionaries(
        st.sampled_from(SYSTEM_FIELDS),
        st.sampled_from([*VALUES, "04/03/2026 06:06:07", "2026-03-04T06:06:07+01:00", "a;b", "0"]),
    ),
    kept_field=st.sampled_from([None, *SYSTEM_FIELDS]),
    kept_mark=st.tuples(
        st.sampled_from([None, "Ann", "MQL", "5"]), st.sampled_from([None, "", "Ann", "MQL"])
    ),
    encoding=st.sampled_from(["utf-8", "latin-1", "ascii"]),
)
def test_changed_fields_are_those_the_rules_find_one_by_one(
    rules: dict[str, str],
    lead: Lead,
    system_values: list[Any],
    raw: dict[str, Any],
    kept_field: str | None,
    kept_mark: tuple[Any, Any],
    encoding: str,
) -> None:
    contract = _contract(rules)
    kept = {} if kept_field is None else {kept_field: kept_mark}
    _compare(contract, lead, system_values, raw, kept, encoding)


def _contract(rules: dict[str, str]) -> FunnelContract:
    return FunnelContract.model_validate(
        {
            "version": "1",
            "stages": [{"name": "lead", "team": "marketing"}, {"name": "mql", "team": "sales"}],
            "attributes": {"tier": {"type": "multi_picklist", "values": ["a", "b", "Gold"]}},
            "ownership": rules,
        }
    )


def _compare(
    contract: FunnelContract,
    lead: Lead,
    system_values: list[Any],
    raw: dict[str, Any],
    kept: dict[str, tuple[Any, Any]],
    encoding: str = "utf-8",
) -> Any:
    planned = _outcome(
        lambda: _changed_fields(
            contract,
            WRITABLE,
            _ownership(contract, WRITABLE),
            lead,
            system_values,
            raw,
            kept,
            ZONE,
            encoding,
        )
    )
    assert planned == _outcome(
        lambda: _rule_by_rule(contract, lead, system_values, raw, kept, encoding)
    )
    return planned


def _values(**by_field: Any) -> list[Any]:
    return [by_field.get(item.canonical.replace(".", "_")) for item in WRITABLE]


def test_a_blank_value_the_system_holds_blank_is_not_written() -> None:
    lead = Lead.model_construct(first_name="", stage_dates={}, attributes={})
    changes = _compare(_contract({}), lead, _values(), {"First": "Ann"}, {})
    assert "First" not in changes


def test_a_value_the_system_kept_before_is_not_sent_again() -> None:
    lead = Lead.model_construct(stage="lead", stage_dates={}, attributes={})
    raw = {"Stage": "MQL"}
    kept = {"Stage": ("lead", "MQL")}
    changes = _compare(_contract({}), lead, _values(stage="mql"), raw, kept)
    assert "Stage" not in changes
    assert _compare(_contract({}), lead, _values(stage="mql"), raw, {})["Stage"] == (
        "stage",
        "lead",
    )
