"""What each figure of the funnel report means, shown in the report itself and in docs.

One source for every format (HTML, JSON, CSV) and for ``docs/report.md``, so nobody
argues about what a number means. A test checks the docs page quotes each text.
"""

from __future__ import annotations

DEFINITIONS: dict[str, tuple[str, str]] = {
    "period": (
        "Period and basis",
        "The period runs from the first day 00:00 UTC to the end of the last day. Every "
        "figure is computed as of the period's end: later events are ignored, so the "
        "previous period (the same number of days just before) is shown as it stood when "
        "it ended. Volumes (inflow, outflow, reached, won) count events in the period; "
        "conversions follow the cohort that reached a stage in the period.",
    ),
    "journey": (
        "Stage entries",
        "A lead's stage entries come from its stage dates (first entry into each stage, "
        "including dates imported from the systems) and funnelsync's stage history (every "
        "move a sync made). A stay in a stage lasts from entering it to the next entry into "
        "another stage.",
    ),
    "reached": (
        "Reached, and skipped stages",
        "A lead reached a success-path stage on the first day it entered that stage or any "
        "later one. A lead that jumps from MQL to SQL therefore counts as having reached "
        "SAL on that day: conversions never exceed 100% and the funnel always narrows. "
        "Skipped counts those leads: they reached the stage without entering it, and add no "
        "inflow and no time in stage.",
    ),
    "balance": (
        "Balance, inflow, outflow",
        "Balance: leads in the stage at the period's end (opening: at its start). Inflow: "
        "entries into the stage during the period; outflow: exits from it (forward, into a "
        "detour, or back from a detour). A lead that enters a stage twice counts twice. "
        "Opening + inflow - outflow = balance.",
    ),
    "conversion": (
        "Conversion to the next stage",
        "Of the leads that reached a stage during the period, the share that reached the "
        "next success-path stage by the period's end (cohort basis). Recycled and "
        "disqualified leads stay in the cohort and count as not converted.",
    ),
    "time_in_stage": (
        "Time in stage",
        "For each stay in the stage that ended during the period (the lead moved on, into a "
        "detour or back), the days from entering to leaving: median and average. Leads "
        "still in the stage are not counted; skipped stages add nothing.",
    ),
    "headline": (
        "New leads, MQLs, SQLs, won",
        "New leads: leads whose first stage entry falls in the period. MQLs, SQLs, won: "
        "leads that reached the contract's MQL stage, SQL stage and final success-path "
        "stage during the period.",
    ),
    "mql_conversions": (
        "MQL → SQL and MQL → customer",
        "Of the leads that reached MQL during the period, the share that reached SQL (or "
        "the final success-path stage) by the period's end. Median days MQL → SQL: for the "
        "period's SQLs that entered MQL, the days from entering MQL to reaching SQL.",
    ),
    "win_rate": (
        "Win rate",
        "Won ÷ (won + lost) for outcomes decided during the period. Won: reached the final "
        "success-path stage. Lost: in a detour at the period's end, entered during the "
        "period after reaching SQL, and never won. Open opportunities are left out; "
        "unknown when no outcome was decided or the contract names no SQL stage.",
    ),
    "segments": (
        "Segments",
        "Segments use each lead's current field value; a blank value is '(none)'. By "
        "campaign, a lead falls in every campaign it engaged with before the period's end.",
    ),
    "campaigns": (
        "Campaign influence",
        "Touched: leads with an activity of the campaign during the period. MQLs, SQLs, won "
        "influenced: leads that reached that stage during the period and had engaged with "
        "the campaign at or before reaching it. A lead counts for every campaign it engaged "
        "with, so the rows do not add up to the totals.",
    ),
    "sla": (
        "SLA attainment",
        "Each entry into a stage with an SLA rule starts a clock, due the rule's hours "
        "later. It stops when the lead leaves the stage or, for a marketing-owned stage "
        "such as MQL, at the first sales touch (a call, meeting or sales email). Met: "
        "stopped by the due time; breached: stopped later or still waiting past it; open: "
        "still waiting, not yet due. Attainment = met ÷ (met + breached) of the clocks "
        "started in the period, by owner (current owner) and by week started (Monday).",
    ),
}
"""Key → (title, text)."""
