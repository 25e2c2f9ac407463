"""Why a lead has its score and stage (`funnelsync explain`), from the stored funnel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from funnelsync.campaigns import campaign_index, recent_campaigns, talking_points
from funnelsync.contract import FunnelContract
from funnelsync.models import Lead, key_token, normalise_email
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
    talking_points: list[str]
    """The stage's points, then those of the campaigns in ``campaigns``."""
    campaigns: list[str]
    """The contract's campaigns the lead engaged with most recently (at most 3)."""


def person_token(text: str) -> str:
    """The person a user named: ``key:value`` of an identity key (e.g. ``crm_id:0031``)
    as given, else an email, normalised (``ValueError`` if it is not one)."""
    key, colon, value = text.partition(":")
    if colon and "@" not in key:
        token = key_token(key.strip(), value)
        if token is not None:
            return token
    return normalise_email(text)


def explain_lead(
    store: StateStore, contract: FunnelContract, who: str, as_of: datetime, kinds: RuleKinds
) -> Explanation | None:
    """The explanation for the lead ``who`` (an email or ``key:value`` of an identity key),
    or ``None`` if unknown."""
    found = store.person_by_key(who)
    if found is None:
        return None
    person_id, lead = found
    _, history = store.history(person_id)
    return explain_person(store, contract, person_id, lead, history, as_of, kinds)


def explain_person(
    store: StateStore,
    contract: FunnelContract,
    person_id: int,
    lead: Lead,
    history: list[StageEntry],
    as_of: datetime,
    kinds: RuleKinds,
) -> Explanation:
    """The explanation for a person already looked up, with their stage ``history``."""
    activities = list(store.activities(store.person_keys(person_id)))
    score = score_lead(contract.scoring, lead, activities, as_of, kinds)
    placement = place_lead(contract, lead, score, lead.stage, as_of, kinds)
    campaigns = recent_campaigns(campaign_index(contract.campaigns), activities)
    points = talking_points(contract.stage(placement.stage).talking_points, campaigns)
    return Explanation(
        lead,
        score,
        placement.stage,
        placement.reason,
        history,
        len(activities),
        points,
        [campaign.label for campaign in campaigns],
    )
