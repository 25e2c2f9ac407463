"""Why a lead has its score and stage (`funnelsync explain`), from the stored funnel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from funnelsync.contract import FunnelContract
from funnelsync.models import Lead
from funnelsync.rule_kinds import RuleKinds
from funnelsync.scoring import Score, score_lead
from funnelsync.stages import place_lead
from funnelsync.sync.state.store import StageEntry, StateStore


@dataclass(frozen=True, slots=True)
class Explanation:
    """A lead, its score breakdown as of now, its stage history, and why it is where it is."""

    lead: Lead
    score: Score
    stage: str
    reason: str
    history: list[StageEntry]
    activities: int


def explain_lead(
    store: StateStore, contract: FunnelContract, email: str, as_of: datetime, kinds: RuleKinds
) -> Explanation | None:
    """The explanation for the lead with canonical ``email``, or ``None`` if unknown."""
    found = store.person_by_email(email)
    if found is None:
        return None
    person_id, lead = found
    activities = list(store.activities([lead.email]))
    score = score_lead(contract.scoring, lead, activities, as_of, kinds)
    placement = place_lead(contract, lead, score, lead.stage, as_of, kinds)
    _, history = store.history(person_id)
    return Explanation(lead, score, placement.stage, placement.reason, history, len(activities))
