"""The report's middle-of-the-funnel section: the leads that went quiet (stalled)."""

from __future__ import annotations

from funnelsync.stalling import stall_rules
from funnelsync.sync.report.build import FunnelReport
from funnelsync.sync.report.stalled import StalledLead, count_by
from funnelsync.sync.report.svg_charts import esc

TOP_STALLED = 25
"""Stalled leads listed by name; the counts cover all of them."""


def _lead_row(lead: StalledLead, names: dict[str, str], report: FunnelReport) -> str:
    engaged = f"{lead.last_engagement:%Y-%m-%d}" if lead.last_engagement else "never"
    return (
        f"<tr><td>{esc(lead.name or lead.email)}<br><span class='muted'>{esc(lead.email)}"
        f"</span></td><td>{esc(names.get(lead.stage, lead.stage))}</td>"
        f"<td class='num'>{lead.days_in_stage(report.current.as_of)}</td>"
        f"<td>{engaged}</td><td>{esc(lead.owner)}</td></tr>"
    )


def stalled_section(report: FunnelReport) -> str:
    """Stalled leads per stage and per owner, and the longest-stalled leads by name."""
    rules = stall_rules(report.contract)
    if not rules:
        return ""
    leads = report.stalled
    names = {stage.name: stage.display_name for stage in report.contract.all_stages}
    per_stage = "".join(
        f"<tr><td>{esc(names.get(stage, stage))}</td><td class='num'>{days}</td>"
        f"<td class='num' data-metric='stalled.{esc(stage)}' data-value='{count}'>{count}</td>"
        "</tr>"
        for stage, days in rules.items()
        for count in [sum(1 for lead in leads if lead.stage == stage)]
    )
    per_owner = "".join(
        f"<tr><td class='name'>{esc(owner)}</td><td class='num'>{count}</td></tr>"
        for owner, count in count_by(leads, "owner")
    )
    longest = sorted(leads, key=lambda lead: (lead.entered, lead.email))[:TOP_STALLED]
    rows = "".join(_lead_row(lead, names, report) for lead in longest)
    return (
        '<section class="card" id="stalled"><h2>Middle of the funnel: stalled leads</h2>'
        '<p class="sub">Leads the last sync found in a stage with a stall rule, without a '
        "stage move or any activity for at least the rule's days. Their <code>stalled</code> "
        "field is set in every mapped system (e.g. to start a nurture) and cleared when they "
        f"move or engage again. <span data-metric='stalled.count' data-value='{len(leads)}'>"
        f"{len(leads)}</span> stalled now.</p>"
        '<div class="grid2"><table><thead><tr><th>Stage</th><th>Stalled after days</th>'
        f"<th>Stalled</th></tr></thead><tbody>{per_stage}</tbody></table>"
        "<table><thead><tr><th>Owner</th><th>Stalled</th></tr></thead>"
        f"<tbody>{per_owner or '<tr><td colspan=2 class=muted>None.</td></tr>'}</tbody></table>"
        "</div><h3 style='margin:18px 0 6px;font-size:13px'>Longest in their stage</h3>"
        "<table><thead><tr><th>Lead</th><th>Stage</th><th>Days in stage</th>"
        f"<th>Last engagement</th><th>Owner</th></tr></thead><tbody>{rows}</tbody></table>"
        "</section>"
    )
