"""The report's "Campaigns communicated" section (HTML)."""

from __future__ import annotations

from collections.abc import Sequence

from funnelsync.sync.report.communicated import CommunicatedCampaign
from funnelsync.sync.report.number_format import Kind, number
from funnelsync.sync.report.svg_charts import esc


def _dates(row: CommunicatedCampaign) -> str:
    start = row.start.isoformat() if row.start else "…"
    end = row.end.isoformat() if row.end else "ongoing"
    return f"{start} – {end}"


def _cell(metric: str, value: int | None) -> str:
    raw = "" if value is None else str(value)
    shown = esc(number(value, Kind.volume))
    return f'<td data-metric="{esc(metric)}" data-value="{raw}">{shown}</td>'


def communicated_section(rows: Sequence[CommunicatedCampaign]) -> str:
    """The contract's campaigns active in the period: what they said and their influence."""
    body = []
    for row in rows:
        points = "".join(f"<li>{esc(point)}</li>" for point in row.talking_points)
        key = f"communicated.{row.id}"
        body.append(
            f'<tr><td class="name">{esc(row.name)}<br><span class="muted">{esc(_dates(row))}'
            f"</span></td><td>{esc(row.description or '')}"
            + (f'<ul class="points">{points}</ul>' if points else "")
            + "</td>"
            + _cell(f"{key}.touched", row.touched)
            + _cell(f"{key}.mqls", row.mqls)
            + _cell(f"{key}.sqls", row.sqls)
            + _cell(f"{key}.won", row.won)
            + "</tr>"
        )
    if not body:
        body.append(
            '<tr><td colspan="6" class="muted">No campaign of the contract ran in this '
            "period.</td></tr>"
        )
    return (
        '<section class="card" id="communicated"><h2>Campaigns communicated</h2>'
        '<p class="sub">The contract\'s campaigns that ran in the period, what each said (its '
        "talking points, sent with hand-offs), and the period's leads it touched and MQLs, "
        "SQLs and wins that engaged with it before reaching the stage.</p><table><thead><tr>"
        "<th>Campaign</th><th>Description and talking points</th><th>Leads touched</th>"
        "<th>MQLs influenced</th><th>SQLs influenced</th><th>Won influenced</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )
