"""`funnelsync stalled`: the leads the last sync flagged as stalled, per owner.

Register it on the main group with ``main.add_command(stalled_command)``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from funnelsync.stalling import stall_rules
from funnelsync.sync.cli.common import config_option, json_option, open_store, out
from funnelsync.sync.report.stalled import count_by, stalled_leads

MOMENT_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@click.command(name="stalled")
@config_option
@json_option
@click.option(
    "--at",
    "at",
    type=click.DateTime(MOMENT_FORMATS),
    help="Count days in stage to this UTC time instead of now.",
)
def stalled_command(config_path: Path | None, as_json: bool, at: datetime | None) -> None:
    """Leads stalled in a stage with `stalled_after_days`: no move and no activity for that long.

    Lists what the last sync flagged (the `stalled` field every system holds): lead,
    stage, days in stage, last engagement and owner. See docs/report.md.
    """
    workspace, store = open_store(config_path)
    try:
        leads = stalled_leads(store)
    finally:
        store.close()
    as_of = at.replace(tzinfo=UTC) if at else datetime.now(UTC).replace(microsecond=0)
    rules = stall_rules(workspace.contract)
    if as_json:
        document = {
            "as_of": as_of.isoformat(),
            "rules": rules,
            "stalled": len(leads),
            "stages": dict(count_by(leads, "stage")),
            "owners": dict(count_by(leads, "owner")),
            "leads": [lead.document(as_of) for lead in leads],
        }
        click.echo(json.dumps(document, indent=2))
        return
    console = out()
    if not rules:
        console.print("The contract declares no stalled_after_days on any stage.")
        return
    console.print(
        f"{len(leads)} stalled lead(s) as of the last sync; days counted to "
        f"{as_of:%Y-%m-%d %H:%M} UTC."
    )
    for owner, count in count_by(leads, "owner"):
        table = Table("lead", "company", "stage", "days in stage", "last engagement", box=None)
        for lead in (lead for lead in leads if lead.owner == owner):
            engaged = lead.last_engagement
            table.add_row(
                lead.email,
                lead.company or "",
                lead.stage,
                str(lead.days_in_stage(as_of)),
                f"{engaged:%Y-%m-%d}" if engaged else "never",
            )
        console.print(f"\n{owner} — {count} stalled", style="bold", markup=False)
        console.print(table)
