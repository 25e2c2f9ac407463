"""Commands about the funnel itself: explain a lead, simulate a contract change."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from funnelsync.sync.cli.common import config_option, fail, json_option, load, out
from funnelsync.sync.cli.exit_codes import ExitCode
from funnelsync.sync.explaining import explain_lead, person_token
from funnelsync.sync.simulation import (
    Outcomes,
    SimulationError,
    apply_settings,
    simulate,
    sweep,
)
from funnelsync.sync.state.store import StateStore


@click.command()
@config_option
@json_option
@click.argument("email")
def explain(config_path: Path | None, as_json: bool, email: str) -> None:
    """Why EMAIL has its score and stage: the breakdown, the stage history, the rule.

    A person without an email is named by an identity key, e.g. ``prospect_id:7``."""
    plugins, workspace = load(config_path)
    try:
        wanted = person_token(email)
    except ValueError as exc:
        fail(str(exc), ExitCode.config_error)
    store = StateStore.open(workspace.state_dir, workspace.state_url)
    found = explain_lead(store, workspace.contract, wanted, datetime.now(UTC), plugins.rule_kinds())
    store.close()
    if found is None:
        fail(f"no lead with the {_named(wanted)}", ExitCode.failed)
    contract = workspace.contract
    lead, score = found.lead, found.score
    if as_json:
        document = {
            "email": lead.email,
            "stage": found.stage,
            "team": contract.stage(found.stage).team.value,
            "reason": found.reason,
            "score": score.total,
            "fit": score.fit,
            "engagement": score.engagement,
            "breakdown": [asdict(part) for part in score.parts],
            "stage_dates": {k: v.isoformat() for k, v in lead.stage_dates.items()},
            "history": [asdict(entry) for entry in found.history],
            "explanation": lead.explanation,
            "talking_points": found.talking_points,
            "campaigns": found.campaigns,
            "attributes": lead.attributes,
        }
        click.echo(json.dumps(document, indent=2))
        return
    console = out()
    stage = contract.stage(found.stage)
    console.print(
        f"[bold]{lead.email or email}[/bold] — {stage.display_name} (owned by {stage.team.value})"
    )
    console.print(f"Why {stage.display_name}: {found.reason}", markup=False)
    console.print(
        f"Score {score.total} = fit {score.fit} + engagement {score.engagement} "
        f"({found.activities} activities):"
    )
    for part in score.parts:
        console.print(f"  {part.points:+4d}  {part.label} ({part.kind})", markup=False)
    console.print("Stage history:")
    for entry in found.history:
        console.print(
            f"  {entry.at[:10]}  {entry.from_stage or '—'} → {entry.to_stage}: {entry.reason}",
            markup=False,
        )
    for name, when in sorted(lead.stage_dates.items(), key=lambda item: item[1]):
        console.print(f"  entered {name} on {when.date().isoformat()}")
    if lead.explanation:
        console.print(f"Written to the systems: {lead.explanation}", markup=False)
    if found.talking_points:
        recent = f" (recent campaigns: {', '.join(found.campaigns)})" if found.campaigns else ""
        console.print(f"Talking points{recent}:", markup=False)
        for point in found.talking_points:
            console.print(f"  - {point}", markup=False)
    if lead.attributes:
        console.print("Attributes:")
        for name, value in sorted(lead.attributes.items()):
            console.print(f"  {name}: {_shown_value(value)}", markup=False)


def _named(token: str) -> str:
    return f"email {token}" if ":" not in token else token.replace(":", " ", 1)


def _shown_value(value: object) -> str:
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


@click.command(name="simulate")
@config_option
@json_option
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A contract change, e.g. stages.mql.entry.engagement_min=60 (repeatable).",
)
@click.option(
    "--sweep",
    "sweep_spec",
    metavar="KEY=A:B:STEP",
    help="Print MQLs, precision and recall for KEY set to each value from A to B by STEP, "
    "e.g. stages.mql.entry.engagement_min=20:60:10.",
)
def simulate_command(
    config_path: Path | None, as_json: bool, settings: tuple[str, ...], sweep_spec: str | None
) -> None:
    """Replay the stored leads and activities under a changed contract; writes nothing.

    KEY is a dotted path into the contract; list items are picked by index or by stage
    name. Both the current and the changed contract are replayed from scratch, as if
    each had always applied, so the difference is the change's alone. A lead counts as
    an MQL when its score would cross the MQL entry rule, whatever stage sales later put
    it in; precision is the share of those MQLs that later reached sql_stage and the won
    stage (the last stage of the path), recall the share of won leads made MQLs.
    """
    if not settings and sweep_spec is None:
        fail("give --set KEY=VALUE (repeatable) or --sweep KEY=A:B:STEP", ExitCode.config_error)
    plugins, workspace = load(config_path)
    store = StateStore.open(workspace.state_dir, workspace.state_url)
    try:
        if sweep_spec is not None:
            rows = sweep(
                store, workspace.contract, sweep_spec, datetime.now(UTC), plugins.rule_kinds()
            )
            _print_sweep(rows, as_json)
            return
        changed = apply_settings(workspace.contract, settings)
        result = simulate(
            store, workspace.contract, changed, datetime.now(UTC), plugins.rule_kinds()
        )
    except SimulationError as exc:
        fail(str(exc), ExitCode.config_error)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"settings": list(settings), **asdict(result)}, indent=2))
        return
    console = out()
    console.print(f"Simulated: {', '.join(settings)} (nothing written)")
    console.print(f"  MQLs now: {result.current_mqls} → simulated: {result.simulated_mqls}")
    console.print(
        f"  would move forward: {result.moved_forward}, back: {result.moved_back}, "
        f"into a detour: {result.into_detour}, out of one: {result.out_of_detour}"
    )
    for label, count, rate in (
        ("new MQLs", result.added_mqls, result.added_sql_rate),
        ("MQLs dropped", result.dropped_mqls, result.dropped_sql_rate),
    ):
        if not count:
            console.print(f"  {label}: none")
            continue
        shown = "unknown (the contract names no sql_stage)" if rate is None else f"{rate:.0%}"
        console.print(f"  {label}: {count}; of them reached SQL so far: {shown}")
    console.print(_outcome_table([("current", result.current), ("simulated", result.simulated)]))


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _outcome_table(rows: list[tuple[str, Outcomes]]) -> Table:
    table = Table(title="MQLs against what sales made of them", title_justify="left")
    for column in ("contract", "MQLs", "reached SQL", "won", "converters missed", "recall"):
        table.add_column(column, justify="left" if column == "contract" else "right")
    table.add_column("MQLs per month")
    for label, row in rows:
        table.add_row(
            label,
            str(row.mqls),
            f"{row.mqls_reached_sql} ({_share(row.sql_precision)})",
            f"{row.mqls_won} ({_share(row.won_precision)})",
            f"{row.converters_missed} of {row.converters}",
            _share(row.recall),
            " ".join(f"{month}:{count}" for month, count in row.mqls_per_month.items()),
        )
    return table


def _print_sweep(rows: list[tuple[str, Outcomes]], as_json: bool) -> None:
    if as_json:
        document = {"rows": [{"contract": label, **asdict(row)} for label, row in rows]}
        click.echo(json.dumps(document, indent=2))
        return
    out().print(_outcome_table(rows))
