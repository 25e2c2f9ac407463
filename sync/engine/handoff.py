"""Hand-offs in a run: which stage moves are handed off, and delivering them.

Write-ahead order (crash safety):

1. A hand-off and one ``pending`` delivery per notifier plugin are inserted in the same
   transaction as the stage move that causes them (the run's commit): both or neither.
   A run killed before its commit leaves neither, and the next run finds the same move.
2. After the commit, each open delivery is marked ``sending`` (committed), the notifier
   is called, then the delivery is marked ``done`` or ``failed`` (committed).
3. Every run first delivers what is still open: ``failed`` ones are retried; ``sending``
   ones (a run killed mid-send) are sent again with ``repeat`` set, under the same
   ``handoff_id`` (webhook ``Idempotency-Key``, email Message-ID) so receivers can drop
   the copy. A hand-off is never lost; it reaches an owner twice only if a run dies
   between the notifier's success and step 2's ``done``, and then says so.

Which leads are handed off: those a run puts in a hand-off stage that funnelsync's own
committed record does not have them in (not the systems' values: a killed run may have
written the new stage there already). A lead
funnelsync sees for the first time is handed off only if its entry is fresh (within the
stage's SLA, or :data:`FRESH_WITHOUT_SLA` without one): older entries are history the
systems already held, not news for the owner.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from funnelsync.campaigns import points_list
from funnelsync.contract import FunnelContract
from funnelsync.handoff import HandoffConfig, channel_for, sla_rule_for
from funnelsync.models import Lead
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.secrets import redact
from funnelsync.sync.state.handoffs import (
    DONE,
    FAILED,
    PENDING,
    SENDING,
    DeliveryMark,
    OpenDelivery,
    mark_deliveries,
    open_deliveries,
)
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.loading import Workspace

logger = logging.getLogger(__name__)

FRESH_WITHOUT_SLA = timedelta(days=7)
"""How recent a first-seen lead's entry must be to be handed off, for a stage without SLA."""


@dataclass(slots=True)
class HandoffRows:
    """Rows for the run's commit: the hand-offs and their pending deliveries."""

    handoffs: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


def _freshness(contract: FunnelContract, stage: str) -> timedelta:
    rule = sla_rule_for(contract, stage)
    return FRESH_WITHOUT_SLA if rule is None else timedelta(hours=rule.within_hours)


def handoff_rows(
    contract: FunnelContract,
    leads: Mapping[int, Lead],
    stored_stages: Mapping[int, str | None],
    notifiers: Sequence[str],
    run_id: str,
    as_of: datetime,
) -> HandoffRows:
    """The hand-offs of the leads this run computed: those now in a hand-off stage that
    funnelsync's own committed record (``stored_stages``: person → stage, for the persons
    stored before the run) does not have them in.

    The systems' stage values are not the reference: a run killed after writing them and
    before its commit must still hand the lead off on the next run.
    """
    stages = contract.handoff_stages()
    rows = HandoffRows()
    for person_id, lead in leads.items():
        stage = lead.stage
        if stage not in stages or stored_stages.get(person_id) == stage:
            continue
        window = _freshness(contract, stage)
        entered = lead.stage_dates.get(stage, as_of)
        if entered < as_of - window:
            if person_id not in stored_stages:
                continue  # history the systems held before funnelsync saw the lead
            entered = as_of  # a re-entry keeps the first entry date; this entry is now
        handoff_id = f"{person_id}-{stage}-{run_id}"
        points = points_list(lead.talking_points)
        rows.handoffs.append(
            {
                "handoff_id": handoff_id,
                "person_id": person_id,
                "stage": stage,
                "entered_at": entered.isoformat(),
                "run_id": run_id,
                "lead": lead.model_dump_json(),
                "talking_points": json.dumps(points),
            }
        )
        rows.deliveries += [
            {
                "handoff_id": handoff_id,
                "notifier": notifier,
                "status": PENDING,
                "attempts": 0,
                "last_error": None,
                "updated_at": as_of.isoformat(),
            }
            for notifier in notifiers
        ]
    return rows


@dataclass(slots=True)
class Deliveries:
    """What delivering the open hand-offs did."""

    delivered: int = 0
    failed: list[str] = field(default_factory=list)
    """One line per failed delivery: the lead, the stage, the notifier and the error."""


def _config(workspace: Workspace, delivery: OpenDelivery, repeat: bool) -> HandoffConfig:
    contract = workspace.contract
    return HandoffConfig(
        handoff_id=delivery.handoff_id,
        channel=channel_for(contract, delivery.lead.owner),
        entered_at=delivery.entered_at,
        sla=sla_rule_for(contract, delivery.stage),
        workspace=workspace.config,
        repeat=repeat,
    )


def deliver_handoffs(
    workspace: Workspace, plugins: FunnelPlugins, store: StateStore, at: datetime
) -> Deliveries:
    """Deliver every open hand-off, each through its notifier, recording each step.

    A delivery's outcome is committed together with the next one's ``sending`` mark (one
    transaction per delivery, not two); a crash before that leaves it ``sending``, to be
    sent again as a possible repeat, as a crash just after the notifier returned would.
    """
    result = Deliveries()
    outcome: list[DeliveryMark] = []
    for delivery in open_deliveries(store.engine):
        who = delivery.lead.email or f"person {delivery.person_id}"
        mark_deliveries(store.engine, [*outcome, DeliveryMark(delivery, SENDING)], at)
        try:
            stage = workspace.contract.stage(delivery.stage)
            config = _config(workspace, delivery, repeat=delivery.status == SENDING)
            plugins.hand_off(
                delivery.notifier, delivery.lead, stage, delivery.talking_points, config
            )
        except Exception as exc:  # noqa: BLE001 - a notifier's failure is recorded and retried
            reason = redact(f"{type(exc).__name__}: {exc}")
            if isinstance(exc, KeyError):
                reason = f"stage {delivery.stage!r} is no longer in the contract"
            outcome = [DeliveryMark(delivery, FAILED, reason)]
            line = f"hand-off of {who} ({delivery.stage}) by {delivery.notifier}: {reason}"
            logger.warning("%s; retried next run", line)
            result.failed.append(line)
            continue
        outcome = [DeliveryMark(delivery, DONE)]
        result.delivered += 1
    if outcome:
        mark_deliveries(store.engine, outcome, at)
    return result
