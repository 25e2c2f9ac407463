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
from funnelsync.stages import place_lead
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
    by_email: Mapping[str, list[StoredActivity]] = _grouped(store.activities(None))
    now_stages: dict[str, int] = defaultdict(int)
    new_stages: dict[str, int] = defaultdict(int)
    forward = back = into = out = 0
    added: list[Lead] = []
    dropped: list[Lead] = []
    for lead in leads.values():
        activities = by_email.get(lead.email, [])
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
        if _is_mql(changed, after) and not _is_mql(current, before):
            added.append(lead)
        if _is_mql(current, before) and not _is_mql(changed, after):
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
    )


def _grouped(activities: Iterable[StoredActivity]) -> dict[str, list[StoredActivity]]:
    grouped: dict[str, list[StoredActivity]] = defaultdict(list)
    for activity in activities:
        grouped[activity.email].append(activity)
    return grouped
