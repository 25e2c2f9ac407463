"""Replaying the stored funnel under a changed contract, writing nothing (`simulate`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from pydantic import ValidationError

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.rule_kinds import RuleKinds
from funnelsync.scoring import score_lead
from funnelsync.stages import entry_holds, place_lead
from funnelsync.sync.engine.identity import person_activities
from funnelsync.sync.state.store import StateStore, StoredActivity


class SimulationError(ValueError):
    """A ``--set`` that does not apply to the contract; the message says why."""


def _step(node: Any, part: str, path: str) -> tuple[Any, str | int]:
    """The child of ``node`` named ``part``: a key, a list index, or a list item's name."""
    if isinstance(node, dict):
        if part not in node:
            raise SimulationError(f"{path}: no key {part!r} (have: {', '.join(map(str, node))})")
        return node, part
    if isinstance(node, list):
        if part.isdigit() and int(part) < len(node):
            return node, int(part)
        for index, item in enumerate(node):
            if isinstance(item, dict) and item.get("name") == part:
                return node, index
        raise SimulationError(f"{path}: no item {part!r} (use an index or a stage name)")
    raise SimulationError(f"{path}: cannot go into a {type(node).__name__}")


def apply_settings(contract: FunnelContract, settings: Sequence[str]) -> FunnelContract:
    """``contract`` with each ``KEY=VALUE`` applied (KEY dotted; VALUE read as YAML).

    The last part of KEY may name a key the contract leaves unset (e.g. ``fit_min``).
    """
    document = contract.model_dump(mode="json", by_alias=True)
    # The hand-off channels hold secrets, which a JSON dump masks: keep them as they are.
    document.update(owners=dict(contract.owners), default_channel=contract.default_channel)
    for setting in settings:
        key, sep, raw = setting.partition("=")
        if not sep or not key:
            raise SimulationError(f"{setting!r}: expected KEY=VALUE")
        parts = key.split(".")
        node: Any = document
        for depth, part in enumerate(parts[:-1]):
            container, index = _step(node, part, ".".join(parts[: depth + 1]))
            node = container[index]
            if node is None:
                container[index] = node = {}
        if not isinstance(node, dict | list):
            raise SimulationError(f"{key}: {'.'.join(parts[:-1])} holds no keys")
        value = yaml.safe_load(raw)
        if isinstance(node, list):
            container, index = _step(node, parts[-1], key)
            container[index] = value
        else:
            node[parts[-1]] = value
    try:
        return FunnelContract.model_validate(document)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()
        )
        raise SimulationError(f"the changed contract is not valid: {details}") from None


@dataclass(frozen=True, slots=True)
class Outcomes:
    """How well a contract's MQLs match what sales later made of them.

    A lead counts as an MQL when its score would cross the MQL stage's entry rule at any
    time (replayed at each of its activities), whatever stage sales later put it in. The
    outcomes are what the stored history says: reached ``sql_stage``, reached the won
    stage (the last stage of the success path).
    """

    mqls: int
    mqls_reached_sql: int
    mqls_won: int
    sql_precision: float | None
    """Share of the MQLs that reached ``sql_stage``."""
    won_precision: float | None
    """Share of the MQLs that reached the won stage."""
    converters: int
    """Leads that reached the won stage."""
    converters_missed: int
    """Converters this contract would not have made MQLs."""
    recall: float | None
    """Share of the converters that this contract makes MQLs."""
    mqls_per_month: dict[str, int]
    """``YYYY-MM`` → MQLs whose score would first cross the threshold in that month."""


@dataclass(frozen=True, slots=True)
class Simulation:
    """Current and simulated funnel, and who would move."""

    current_mqls: int
    simulated_mqls: int
    stored_mqls: int
    moved_forward: int
    moved_back: int
    into_detour: int
    out_of_detour: int
    added_mqls: int
    dropped_mqls: int
    added_sql_rate: float | None
    dropped_sql_rate: float | None
    current_stages: dict[str, int]
    simulated_stages: dict[str, int]
    current: Outcomes
    simulated: Outcomes


def _is_mql(contract: FunnelContract, stage: str) -> bool:
    index = contract.path_index(stage)
    mql = contract.path_index(contract.mql_stage)
    return index is not None and mql is not None and index >= mql


def _reached_sql(contract: FunnelContract, lead: Lead) -> bool:
    if contract.sql_stage is None:
        return False
    sql = contract.path_index(contract.sql_stage)
    index = contract.path_index(lead.stage) if lead.stage else None
    return contract.sql_stage in lead.stage_dates or (
        index is not None and sql is not None and index >= sql
    )


def _won(contract: FunnelContract, lead: Lead) -> bool:
    won = contract.stages[-1].name
    return won in lead.stage_dates or lead.stage == won


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def first_crossing(
    contract: FunnelContract,
    lead: Lead,
    activities: Sequence[StoredActivity],
    as_of: datetime,
    kinds: RuleKinds,
) -> datetime | None:
    """When ``lead``'s score would first meet the MQL stage's entry rule, if ever by
    ``as_of``: checked when the lead was created and at each of its activities (the only
    moments a score rises)."""
    rule = contract.stage(contract.mql_stage).entry
    if rule is None:
        raise SimulationError(
            f"the MQL stage {contract.mql_stage!r} has no entry rule: nothing to replay"
        )
    moments = {a.occurred_at for a in activities if a.occurred_at <= as_of}
    if lead.created_at is not None and lead.created_at <= as_of:
        moments.add(lead.created_at)
    for moment in sorted(moments) or [as_of]:
        score = score_lead(contract.scoring, lead, activities, moment, kinds)
        if entry_holds(rule, lead, score, kinds):
            return moment
    return None


def outcomes(
    contract: FunnelContract,
    leads: Mapping[int, Lead],
    activities: Mapping[int, Sequence[StoredActivity]],
    as_of: datetime,
    kinds: RuleKinds,
) -> Outcomes:
    """The MQLs ``contract`` would have made of ``leads`` (by person id), each with its
    ``activities`` (by person id), against their stored outcomes (the current contract's
    ``sql_stage`` and won stage)."""
    mqls = reached_sql = won = converters = missed = 0
    months: dict[str, int] = defaultdict(int)
    for person_id, lead in leads.items():
        mine = activities.get(person_id, ())
        crossed = first_crossing(contract, lead, mine, as_of, kinds)
        converted = _won(contract, lead)
        converters += converted
        if crossed is None:
            missed += converted
            continue
        mqls += 1
        reached_sql += _reached_sql(contract, lead)
        won += converted
        months[f"{crossed:%Y-%m}"] += 1
    return Outcomes(
        mqls=mqls,
        mqls_reached_sql=reached_sql,
        mqls_won=won,
        sql_precision=_ratio(reached_sql, mqls) if contract.sql_stage else None,
        won_precision=_ratio(won, mqls),
        converters=converters,
        converters_missed=missed,
        recall=_ratio(converters - missed, converters),
        mqls_per_month=dict(sorted(months.items())),
    )


def _rate(contract: FunnelContract, leads: list[Lead]) -> float | None:
    if contract.sql_stage is None or not leads:
        return None
    return round(sum(_reached_sql(contract, lead) for lead in leads) / len(leads), 3)


def _replay(
    contract: FunnelContract,
    lead: Lead,
    activities: Sequence[StoredActivity],
    as_of: datetime,
    kinds: RuleKinds,
) -> str:
    """The stage ``lead`` would have if ``contract`` had always applied (no history)."""
    fresh = lead.model_copy(update={"stage_dates": {}})
    score = score_lead(contract.scoring, fresh, activities, as_of, kinds)
    return place_lead(contract, fresh, score, None, as_of, kinds).stage


def simulate(
    store: StateStore,
    current: FunnelContract,
    changed: FunnelContract,
    as_of: datetime,
    kinds: RuleKinds,
) -> Simulation:
    """Replay every stored lead and its activities under both contracts."""
    leads = store.leads(store.all_person_ids())
    by_person = activities_by_person(store)
    now_stages: dict[str, int] = defaultdict(int)
    new_stages: dict[str, int] = defaultdict(int)
    forward = back = into = out = 0
    added: list[Lead] = []
    dropped: list[Lead] = []
    for person_id, lead in leads.items():
        activities = by_person.get(person_id, [])
        before = _replay(current, lead, activities, as_of, kinds)
        after = _replay(changed, lead, activities, as_of, kinds)
        now_stages[before] += 1
        new_stages[after] += 1
        was, will = current.path_index(before), changed.path_index(after)
        if was is not None and will is not None:
            forward += will > was
            back += will < was
        else:
            into += was is not None and will is None
            out += was is None and will is not None
        crossed_now = first_crossing(current, lead, activities, as_of, kinds) is not None
        crossed_then = first_crossing(changed, lead, activities, as_of, kinds) is not None
        if crossed_then and not crossed_now:
            added.append(lead)
        if crossed_now and not crossed_then:
            dropped.append(lead)
    return Simulation(
        current_mqls=sum(n for stage, n in now_stages.items() if _is_mql(current, stage)),
        simulated_mqls=sum(n for stage, n in new_stages.items() if _is_mql(changed, stage)),
        stored_mqls=sum(
            1 for lead in leads.values() if lead.stage and _is_mql(current, lead.stage)
        ),
        moved_forward=forward,
        moved_back=back,
        into_detour=into,
        out_of_detour=out,
        added_mqls=len(added),
        dropped_mqls=len(dropped),
        added_sql_rate=_rate(current, added),
        dropped_sql_rate=_rate(current, dropped),
        current_stages=dict(now_stages),
        simulated_stages=dict(new_stages),
        current=outcomes(current, leads, by_person, as_of, kinds),
        simulated=outcomes(changed, leads, by_person, as_of, kinds),
    )


def activities_by_person(store: StateStore) -> dict[int, list[StoredActivity]]:
    """Every stored person's activities, linked as a sync links them: by any of the
    person's identity tokens (so a lead without email keeps the activities that name it
    by another key)."""
    identity = store.load_identity()
    by_token = _grouped(store.activities(None))
    return {
        person_id: person_activities(identity, person_id, by_token)
        for person_id in identity.label_of
    }


def sweep_values(spec: str) -> tuple[str, list[float]]:
    """``KEY=A:B:STEP`` → the key and the values from A to B (inclusive) by STEP."""
    key, sep, span = spec.partition("=")
    try:
        start, stop, step = (float(part) for part in span.split(":"))
    except ValueError:
        start = stop = step = float("nan")
    if not sep or not key or not (step > 0 and stop >= start):
        raise SimulationError(f"{spec!r}: expected KEY=A:B:STEP with A <= B and STEP > 0")
    count = int((stop - start) / step + 1e-9) + 1
    return key, [start + index * step for index in range(count)]


def sweep(
    store: StateStore,
    contract: FunnelContract,
    spec: str,
    as_of: datetime,
    kinds: RuleKinds,
) -> list[tuple[str, Outcomes]]:
    """The outcomes of the current contract, then of ``KEY`` set to each value of ``spec``."""
    key, values = sweep_values(spec)
    leads = store.leads(store.all_person_ids())
    by_person = activities_by_person(store)
    rows = [("current", outcomes(contract, leads, by_person, as_of, kinds))]
    for value in values:
        shown = f"{value:g}"
        changed = apply_settings(contract, [f"{key}={shown}"])
        rows.append((f"{key}={shown}", outcomes(changed, leads, by_person, as_of, kinds)))
    return rows


def _grouped(activities: Iterable[StoredActivity]) -> dict[str, list[StoredActivity]]:
    grouped: dict[str, list[StoredActivity]] = defaultdict(list)
    for activity in activities:
        grouped[activity.email].append(activity)
    return grouped
