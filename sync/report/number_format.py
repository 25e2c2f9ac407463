"""How the HTML report writes numbers and their change against the previous period."""

from __future__ import annotations

from enum import StrEnum

from funnelsync.sync.report.svg_charts import esc

NOTHING = "—"


class Kind(StrEnum):
    """What a figure measures, which decides how it and its change are written."""

    volume = "volume"
    rate = "rate"
    days = "days"


def number(value: float | None, kind: Kind) -> str:
    """``1,234``, ``36.3%`` or ``4.5 d``; a dash for a figure that does not apply."""
    if value is None:
        return NOTHING
    if kind is Kind.rate:
        return f"{value * 100:.1f}%".replace(".0%", "%")
    if kind is Kind.days:
        return f"{value:.1f} d"
    return f"{round(value):,}"


def hours(value: float) -> str:
    """A wait: ``31 h`` below two days, else ``5.2 d``."""
    return f"{value:.0f} h" if value < 48 else f"{value / 24:.1f} d"


def delta(
    current: float | None, previous: float | None, kind: Kind, lower_is_better: bool = False
) -> str:
    """A coloured ``▲ 12 (+8%)`` / ``▼ 3.2 pts`` span against the previous period."""
    if current is None or previous is None:
        return '<span class="delta flat">no comparison</span>'
    difference = current - previous
    if abs(difference) < 1e-9:
        return '<span class="delta flat">= same</span>'
    arrow = "▲" if difference > 0 else "▼"
    good = (difference > 0) != lower_is_better
    if kind is Kind.rate:
        text = f"{abs(difference) * 100:.1f} pts"
    elif kind is Kind.days:
        text = f"{abs(difference):.1f} d"
    else:
        text = f"{abs(round(difference)):,}"
        if previous:
            text += f" ({difference / previous:+.0%})"
    return f'<span class="delta {"up" if good else "down"}">{arrow} {esc(text)}</span>'


def sla_colour(attainment: float | None) -> str:
    """Green from 90%, amber from 75%, red below; grey when nothing was decided."""
    if attainment is None:
        return "#94a3b8"
    if attainment >= 0.9:
        return "#16a34a"
    return "#f59e0b" if attainment >= 0.75 else "#dc2626"
