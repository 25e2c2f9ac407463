"""The `report` and `sla` commands: the shared funnel report and the follow-up SLA list.

Register them on the main group with ``main.add_command(report_command)`` and
``main.add_command(sla_command)``.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from funnelsync.sync.cli.common import config_option, fail, json_option, load, out
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.collection import no_collections
from funnelsync.sync.report.build import DEFAULT_SEGMENTS, FunnelReport, build_report
from funnelsync.sync.report.data import load_funnel_data
from funnelsync.sync.report.period import PeriodError, resolve_period
from funnelsync.sync.report.segments import CAMPAIGN, SEGMENT_FIELDS
from funnelsync.sync.report.sla import (
    SALES_TOUCH_TYPES,
    Urgency,
    Waiting,
    sla_clocks,
    waiting_leads,
)
from funnelsync.sync.report.sla_notify import announce_new_breaches
from funnelsync.sync.report.stalled import stalled_leads
from funnelsync.sync.state.store import StateStore

FORMATS = ("csv", "html", "json")
DAY_FORMATS = ["%Y-%m-%d"]
MOMENT_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@click.command(name="report")
@config_option
@click.option(
    "--since",
    type=click.DateTime(DAY_FORMATS),
    help="First day (UTC) [default: 30 days ending --until].",
)
@click.option(
    "--until", type=click.DateTime(DAY_FORMATS), help="Last day (UTC), included [default: today]."
)
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="FIELD",
    help="Break figures down by a lead field or `campaign` (repeatable) [default: source, owner].",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html: one self-contained page; json: every figure; csv: one row per figure.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here [default: JSON and CSV to standard output, HTML to STATE_DIR/reports/].",
)
def report_command(
    config_path: Path | None,
    since: datetime | None,
    until: datetime | None,
    by: tuple[str, ...],
    output_format: str,
    out_path: Path | None,
) -> None:
    """The shared funnel report: volume, conversion, velocity, SLA and campaigns.

    Every figure is computed once, from the canonical funnel in the state database, for
    the period and for the previous period of equal length; the report states its
    definitions. See docs/report.md.
    """
    now = datetime.now(UTC)
    try:
        period = resolve_period(
            since.date() if since else None, until.date() if until else None, now.date()
        )
    except PeriodError as exc:
        fail(str(exc), ExitCode.config_error)
    _, workspace = load(config_path)
    choices = (*SEGMENT_FIELDS, *workspace.contract.attributes)
    unknown = [field for field in by if field not in choices]
    if unknown:
        fail(
            f"--by {unknown[0]!r} is not a lead field; choose from: {', '.join(choices)}",
            ExitCode.config_error,
        )
    segments = tuple(dict.fromkeys(by or DEFAULT_SEGMENTS))
    store = StateStore.open(workspace.state_dir, workspace.state_url)
    fields = [field for field in segments if field != CAMPAIGN]
    try:
        with no_collections():
            data = load_funnel_data(store, workspace.contract, fields, SALES_TOUCH_TYPES)
            built = build_report(
                workspace.contract, data, period, segments, now, stalled_leads(store)
            )
            text = _render(output_format, built)
            # Freed while the collector is off: turned back on, it has little left to walk.
            del data, built
    finally:
        store.close()
    if out_path is None and output_format != "html":
        click.echo(text, nl=False)
        return
    target = out_path or (
        workspace.state_dir
        / "reports"
        / f"funnel-{period.first_day.isoformat()}-to-{period.last_day.isoformat()}.html"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"Report written to {target.resolve()}")


def _render(output_format: str, report: FunnelReport) -> str:
    """``report`` in one of :data:`FORMATS`; only that format's module is imported (the
    HTML page's is the largest)."""
    if output_format == "html":
        from funnelsync.sync.report.html_page import render_html

        return render_html(report)
    if output_format == "csv":
        from funnelsync.sync.report.csv_table import render_csv

        return render_csv(report)
    from funnelsync.sync.report.json_document import render_json

    return render_json(report)


def _lead_document(item: Waiting) -> dict[str, Any]:
    clock = item.clock
    fields = clock.journey.fields
    return {
        "email": clock.journey.email,
        "first_name": fields.get("first_name"),
        "last_name": fields.get("last_name"),
        "company": fields.get("company"),
        "owner": clock.owner,
        "stage": clock.rule.stage,
        "rule": clock.rule.description,
        "within_hours": clock.rule.within_hours,
        "entered_at": clock.entered.isoformat(),
        "due_at": clock.due.isoformat(),
        "waited_hours": item.waited_hours,
        "hours_past_due": item.hours_past_due,
        "urgency": item.urgency.value,
    }


def _print_waiting(listed: list[Waiting], counts: Counter[str], as_of: datetime) -> None:
    from rich.table import Table  # only the text list needs these

    from funnelsync.sync.report.number_format import hours

    console = out()
    console.print(
        f"SLA as of {as_of:%Y-%m-%d %H:%M} UTC: {counts[Urgency.past_due]} past due, "
        f"{counts[Urgency.due_soon]} due soon, {counts[Urgency.on_track]} on track."
    )
    owners = sorted({item.clock.owner for item in listed})
    for owner in owners:
        mine = [item for item in listed if item.clock.owner == owner]
        late = sum(1 for item in mine if item.urgency is Urgency.past_due)
        table = Table("lead", "company", "stage", "waited", "due", title=None, box=None)
        for item in mine:
            due = (
                f"[red]{hours(item.hours_past_due)} ago[/red]"
                if item.urgency is Urgency.past_due
                else f"in {hours(-item.hours_past_due)}"
            )
            table.add_row(
                item.clock.journey.email,
                item.clock.journey.fields.get("company", ""),
                item.clock.rule.stage,
                hours(item.waited_hours),
                due,
            )
        console.print(f"\n[bold]{owner}[/bold] — {late} past due, {len(mine) - late} due soon")
        console.print(table)


@click.command(name="sla")
@config_option
@json_option
@click.option(
    "--at",
    "at",
    type=click.DateTime(MOMENT_FORMATS),
    help="Judge the SLA clocks at this UTC time instead of now (implies --no-notify).",
)
@click.option(
    "--soon",
    type=click.FloatRange(min=0),
    default=None,
    help="Hours left that count as due soon [default: a quarter of the rule's time].",
)
@click.option(
    "--notify/--no-notify",
    default=True,
    show_default=True,
    help="Tell plugins about each new breach (funnelsync_sla_breached), once per breach.",
)
def sla_command(
    config_path: Path | None,
    as_json: bool,
    at: datetime | None,
    soon: float | None,
    notify: bool,
) -> None:
    """Leads waiting on a follow-up SLA: past due and due soon, per owner, with their wait.

    The contract's `sla` rules start a clock when a lead enters the stage; see
    docs/report.md for when a clock stops. New breaches are announced to plugins once.
    """
    plugins, workspace = load(config_path)
    as_of = at.replace(tzinfo=UTC) if at else datetime.now(UTC)
    store = StateStore.open(workspace.state_dir, workspace.state_url)
    try:
        with no_collections():
            data = load_funnel_data(
                store, workspace.contract, (), SALES_TOUCH_TYPES, campaigns=False
            )
            clocks = sla_clocks(workspace.contract, data.journeys, data.sales_touches)
        announced = (
            announce_new_breaches(store, plugins, clocks, as_of, workspace.config)
            if notify and at is None
            else []
        )
    finally:
        store.close()
    waiting = waiting_leads(clocks, as_of, soon)
    counts = Counter(item.urgency.value for item in waiting)
    listed = [item for item in waiting if item.urgency is not Urgency.on_track]
    if as_json:
        owners = sorted({item.clock.owner for item in waiting})
        document = {
            "as_of": as_of.isoformat(),
            "rules": [rule.model_dump(mode="json") for rule in workspace.contract.sla],
            "past_due": counts[Urgency.past_due],
            "due_soon": counts[Urgency.due_soon],
            "on_track": counts[Urgency.on_track],
            "new_breaches_notified": len(announced),
            "owners": [
                {
                    "owner": owner,
                    **{
                        urgency.value: sum(
                            1
                            for item in waiting
                            if item.clock.owner == owner and item.urgency is urgency
                        )
                        for urgency in Urgency
                    },
                }
                for owner in owners
            ],
            "leads": [_lead_document(item) for item in listed],
        }
        click.echo(json.dumps(document, indent=2))
        return
    if not workspace.contract.sla:
        out().print("The contract has no SLA rules.")
        return
    _print_waiting(listed, counts, as_of)
    if announced:
        out().print(f"\nTold plugins about {len(announced)} new breach(es).")
