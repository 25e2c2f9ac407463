"""Property-based tests of scoring and the stage machine (issue 4, item 8).

Contracts, leads and activities are drawn at random (but valid) by hypothesis:

- the stage machine never moves back on the success path without a detour;
- placing a lead is idempotent;
- scoring does not depend on the order activities arrive in;
- decay is monotone in time;
- fit, engagement, type and window caps always hold;
- the explanation always fits its length limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from funnelsync.contract import EngagementScoring, FunnelContract
from funnelsync.explanation import explain
from funnelsync.models import Lead
from funnelsync.scoring import Score, ScorePart, engagement_score, fit_score, score_lead
from funnelsync.stages import place_lead

PROPERTIES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

EMAIL = "ana.silva@acme.example"
STATUSES = ("New", "Working", "Qualified", "Customer", "Recycled", "Disqualified", "Nurture")
TITLES = ("VP Marketing", "Head of Growth", "Student", "Engineer", "Director of Sales", "CEO")
INDUSTRIES = ("Healthcare", "Software", "Retail", "Financial Services", "Education")
COUNTRIES = ("United States", "Germany", "France", "Brazil", "Japan")
CAMPAIGNS = ("spring", "launch", "webinar-q3")
ASSETS = ("pricing", "ebook", "case-study")
# Scored types share no words, so a part's label tells its type apart.
SCORED_TYPES = ("email_click", "demo_request", "page_view", "webinar", "form_fill")
ACTIVITY_TYPES = (*SCORED_TYPES, "unscored_ping")
ZONES: tuple[tzinfo, ...] = (
    UTC,
    timezone(timedelta(hours=-8)),
    timezone(timedelta(hours=5, minutes=30)),
)
DAY = 86400


@dataclass(frozen=True, slots=True)
class Act:
    """A lightweight activity, as the state store yields them."""

    type: str
    occurred_at: datetime
    campaign: str | None = None
    asset: str | None = None


# --- strategies (built once: hypothesis validates each strategy object it draws from) -----

zones = st.sampled_from(ZONES)
# hypothesis takes naive bounds and puts each drawn time in one of ``zones``.
times = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=zones)  # noqa: DTZ001
statuses = st.one_of(st.none(), st.sampled_from(STATUSES))
status_conditions = st.one_of(
    st.builds(lambda v: {"field": "lead_status", "equals": v}, st.sampled_from(STATUSES)),
    st.builds(
        lambda vs: {"field": "lead_status", "in": sorted(vs)},
        st.sets(st.sampled_from(STATUSES), min_size=1, max_size=3),
    ),
    st.builds(lambda p: {"field": "lead_status", "present": p}, st.booleans()),
)
thresholds = st.one_of(st.none(), st.integers(-10, 120))


def _rule(when: list[dict[str, Any]], fit: int | None, eng: int | None, total: int | None) -> Any:
    mins = {"fit_min": fit, "engagement_min": eng, "score_min": total}
    return {"when": when, **{key: value for key, value in mins.items() if value is not None}}


def _entry_rules(min_conditions: int) -> st.SearchStrategy[dict[str, Any] | None]:
    """An entry rule (score thresholds and lead-status conditions), or none (by hand only)."""
    rules = st.builds(
        _rule,
        st.lists(status_conditions, min_size=min_conditions, max_size=2),
        thresholds,
        thresholds,
        thresholds,
    )
    return st.one_of(st.none(), rules, rules)


stage_entries = _entry_rules(0)
detour_entries = _entry_rules(1)
teams = st.sampled_from(["marketing", "sales"])


def _with_points(rule: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda points: {**rule, "points": points}, st.integers(-30, 40))


fit_rules = st.one_of(
    st.fixed_dictionaries(
        {"field": st.just("title"), "matches": st.sampled_from(["(?i)vp|head", "(?i)student"])}
    ),
    st.fixed_dictionaries(
        {"field": st.just("industry"), "in": st.lists(st.sampled_from(INDUSTRIES), max_size=3)}
    ),
    st.fixed_dictionaries({"field": st.just("country"), "equals": st.sampled_from(COUNTRIES)}),
    st.fixed_dictionaries(
        {
            "field": st.just("company_size"),
            "min": st.integers(0, 2000),
            "max": st.integers(2000, 10000),
        }
    ),
    st.fixed_dictionaries({"field": st.sampled_from(["phone", "title"]), "present": st.booleans()}),
).flatmap(_with_points)
fit_scorings = st.fixed_dictionaries(
    {"rules": st.lists(fit_rules, max_size=5), "cap": st.one_of(st.none(), st.integers(0, 80))}
)

half_lives = st.one_of(st.none(), st.floats(0.25, 120), st.integers(1, 90))
window_caps = st.fixed_dictionaries({"days": st.integers(1, 30), "points": st.integers(0, 40)})


def _engagement_configs(low: int) -> st.SearchStrategy[dict[str, Any]]:
    """Points per type, overrides, type caps, window caps, half-life and overall cap."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        scored = draw(st.lists(st.sampled_from(SCORED_TYPES), min_size=1, unique=True))
        of_scored = st.sampled_from(scored)
        override = st.fixed_dictionaries(
            {
                "type": of_scored,
                "campaign": st.one_of(st.none(), st.sampled_from(CAMPAIGNS)),
                "asset": st.sampled_from(ASSETS),
                "points": st.integers(low, 80),
            }
        )
        return {
            "points": draw(st.fixed_dictionaries({k: st.integers(low, 50) for k in scored})),
            "overrides": draw(st.lists(override, max_size=2)),
            "caps": draw(st.dictionaries(of_scored, st.integers(0, 60))),
            "window_caps": draw(st.dictionaries(of_scored, window_caps)),
            "half_life_days": draw(half_lives),
            "cap": draw(st.one_of(st.none(), st.integers(0, 150))),
        }

    return build()


engagement_configs = _engagement_configs(-10)
non_negative_engagement_configs = _engagement_configs(0)


def _contract(
    stages: list[tuple[str, dict[str, Any] | None]],
    detours: list[dict[str, Any] | None],
    fit: dict[str, Any],
    engagement: dict[str, Any],
) -> FunnelContract:
    def stage(name: str, team: str, entry: dict[str, Any] | None) -> dict[str, Any]:
        return {"name": name, "team": team, **({"entry": entry} if entry is not None else {})}

    return FunnelContract.model_validate(
        {
            "version": "1",
            "stages": [stage(f"s{i}", team, entry) for i, (team, entry) in enumerate(stages)],
            "detours": [stage(f"d{i}", "sales", entry) for i, entry in enumerate(detours)],
            "mql_stage": "s1",
            "scoring": {"fit": fit, "engagement": engagement},
        }
    )


contracts = st.builds(
    _contract,
    st.lists(st.tuples(teams, stage_entries), min_size=2, max_size=5),
    st.lists(detour_entries, max_size=3),
    fit_scorings,
    engagement_configs,
)
"""A valid contract: 2-5 success-path stages, 0-3 detours (some rule-less), random scoring."""


def _names(contract: FunnelContract) -> list[str]:
    return [stage.name for stage in contract.all_stages]


def _lead(
    title: str | None,
    industry: str | None,
    size: int | None,
    country: str | None,
    phone: str | None,
    status: str | None,
    reason: str | None,
) -> Lead:
    return Lead(
        email=EMAIL,
        title=title,
        industry=industry,
        company_size=size,
        country=country,
        phone=phone,
        lead_status=status,
        status_reason=reason,
    )


def _optional(values: Sequence[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


leads = st.builds(
    _lead,
    _optional(TITLES),
    _optional(INDUSTRIES),
    st.one_of(st.none(), st.integers(0, 20000)),
    _optional(COUNTRIES),
    _optional(["+1 555 0100"]),
    statuses,
    _optional(["No budget"]),
)
stage_dates = st.dictionaries(st.sampled_from([f"s{i}" for i in range(5)] + ["d0", "d1"]), times)


@st.composite
def dated_leads(draw: st.DrawFn) -> Lead:
    """A lead that may already have entered some stages (dates for names a contract may use)."""
    return draw(leads).model_copy(update={"stage_dates": draw(stage_dates)})


RawActivity = tuple[str, int, tzinfo, str | None, str | None]
# An activity relative to the as-of time: type, seconds before it (a few after), zone written
# in, campaign, asset. Ages cluster in the last weeks so window and type caps bite.
seconds_before = st.one_of(
    st.builds(
        lambda days, seconds: days * DAY + seconds, st.integers(0, 45), st.integers(-3600, DAY)
    ),
    st.integers(0, 200 * DAY),
)


def _raw_activities(types: Sequence[str]) -> st.SearchStrategy[list[RawActivity]]:
    return st.lists(
        st.tuples(
            st.sampled_from(types), seconds_before, zones, _optional(CAMPAIGNS), _optional(ASSETS)
        ),
        max_size=25,
    )


raw_activities = _raw_activities(ACTIVITY_TYPES)


def _acts(raw: Sequence[RawActivity], as_of: datetime) -> list[Act]:
    return [
        Act(kind, (as_of - timedelta(seconds=before)).astimezone(zone), campaign, asset)
        for kind, before, zone, campaign, asset in raw
    ]


scores = st.builds(
    lambda fit, engagement: Score(fit, engagement, ()),
    st.integers(-50, 150),
    st.integers(-20, 150),
)


# --- the stage machine --------------------------------------------------------------------


@PROPERTIES
@given(data=st.data(), contract=contracts, lead=dated_leads(), score=scores, now=times)
def test_never_moves_back_on_the_success_path(
    data: st.DataObject, contract: FunnelContract, lead: Lead, score: Score, now: datetime
) -> None:
    previous = data.draw(st.sampled_from([stage.name for stage in contract.stages]))
    placement = place_lead(contract, lead, score, previous, now)
    index = contract.path_index(placement.stage)
    before = contract.path_index(previous)
    assert before is not None
    if index is not None:
        assert index >= before, (previous, placement)


@PROPERTIES
@given(
    data=st.data(),
    contract=contracts,
    lead=leads,
    steps=st.lists(st.tuples(statuses, scores, st.integers(0, 30 * DAY)), min_size=1, max_size=8),
    start=times,
)
def test_a_run_history_only_leaves_the_success_path_through_a_detour(
    data: st.DataObject,
    contract: FunnelContract,
    lead: Lead,
    steps: list[tuple[str | None, Score, int]],
    start: datetime,
) -> None:
    """Run after run (status and score changing), the path index never drops directly."""
    previous: str | None = data.draw(st.one_of(st.none(), st.sampled_from(_names(contract))))
    now = start
    for status, score, gap in steps:
        now += timedelta(seconds=gap)
        lead = lead.model_copy(update={"lead_status": status})
        placement = place_lead(contract, lead, score, previous, now)
        before = contract.path_index(previous) if previous else None
        after = contract.path_index(placement.stage)
        if before is not None and after is not None:
            assert after >= before, (previous, placement)
        for name, when in lead.stage_dates.items():
            assert placement.stage_dates[name] == when  # entry dates are never rewritten
        assert placement.stage in placement.stage_dates
        lead = lead.model_copy(update={"stage_dates": placement.stage_dates})
        previous = placement.stage


@PROPERTIES
@given(
    data=st.data(),
    contract=contracts,
    lead=dated_leads(),
    raw=raw_activities,
    now=times,
    later_by=st.integers(0, 3 * DAY),
)
def test_placing_is_idempotent(
    data: st.DataObject,
    contract: FunnelContract,
    lead: Lead,
    raw: list[RawActivity],
    now: datetime,
    later_by: int,
) -> None:
    score = data.draw(st.one_of(scores, st.just(None)))
    if score is None:
        score = score_lead(contract.scoring, lead, _acts(raw, now), now)
    previous = data.draw(st.one_of(st.none(), st.sampled_from(_names(contract))))
    first = place_lead(contract, lead, score, previous, now)
    placed = lead.model_copy(update={"stage_dates": dict(first.stage_dates)})
    for when in (now, now + timedelta(seconds=later_by)):
        again = place_lead(contract, placed, score, first.stage, when)
        assert again.stage == first.stage
        assert again.stage_dates == first.stage_dates


# --- scoring ------------------------------------------------------------------------------


@PROPERTIES
@given(data=st.data(), contract=contracts, lead=leads, raw=raw_activities, as_of=times)
def test_scoring_does_not_depend_on_activity_order(
    data: st.DataObject,
    contract: FunnelContract,
    lead: Lead,
    raw: list[RawActivity],
    as_of: datetime,
) -> None:
    activities = _acts(raw, as_of)
    shuffled = data.draw(st.permutations(activities))
    one = score_lead(contract.scoring, lead, activities, as_of)
    other = score_lead(contract.scoring, lead, shuffled, as_of)
    assert (one.fit, one.engagement) == (other.fit, other.engagement)
    assert Counter(one.parts) == Counter(other.parts)


@st.composite
def engagement_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[RawActivity]]:
    """Non-negative engagement scoring, and activities mostly of the types it scores."""
    config = draw(non_negative_engagement_configs)
    return config, draw(_raw_activities([*config["points"], "unscored_ping"]))


@PROPERTIES
@given(
    case=engagement_cases(),
    as_of=times,
    later_by=st.one_of(st.integers(0, 3 * DAY), st.integers(0, 400 * DAY)),
)
# Found by hypothesis (shrunk): a 3-day window cap, two clicks one second apart across
# midnight. As of 2025-01-01 both are in window 0 (ages 0 and 1 days, capped at 1 point);
# two days later their ages are 2 and 3 days, in windows 0 and 1, each capped at 1 point.
@example(
    case=(
        {"points": {"email_click": 1}, "window_caps": {"email_click": {"days": 3, "points": 1}}},
        [("email_click", 0, UTC, None, None), ("email_click", 1, UTC, None, None)],
    ),
    as_of=datetime(2025, 1, 1, tzinfo=UTC),
    later_by=2 * DAY,
)
def test_engagement_decays_monotonically(
    case: tuple[dict[str, Any], list[RawActivity]], as_of: datetime, later_by: int
) -> None:
    """With no new activity (and non-negative points), engagement never goes up over time.

    Both as-of times are in the same zone: whole days are counted in the as-of zone.
    """
    config, raw = case
    scoring = EngagementScoring.model_validate(config)
    activities = [act for act in _acts(raw, as_of) if act.occurred_at <= as_of]
    earlier, _ = engagement_score(scoring, activities, as_of)
    later, _ = engagement_score(scoring, activities, as_of + timedelta(seconds=later_by))
    assert later <= earlier


def _type_of(part: ScorePart) -> str:
    for kind in SCORED_TYPES:
        words = kind.replace("_", " ")
        if part.label.endswith(f"× {words}") or part.label.startswith(f"{words} ("):
            return kind
    raise AssertionError(f"no activity type in {part.label!r}")


@PROPERTIES
@given(contract=contracts, lead=leads, raw=raw_activities, as_of=times)
def test_caps_always_hold(
    contract: FunnelContract, lead: Lead, raw: list[RawActivity], as_of: datetime
) -> None:
    scoring = contract.scoring
    score = score_lead(scoring, lead, _acts(raw, as_of), as_of)
    fit, _ = fit_score(scoring.fit, lead)
    assert fit == score.fit
    if scoring.fit.cap is not None:
        assert score.fit <= scoring.fit.cap
    engagement = scoring.engagement
    if engagement.cap is not None:
        assert score.engagement <= engagement.cap
    types = Counter(_type_of(part) for part in score.parts if part.kind == "engagement")
    assert all(count == 1 for count in types.values())  # one part per activity type
    for part in score.parts:
        if part.kind == "engagement" and (cap := engagement.caps.get(_type_of(part))) is not None:
            assert part.points <= cap


@st.composite
def one_window(draw: st.DrawFn) -> tuple[EngagementScoring, str, datetime, list[Act]]:
    """A scoring with a window cap, and activities of that type all inside one window."""
    config = draw(engagement_configs)
    kind = draw(st.sampled_from(sorted(config["points"])))
    window = draw(window_caps)
    scoring = EngagementScoring.model_validate(
        {**config, "window_caps": {**config["window_caps"], kind: window}}
    )
    zone = draw(zones)
    as_of_day = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    as_of = datetime.combine(as_of_day, time.max, zone)
    days = window["days"]
    start = (as_of_day.toordinal() // days - draw(st.integers(0, 6))) * days
    ordinals = st.integers(start, min(start + days - 1, as_of_day.toordinal()))
    activities = draw(
        st.lists(
            st.builds(
                lambda day, at, written_in, campaign, asset: Act(
                    kind,
                    datetime.combine(date.fromordinal(day), at, zone).astimezone(written_in),
                    campaign,
                    asset,
                ),
                ordinals,
                st.times(),
                zones,
                _optional(CAMPAIGNS),
                _optional(ASSETS),
            ),
            min_size=1,
            max_size=30,
        )
    )
    return scoring, kind, as_of, activities


@PROPERTIES
@given(case=one_window())
def test_window_caps_hold_within_one_window(
    case: tuple[EngagementScoring, str, datetime, list[Act]],
) -> None:
    scoring, kind, as_of, activities = case
    _, parts = engagement_score(scoring, activities, as_of)
    assert len(parts) <= 1
    for part in parts:
        assert _type_of(part) == kind
        assert part.points <= scoring.window_caps[kind].points


# --- the explanation ----------------------------------------------------------------------

score_parts = st.lists(
    st.builds(
        ScorePart,
        st.text(max_size=60),
        st.integers(-100, 100),
        st.sampled_from(["fit", "engagement"]),
    ),
    max_size=15,
)


@PROPERTIES
@given(
    label=st.text(min_size=1, max_size=80),
    since=st.one_of(st.none(), times),
    fit=st.integers(-1000, 1000),
    engagement=st.integers(-1000, 1000),
    parts=score_parts,
    max_length=st.integers(1, 300),
)
def test_explanation_fits_its_field(
    label: str,
    since: datetime | None,
    fit: int,
    engagement: int,
    parts: list[ScorePart],
    max_length: int,
) -> None:
    text = explain(label, since, Score(fit, engagement, tuple(parts)), max_length)
    assert len(text) <= max_length


@PROPERTIES
@given(contract=contracts, lead=dated_leads(), raw=raw_activities, as_of=times)
def test_explanation_of_a_placed_lead_fits_the_default_limit(
    contract: FunnelContract, lead: Lead, raw: list[RawActivity], as_of: datetime
) -> None:
    score = score_lead(contract.scoring, lead, _acts(raw, as_of), as_of)
    placement = place_lead(contract, lead, score, None, as_of)
    stage = contract.stage(placement.stage)
    text = explain(stage.display_name, placement.stage_dates.get(stage.name), score)
    assert len(text) <= 255
    assert text.startswith(stage.display_name)
