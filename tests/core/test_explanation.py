"""The one-line explanation sales reads next to a lead: stage, since when, score and why."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from funnelsync.explanation import DEFAULT_MAX_LENGTH, explain
from funnelsync.scoring import Score, ScorePart

SINCE = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)

SCORE = Score(
    fit=35,
    engagement=52,
    parts=(
        ScorePart("demo request", 30, "engagement"),
        ScorePart("Senior title", 20, "fit"),
        ScorePart("4 email clicks", 15, "engagement"),
        ScorePart("industry in Healthcare, Software", 15, "fit"),
        ScorePart("webinar", 7, "engagement"),
    ),
)
HEAD = "MQL since 2026-11-02 · score 87 (fit 35, engagement 52)"
FULL = (
    f"{HEAD}: demo request +30, Senior title +20, 4 email clicks +15, "
    "industry in Healthcare, Software +15, webinar +7"
)


def test_the_explanation_reads_stage_date_score_and_parts() -> None:
    assert explain("MQL", SINCE, SCORE) == FULL


def test_without_a_date_the_stage_stands_alone() -> None:
    assert explain("Subscriber", None, Score(0, 0, ())) == (
        "Subscriber · score 0 (fit 0, engagement 0)"
    )


def test_negative_parts_show_their_sign() -> None:
    score = Score(
        fit=-10,
        engagement=5,
        parts=(ScorePart("webinar", 5, "engagement"), ScorePart("Student", -15, "fit")),
    )
    assert explain("Lead", None, score) == (
        "Lead · score -5 (fit -10, engagement 5): webinar +5, Student -15"
    )


def test_the_biggest_parts_come_first_whatever_order_they_were_given_in() -> None:
    shuffled = Score(SCORE.fit, SCORE.engagement, tuple(reversed(SCORE.parts)))
    text = explain("MQL", SINCE, shuffled)
    assert text.index("demo request +30") < text.index("Senior title +20")
    assert text.index("Senior title +20") < text.index("webinar +7")


def test_a_long_breakdown_is_cut_at_a_whole_part_with_an_ellipsis() -> None:
    limit = len(f"{HEAD}: demo request +30, Senior title +20") + 3
    text = explain("MQL", SINCE, SCORE, max_length=limit)
    assert text == f"{HEAD}: demo request +30, Senior title +20, …"
    assert len(text) == limit


def test_the_last_part_needs_no_room_for_an_ellipsis() -> None:
    assert explain("MQL", SINCE, SCORE, max_length=len(FULL)) == FULL
    cut = explain("MQL", SINCE, SCORE, max_length=len(FULL) - 1)
    assert cut.endswith(", …")
    assert len(cut) <= len(FULL) - 1


def test_when_no_part_fits_the_head_ends_with_an_ellipsis() -> None:
    assert explain("MQL", SINCE, SCORE, max_length=len(HEAD) + 3) == f"{HEAD}: …"


def test_a_head_with_no_room_for_parts_is_still_marked_as_cut() -> None:
    for limit in (len(HEAD), len(HEAD) + 1, len(HEAD) + 2):
        text = explain("MQL", SINCE, SCORE, max_length=limit)
        assert len(text) <= limit
        assert text.endswith("…")


def test_a_head_longer_than_the_limit_is_cut() -> None:
    text = explain("Marketing Qualified Lead", SINCE, SCORE, max_length=30)
    assert text == "Marketing Qualified Lead sinc…"


def test_the_default_limit_fits_a_crm_text_field() -> None:
    many = Score(
        fit=100,
        engagement=100,
        parts=tuple(ScorePart(f"rule number {n}", 10, "fit") for n in range(50)),
    )
    text = explain("MQL", SINCE, many)
    assert len(text) <= DEFAULT_MAX_LENGTH == 255
    assert text.endswith(", …")


_parts = st.lists(
    st.builds(
        ScorePart,
        label=st.text(max_size=60),
        points=st.integers(min_value=-1000, max_value=1000),
        kind=st.sampled_from(["fit", "engagement"]),
    ),
    max_size=30,
)


@given(
    stage=st.text(min_size=1, max_size=40),
    since=st.none() | st.datetimes(timezones=st.just(UTC)),
    fit=st.integers(min_value=-1000, max_value=1000),
    engagement=st.integers(min_value=-1000, max_value=1000),
    parts=_parts,
    max_length=st.integers(min_value=20, max_value=300),
)
def test_never_longer_than_max_length_and_marked_when_cut(
    stage: str,
    since: datetime | None,
    fit: int,
    engagement: int,
    parts: list[ScorePart],
    max_length: int,
) -> None:
    score = Score(fit, engagement, tuple(parts))
    full = explain(stage, since, score, max_length=1_000_000)
    text = explain(stage, since, score, max_length=max_length)
    assert len(text) <= max_length
    if len(full) <= max_length:
        assert text == full
    else:
        assert text.endswith("…")
