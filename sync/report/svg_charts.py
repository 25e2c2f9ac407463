"""Inline SVG charts for the HTML report, drawn in Python: no script, no network.

Three shapes cover the report: a funnel (one bar per stage, narrowing, with the
conversion between steps), horizontal bars (velocity, SLA per owner) and columns over time
(trends, SLA per week). Each returns one ``<svg>`` element sized by its ``viewBox`` so it
scales with the page. Text is escaped; numbers arrive already formatted.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

INK = "#0f172a"
MUTED = "#64748b"
TRACK = "#eef2f7"
GRID = "#e2e8f0"
PREVIOUS = "#cbd5e1"
FUNNEL_FROM = (30, 58, 138)
FUNNEL_TO = (96, 165, 250)


def esc(text: object) -> str:
    """``text`` escaped for HTML/SVG content and attribute values."""
    return html.escape(str(text), quote=True)


def _mix(start: tuple[int, int, int], end: tuple[int, int, int], share: float) -> str:
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(start, end, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width:g} {height:g}" role="img" '
        f'aria-label="{esc(label)}" xmlns="http://www.w3.org/2000/svg">' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, content: str, **attributes: str | float) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{esc(content)}</text>'


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One stage of the funnel chart; ``conversion`` is to the next step, already formatted."""

    label: str
    value: int
    conversion: str | None
    next_label: str | None


def funnel_chart(steps: Sequence[FunnelStep], label: str, width: float = 640) -> str:
    """Bars centred on one axis, narrowing stage by stage, joined by translucent bands."""
    label_width, side_width, bar_height, gap = 118.0, 150.0, 48.0, 28.0
    area = width - label_width - side_width
    centre = label_width + area / 2
    largest = max((step.value for step in steps), default=0) or 1
    height = len(steps) * bar_height + (len(steps) - 1) * gap + 4
    body: list[str] = []
    widths = [max(area * step.value / largest, 8.0) for step in steps]
    for index, step in enumerate(steps):
        top = 2 + index * (bar_height + gap)
        colour = _mix(FUNNEL_FROM, FUNNEL_TO, index / max(len(steps) - 1, 1))
        bar = widths[index]
        if index + 1 < len(steps):
            below, bottom = widths[index + 1], top + bar_height
            body.append(
                f'<polygon points="{centre - bar / 2:.1f},{bottom:.1f} '
                f"{centre + bar / 2:.1f},{bottom:.1f} {centre + below / 2:.1f},{bottom + gap:.1f} "
                f'{centre - below / 2:.1f},{bottom + gap:.1f}" fill="{colour}" opacity="0.16"/>'
            )
            if step.conversion is not None:
                body.append(
                    f'<text x="{label_width + area + 14:.1f}" y="{bottom + gap / 2 + 4:.1f}" '
                    f'fill="{MUTED}" font-size="12"><tspan fill="{INK}" font-size="13" '
                    f'font-weight="700">{esc(step.conversion)}</tspan> to '
                    f"{esc(step.next_label)}</text>"
                )
        body.append(
            f'<rect x="{centre - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
            f'height="{bar_height:g}" rx="6" fill="{colour}"/>'
        )
        middle = top + bar_height / 2 + 5
        body.append(
            _text(
                label_width - 14,
                middle,
                step.label,
                fill=INK,
                font_size=14,
                font_weight=600,
                text_anchor="end",
            )
        )
        count = f"{step.value:,}"
        if bar > 64:
            body.append(
                _text(
                    centre,
                    middle,
                    count,
                    fill="#ffffff",
                    font_size=15,
                    font_weight=700,
                    text_anchor="middle",
                )
            )
        else:
            body.append(
                _text(centre + bar / 2 + 8, middle, count, fill=INK, font_size=14, font_weight=700)
            )
    return _svg(width, height, body, label)


@dataclass(frozen=True, slots=True)
class HBar:
    """One row of a horizontal bar chart: ``share`` in 0..1 of the track, ``None`` for none."""

    label: str
    share: float | None
    text: str
    colour: str
    note: str = ""


def hbar_chart(rows: Sequence[HBar], label: str, width: float = 560) -> str:
    """Labelled bars on grey tracks, the value (and a muted note) to the right."""
    label_width, value_width, row_height, bar_height = 118.0, 200.0, 32.0, 14.0
    track = width - label_width - value_width
    height = max(len(rows), 1) * row_height + 4
    body: list[str] = []
    if not rows:
        body.append(
            _text(
                width / 2,
                20,
                "No data in this period",
                fill=MUTED,
                font_size=13,
                text_anchor="middle",
            )
        )
    for index, row in enumerate(rows):
        top = 2 + index * row_height
        middle = top + row_height / 2
        shown = row.label if len(row.label) <= 18 else row.label[:17] + "…"
        body.append(
            _text(label_width - 12, middle + 4, shown, fill=INK, font_size=13, text_anchor="end")
        )
        body.append(
            f'<rect x="{label_width:g}" y="{middle - bar_height / 2:.1f}" width="{track:.1f}" '
            f'height="{bar_height:g}" rx="7" fill="{TRACK}"/>'
        )
        if row.share is not None and row.share > 0:
            length = max(track * min(row.share, 1.0), bar_height)
            body.append(
                f'<rect x="{label_width:g}" y="{middle - bar_height / 2:.1f}" '
                f'width="{length:.1f}" height="{bar_height:g}" rx="7" fill="{row.colour}"/>'
            )
        body.append(
            _text(
                label_width + track + 12,
                middle + 4,
                row.text,
                fill=INK,
                font_size=13,
                font_weight=700,
            )
        )
        if row.note:
            body.append(
                _text(label_width + track + 70, middle + 4, row.note, fill=MUTED, font_size=11.5)
            )
    return _svg(width, height, body, label)


@dataclass(frozen=True, slots=True)
class Column:
    """One column over time: ``current`` ones are coloured, the previous period's grey."""

    label: str
    value: float | None
    current: bool
    text: str


def _ceiling(value: float) -> float:
    """A round number at or above ``value`` for the top of an axis."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def column_chart(
    columns: Sequence[Column],
    label: str,
    colour: str,
    width: float = 300,
    height: float = 150,
    top_value: float | None = None,
    axis_text: str | None = None,
) -> str:
    """Columns on a light grid with the axis top labelled; values above the bars if room."""
    left, right, top, bottom = 4.0, 4.0, 16.0, 20.0
    plot_width, plot_height = width - left - right, height - top - bottom
    values = [column.value for column in columns if column.value is not None]
    ceiling = top_value if top_value is not None else _ceiling(max(values, default=0))
    body = [
        f'<line x1="{left:g}" x2="{width - right:g}" y1="{top + plot_height * share:.1f}" '
        f'y2="{top + plot_height * share:.1f}" stroke="{GRID}" stroke-width="1"/>'
        for share in (0.0, 0.5, 1.0)
    ]
    body.append(_text(left, top - 5, axis_text or f"{ceiling:,g}", fill=MUTED, font_size=10))
    if not values:
        body.append(
            _text(
                width / 2,
                top + plot_height / 2,
                "No data",
                fill=MUTED,
                font_size=12,
                text_anchor="middle",
            )
        )
        return _svg(width, height, body, label)
    slot = plot_width / max(len(columns), 1)
    bar = max(min(slot * 0.68, 34.0), 2.0)
    every = max(1, -(-len(columns) * 52 // int(plot_width)))
    for index, column in enumerate(columns):
        x = left + slot * index + (slot - bar) / 2
        if column.value is not None:
            size = plot_height * min(column.value / ceiling, 1.0)
            fill = colour if column.current else PREVIOUS
            body.append(
                f'<rect x="{x:.1f}" y="{top + plot_height - size:.1f}" width="{bar:.1f}" '
                f'height="{max(size, 0.0):.1f}" rx="2" fill="{fill}"><title>'
                f"{esc(column.label)}: {esc(column.text)}</title></rect>"
            )
            if bar >= 18:
                body.append(
                    _text(
                        x + bar / 2,
                        top + plot_height - size - 4,
                        column.text,
                        fill=INK,
                        font_size=9,
                        text_anchor="middle",
                    )
                )
        if index % every == 0:
            body.append(
                _text(
                    x + bar / 2,
                    height - 5,
                    column.label,
                    fill=MUTED,
                    font_size=9,
                    text_anchor="middle",
                )
            )
    return _svg(width, height, body, label)
