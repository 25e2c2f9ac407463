"""A fit rule of a plugin's rule kind scores and reads as that kind describes it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from funnelsync.contract import Scoring
from funnelsync.models import Lead
from funnelsync.rule_kinds import RuleKind
from funnelsync.scoring import ScorePart, score_lead


class _CorporateDomain(RuleKind):
    """The lead's email is at one of ``domains``."""

    name = "corporate_domain"

    def holds(self, lead: Lead, field: str | None, args: Mapping[str, Any]) -> bool:
        return lead.email.rpartition("@")[2] in args["domains"]

    def describe(self, field: str | None, args: Mapping[str, Any]) -> str:
        return f"works at {', '.join(args['domains'])}"


KINDS = {"corporate_domain": _CorporateDomain()}
SCORING = Scoring.model_validate(
    {
        "fit": {
            "rules": [{"kind": "corporate_domain", "args": {"domains": ["acme.com"]}, "points": 25}]
        }
    }
)


def test_score_lead_uses_the_plugin_rule_kind_and_its_description() -> None:
    score = score_lead(SCORING, Lead(email="ann@acme.com"), [], datetime.now(UTC), KINDS)
    assert score.fit == 25
    assert score.parts == (ScorePart("works at acme.com", 25, "fit"),)
    other = score_lead(SCORING, Lead(email="bob@example.org"), [], datetime.now(UTC), KINDS)
    assert other.fit == 0
