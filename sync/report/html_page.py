"""The funnel report as one self-contained HTML page: inline CSS and SVG, no script.

The page reads top to bottom the way the monthly meeting does: headline figures with
their change, the funnel, velocity, the stage table, trends, SLA, segments, campaigns and
the definitions. Figures carry ``data-metric`` attributes (``stage.mql.inflow``…) so
tests, and anyone scraping the page, can read them back exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from funnelsync import __version__
from funnelsync.sync.report.build import FunnelReport, PeriodFigures
from funnelsync.sync.report.campaigns import CampaignFigures
from funnelsync.sync.report.definitions import DEFINITIONS
from funnelsync.sync.report.figures import Headline, StageFigures
from funnelsync.sync.report.html_communicated import communicated_section
from funnelsync.sync.report.html_stalled import stalled_section
from funnelsync.sync.report.html_style import STYLE
from funnelsync.sync.report.number_format import Kind, delta, hours, number, sla_colour
from funnelsync.sync.report.segments import SegmentFigures
from funnelsync.sync.report.sla import Attainment, Urgency
from funnelsync.sync.report.svg_charts import (
    Column,
    FunnelStep,
    HBar,
    column_chart,
    esc,
    funnel_chart,
    hbar_chart,
)
from funnelsync.sync.report.targets import TargetFigures

TOP_SEGMENTS = 12
TOP_CAMPAIGNS = 15
TOP_OWNERS = 12
TEAM_COLOURS = {"marketing": "#0891b2", "sales": "#7c3aed"}
TREND_COLOURS = ("#0ea5e9", "#2563eb", "#7c3aed", "#16a34a")


def _cell(metric: str, value: float | None, kind: Kind, extra: str = "") -> str:
    raw = "" if value is None else f"{value:g}"
    return (
        f'<td data-metric="{esc(metric)}" data-value="{raw}">{esc(number(value, kind))}{extra}</td>'
    )


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _header(report: FunnelReport) -> str:
    current, previous = report.current.period, report.previous.period
    contract = report.contract
    name = contract.name or "Funnel"
    return (
        '<header class="top"><div class="eyebrow">Shared funnel report · marketing &amp; '
        f"sales</div><h1>{esc(name)}</h1>"
        f'<div class="period"><b>{esc(current.label())}</b> · {current.days} days, compared '
        f"with {esc(previous.label())}</div>"
        f'<div class="meta">Contract version {esc(contract.version)} · {report.leads:,} leads '
        f"in the funnel · figures as of {esc(report.current.as_of.strftime('%d %b %Y %H:%M'))} "
        "UTC</div></header>"
    )


def _kpis(report: FunnelReport) -> str:
    now, was = report.current, report.previous
    tiles: list[tuple[str, str, float | None, float | None, Kind, bool]] = [
        (
            "New leads",
            "new_leads",
            now.headline.new_leads,
            was.headline.new_leads,
            Kind.volume,
            False,
        ),
        ("MQLs", "mqls", now.headline.mqls, was.headline.mqls, Kind.volume, False),
        ("SQLs", "sqls", now.headline.sqls, was.headline.sqls, Kind.volume, False),
        (
            "MQL → SQL",
            "mql_to_sql",
            now.headline.mql_to_sql,
            was.headline.mql_to_sql,
            Kind.rate,
            False,
        ),
        ("Won", "won", now.headline.won, was.headline.won, Kind.volume, False),
        ("Win rate", "win_rate", now.headline.win_rate, was.headline.win_rate, Kind.rate, False),
        (
            "Days to SQL",
            "median_days_mql_to_sql",
            now.headline.median_days_mql_to_sql,
            was.headline.median_days_mql_to_sql,
            Kind.days,
            True,
        ),
        (
            "SLA met",
            "sla_attainment",
            now.sla.total.attainment,
            was.sla.total.attainment,
            Kind.rate,
            False,
        ),
    ]
    parts = []
    for title, metric, value, previous, kind, lower in tiles:
        raw = "" if value is None else f"{value:g}"
        parts.append(
            f'<div class="kpi"><div class="name">{esc(title)}</div>'
            f'<div class="value" data-metric="headline.{metric}" data-value="{raw}">'
            f"{esc(number(value, kind))}</div>{delta(value, previous, kind, lower)}"
            f'<div class="was">was {esc(number(previous, kind))}</div></div>'
        )
    return f'<div class="kpis">{"".join(parts)}</div>'


def _funnel(figures: PeriodFigures) -> str:
    path = [stage for stage in figures.stages if stage.on_path]
    steps = [
        FunnelStep(
            stage.label,
            stage.reached or 0,
            None if stage.conversion is None else number(stage.conversion, Kind.rate),
            path[index + 1].label if index + 1 < len(path) else None,
        )
        for index, stage in enumerate(path)
    ]
    chart = funnel_chart(steps, "Leads reaching each stage in the period")
    return (
        '<section class="card"><h2>Funnel</h2><p class="sub">Leads that reached each stage '
        "in the period (skipped stages count as passed); on the right, the share of them "
        f"that reached the next stage by the period's end.</p>{chart}</section>"
    )


def _velocity(figures: PeriodFigures) -> str:
    timed = [stage for stage in figures.stages if stage.median_days is not None]
    longest = max((stage.median_days or 0 for stage in timed), default=0) or 1
    rows = [
        HBar(
            stage.label,
            (stage.median_days or 0) / longest,
            number(stage.median_days, Kind.days),
            TEAM_COLOURS.get(stage.team, "#2563eb"),
            f"avg {number(stage.average_days, Kind.days)} · {stage.stays_ended:,} left",
        )
        for stage in timed
    ]
    legend = (
        '<div class="legend"><span><i style="background:#0891b2"></i>marketing stage</span>'
        '<span><i style="background:#7c3aed"></i>sales stage</span></div>'
    )
    largest = max((stage.balance for stage in figures.stages), default=0) or 1
    balances = [
        HBar(
            stage.label,
            stage.balance / largest,
            f"{stage.balance:,}",
            TEAM_COLOURS.get(stage.team, "#2563eb"),
            "detour" if not stage.on_path else "",
        )
        for stage in figures.stages
    ]
    return (
        '<section class="card"><h2>Velocity</h2><p class="sub">Median days in each stage, for '
        f"leads that left it during the period.</p>{legend}"
        f"{hbar_chart(rows, 'Median days in stage', width=520)}"
        '<h2 style="margin-top:18px">Where leads stand</h2><p class="sub">Balance: leads in '
        "each stage at the period's end.</p>"
        f"{hbar_chart(balances, 'Leads in each stage at the end of the period', width=520)}"
        "</section>"
    )


def _stage_row(stage: StageFigures, previous: StageFigures | None) -> str:
    key = f"stage.{stage.stage}"
    pill = f'<span class="pill {esc(stage.team)}">{esc(stage.team)}</span>'
    if not stage.on_path:
        pill += '<span class="pill detour">detour</span>'
    inflow_change = delta(stage.inflow, previous.inflow if previous else None, Kind.volume)
    conversion_change = (
        ""
        if stage.conversion is None
        else "<br>" + delta(stage.conversion, previous.conversion if previous else None, Kind.rate)
    )
    return (
        f'<tr><td class="name">{esc(stage.label)}{pill}</td>'
        + _cell(f"{key}.opening", stage.opening, Kind.volume)
        + _cell(f"{key}.inflow", stage.inflow, Kind.volume, "<br>" + inflow_change)
        + _cell(f"{key}.outflow", stage.outflow, Kind.volume)
        + _cell(f"{key}.balance", stage.balance, Kind.volume)
        + _cell(f"{key}.reached", stage.reached, Kind.volume)
        + _cell(f"{key}.skipped", stage.skipped, Kind.volume)
        + _cell(f"{key}.conversion", stage.conversion, Kind.rate, conversion_change)
        + _cell(f"{key}.median_days", stage.median_days, Kind.days)
        + _cell(f"{key}.average_days", stage.average_days, Kind.days)
        + "</tr>"
    )


def _target_row(row: TargetFigures) -> str:
    period = f"{row.start:%Y-%m-%d} – {(row.end - timedelta(days=1)):%Y-%m-%d}"
    needed = "met" if row.needed_per_day is None else f"{row.needed_per_day:,.2f}/day"
    state = "on track" if row.on_track else "behind"
    return (
        f"<tr><td>{esc(row.label)}</td><td>{esc(row.period)} {esc(period)}</td>"
        f'<td class="num">{row.target:,}</td>'
        f'<td class="num" data-metric="target.{esc(row.stage)}.reached" '
        f'data-value="{row.reached}">{row.reached:,}</td>'
        f'<td class="num" data-metric="target.{esc(row.stage)}.attainment" '
        f'data-value="{row.attainment}">{row.attainment:.0%}</td>'
        f'<td class="num">{row.previous_reached:,} ({row.previous_attainment:.0%})</td>'
        f'<td class="num">{row.projected:,}</td><td class="num">{esc(needed)}</td>'
        f"<td>{state}</td></tr>"
    )


def _targets(report: FunnelReport) -> str:
    if not report.targets:
        return ""
    rows = "".join(_target_row(row) for row in report.targets)
    return (
        '<section class="card" id="targets"><h2>Shared targets</h2><p class="sub">Leads that '
        "reached each stage in the calendar period holding the report's end, against the "
        "contract's target; the previous period against the same target; the projection at "
        "the pace so far, and the pace needed over the days left.</p><table><thead><tr>"
        "<th>Stage</th><th>Period</th><th>Target</th><th>Reached</th><th>Attainment</th>"
        "<th>Previous period</th><th>Projected</th><th>Pace needed</th><th></th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _forecast(report: FunnelReport) -> str:
    made = report.forecast
    months = sorted({cell.month for cell in made.cells})
    by_stage: dict[str, list[str]] = defaultdict(list)
    for cell in made.cells:
        by_stage[cell.stage].append(
            f'<td class="num" data-metric="forecast.{esc(cell.stage)}.{cell.month:%Y-%m}" '
            f'data-value="{cell.expected}">{cell.expected:,.1f} '
            f'<span class="sub">({cell.low:,.1f}–{cell.high:,.1f})</span></td>'
        )
    rows = "".join(
        f"<tr><td>{esc(stage)}</td>{''.join(cells)}</tr>" for stage, cells in by_stage.items()
    )
    tested = _backtest_rows(report)
    head = "".join(f"<th>{month:%Y-%m}</th>" for month in months)
    return (
        '<section class="card" id="forecast"><h2>Forecast</h2><p class="sub">Leads expected '
        "to reach each stage, from where leads stand now, at the conversion of the last six "
        "months, spread over the months by the days past leads took to move on (a lead "
        "counts by how long it has already waited); arrivals pass on through later stages. "
        "Range: the lowest and highest monthly conversion. Leads not in the funnel yet are "
        "not counted.</p>"
        f"<table><thead><tr><th>Stage</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
        '<h2 style="margin-top:18px">Backtest</h2><p class="sub">The same forecast made on '
        "the first day of each of the last three months, for each of its months that has "
        "ended, against what happened: forecast (range) / actual.</p>"
        f"<table>{tested}</table></section>"
    )


def _backtest_rows(report: FunnelReport) -> str:
    """One row per forecast made and month, one column per stage."""
    stages = list(dict.fromkeys(row.stage for row in report.backtest))
    by_month: dict[tuple[datetime, datetime], list[str]] = defaultdict(list)
    for row in report.backtest:
        by_month[(row.as_of, row.month)].append(
            f'<td class="num">{row.forecast:,.1f} <span class="sub">({row.low:,.1f}–'
            f"{row.high:,.1f})</span> / {row.actual:,}</td>"
        )
    head = "".join(f"<th>{esc(stage)}</th>" for stage in stages)
    body = "".join(
        f"<tr><td>{made:%Y-%m-%d}</td><td>{month:%Y-%m}</td>{''.join(cells)}</tr>"
        for (made, month), cells in by_month.items()
    )
    return f"<thead><tr><th>Made</th><th>Month</th>{head}</tr></thead><tbody>{body}</tbody>"


def _stage_table(report: FunnelReport) -> str:
    previous = {stage.stage: stage for stage in report.previous.stages}
    rows = "".join(_stage_row(stage, previous.get(stage.stage)) for stage in report.current.stages)
    return (
        '<section class="card"><h2>Stages: volume, conversion and velocity</h2><p class="sub">'
        "Opening + inflow - outflow = balance. Conversion: of the leads that reached the stage "
        "in the period, the share that reached the next one. Changes are against the previous "
        "period.</p><table><thead><tr><th>Stage</th><th>Opening</th><th>Inflow</th>"
        "<th>Outflow</th><th>Balance</th><th>Reached</th><th>Skipped</th>"
        "<th>Conversion to next</th><th>Median days</th><th>Average days</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _short(moment: datetime, unit: str) -> str:
    return f"{moment.day} {moment:%b}" if unit == "week" else f"{moment:%b %y}"


def _trends(report: FunnelReport) -> str:
    start = report.current.period.start
    series: list[tuple[str, str]] = [("New leads", "new_leads"), ("MQLs", "mqls"), ("Won", "won")]
    if report.contract.sql_stage:
        series.insert(2, ("SQLs", "sqls"))
    charts = []
    for (title, metric), colour in zip(series, TREND_COLOURS, strict=False):
        columns = []
        current_total = previous_total = 0
        for point in report.trend:
            value = getattr(point, metric) or 0
            is_current = point.bucket.start >= start
            if is_current:
                current_total += value
            else:
                previous_total += value
            columns.append(
                Column(
                    _short(point.bucket.start, report.trend_unit), value, is_current, f"{value:,}"
                )
            )
        chart = column_chart(columns, f"{title} per {report.trend_unit}", colour)
        charts.append(
            f'<div class="mini"><h3>{esc(title)} <span>· {current_total:,} vs '
            f"{previous_total:,}</span></h3>{chart}</div>"
        )
    return (
        f'<section class="card"><h2>Trends</h2><p class="sub">Per {report.trend_unit}, over the '
        "previous and the current period (a week split by the period boundary shows as two "
        'columns).</p><div class="legend"><span><i style="background:linear-gradient(90deg,'
        '#0ea5e9,#7c3aed,#16a34a)"></i>current period</span><span><i style="background:#cbd5e1">'
        "</i>previous period</span></div>"
        f'<div class="grid4">{"".join(charts)}</div></section>'
    )


def _attainment_note(row: Attainment) -> str:
    note = f"{row.met:,}/{row.met + row.breached:,} met"
    return note + (f" · {row.open:,} open" if row.open else "")


def _sla_weeks(report: FunnelReport) -> list[Column]:
    weeks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    current_weeks = {row.key for row in report.current.sla.weeks}
    for figures in (report.previous, report.current):
        for row in figures.sla.weeks:
            weeks[row.key][0] += row.met
            weeks[row.key][1] += row.met + row.breached
    columns = []
    for key, (met, decided) in sorted(weeks.items()):
        value = met / decided if decided else None
        label = datetime.fromisoformat(key)
        columns.append(
            Column(
                f"{label.day} {label:%b}",
                value,
                key in current_weeks,
                number(value, Kind.rate),
            )
        )
    return columns


def _waiting(report: FunnelReport) -> str:
    owners: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for item in report.waiting:
        tally = owners[item.clock.owner]
        if item.urgency is Urgency.past_due:
            tally[0] += 1
            tally[2] = max(tally[2], item.waited_hours)
        elif item.urgency is Urgency.due_soon:
            tally[1] += 1
    ranked = sorted(owners.items(), key=lambda entry: (-entry[1][0], -entry[1][1], entry[0]))
    rows = "".join(
        f'<tr><td class="name">{esc(owner)}</td>'
        + _cell(f"waiting.{owner}.past_due", past_due, Kind.volume)
        + _cell(f"waiting.{owner}.due_soon", soon, Kind.volume)
        + f"<td>{esc(hours(longest)) if past_due else '—'}</td></tr>"
        for owner, (past_due, soon, longest) in ranked[:TOP_OWNERS]
        if past_due or soon
    )
    if not rows:
        rows = (
            '<tr><td colspan="4" class="muted">Nobody is waiting past due or close to it.</td></tr>'
        )
    return (
        "<h3 style='margin:18px 0 6px;font-size:13px'>Waiting now, per owner "
        f"<span class='muted'>(as of {esc(report.current.as_of.strftime('%d %b %H:%M'))} UTC)"
        "</span></h3><table><thead><tr><th>Owner</th><th>Past due</th><th>Due soon</th>"
        f"<th>Longest wait past due</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _sla(report: FunnelReport) -> str:
    contract = report.contract
    if not contract.sla:
        return (
            '<section class="card"><h2>SLA attainment</h2><p class="sub">The contract has no SLA '
            "rules.</p></section>"
        )
    figures = report.current.sla
    owners = [
        HBar(
            row.key,
            row.attainment,
            number(row.attainment, Kind.rate),
            sla_colour(row.attainment),
            _attainment_note(row),
        )
        for row in sorted(figures.owners, key=lambda row: (-(row.met + row.breached), row.key))
    ][:TOP_OWNERS]
    rules = {rule.stage: rule for rule in contract.sla}
    lines = []
    for row in figures.rules:
        rule = rules[row.key]
        label = contract.stage(rule.stage).display_name
        lines.append(
            f"<tr><td class='name'>{esc(label)} <span class='muted'>within "
            f"{rule.within_hours:g} h — {esc(rule.description or '')}</span></td>"
            + _cell(f"sla.rule.{row.key}.attainment", row.attainment, Kind.rate)
            + _cell(f"sla.rule.{row.key}.met", row.met, Kind.volume)
            + _cell(f"sla.rule.{row.key}.breached", row.breached, Kind.volume)
            + _cell(f"sla.rule.{row.key}.open", row.open, Kind.volume)
            + "</tr>"
        )
    overall = figures.total
    owner_cells = "".join(
        f'<span hidden data-metric="sla.owner.{esc(row.key)}.attainment" '
        f'data-value="{"" if row.attainment is None else f"{row.attainment:g}"}"></span>'
        for row in figures.owners
    )
    weeks = column_chart(
        _sla_weeks(report),
        "SLA attainment per week",
        "#16a34a",
        width=520,
        height=170,
        top_value=1.0,
        axis_text="100%",
    )
    return (
        '<section class="card"><h2>SLA attainment</h2><p class="sub">Clocks started in the '
        f"period: {overall.met:,} met, {overall.breached:,} breached, {overall.open:,} still "
        "open. Green from 90%, amber from 75%.</p>"
        '<div class="grid2 even"><div class="mini"><h3>By owner</h3>'
        f"{hbar_chart(owners, 'SLA attainment by owner', width=560)}{owner_cells}</div>"
        f'<div class="mini"><h3>By week started</h3>{weeks}</div></div>'
        "<table style='margin-top:14px'><thead><tr><th>Rule</th><th>Attainment</th><th>Met</th>"
        f"<th>Breached</th><th>Open</th></tr></thead><tbody>{''.join(lines)}</tbody></table>"
        f"{_waiting(report)}</section>"
    )


def _more(hidden: int, what: str) -> str:
    if hidden <= 0:
        return ""
    return f'<div class="more">…and {hidden} more {what} (all of them in JSON and CSV).</div>'


def _bar(value: int, largest: int) -> str:
    width = 0 if not largest else round(90 * value / largest)
    return f'<span class="inline-bar" style="width:{width}px"></span>' if width else ""


def _segment_table(
    field: str, rows: Sequence[SegmentFigures], before: Sequence[SegmentFigures]
) -> str:
    previous: dict[str, Headline] = {row.segment: row.figures for row in before}
    largest = max((row.figures.mqls for row in rows), default=0)
    body = []
    for row in rows[:TOP_SEGMENTS]:
        figures, was = row.figures, previous.get(row.segment)
        key = f"segment.{field}.{row.segment}"
        body.append(
            f'<tr><td class="name">{esc(row.segment)}</td>'
            + _cell(f"{key}.new_leads", figures.new_leads, Kind.volume)
            + _cell(
                f"{key}.mqls",
                figures.mqls,
                Kind.volume,
                _bar(figures.mqls, largest)
                + "<br>"
                + delta(figures.mqls, was.mqls if was else 0, Kind.volume),
            )
            + _cell(f"{key}.sqls", figures.sqls, Kind.volume)
            + _cell(f"{key}.won", figures.won, Kind.volume)
            + _cell(f"{key}.mql_to_sql", figures.mql_to_sql, Kind.rate)
            + _cell(f"{key}.win_rate", figures.win_rate, Kind.rate)
            + "</tr>"
        )
    more = _more(len(rows) - TOP_SEGMENTS, "segments")
    if not body:
        body.append('<tr><td colspan="7" class="muted">No activity in this period.</td></tr>')
    return (
        f'<section class="card"><h2>By {esc(field.replace("_", " "))}</h2><p class="sub">'
        "The headline figures per segment, most MQLs first.</p><table><thead><tr>"
        f"<th>{esc(field.replace('_', ' '))}</th><th>New leads</th><th>MQLs</th><th>SQLs</th>"
        "<th>Won</th><th>MQL → SQL</th><th>Win rate</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{more}</section>"
    )


def _campaigns(rows: Sequence[CampaignFigures], before: Sequence[CampaignFigures]) -> str:
    previous = {row.campaign: row for row in before}
    largest = max((row.mqls for row in rows), default=0)
    body = []
    for row in rows[:TOP_CAMPAIGNS]:
        was = previous.get(row.campaign)
        key = f"campaign.{row.campaign}"
        body.append(
            f'<tr><td class="name">{esc(row.campaign)}</td>'
            + _cell(f"{key}.touched", row.touched, Kind.volume)
            + _cell(
                f"{key}.mqls",
                row.mqls,
                Kind.volume,
                _bar(row.mqls, largest)
                + "<br>"
                + delta(row.mqls, was.mqls if was else 0, Kind.volume),
            )
            + _cell(f"{key}.sqls", row.sqls, Kind.volume)
            + _cell(f"{key}.won", row.won, Kind.volume)
            + "</tr>"
        )
    if not body:
        body.append(
            '<tr><td colspan="5" class="muted">No campaign activity in this period.</td></tr>'
        )
    more = _more(len(rows) - TOP_CAMPAIGNS, "campaigns")
    return (
        '<section class="card"><h2>Campaigns</h2><p class="sub">Leads each campaign touched in '
        "the period, and the period's MQLs, SQLs and wins that engaged with it before reaching "
        "the stage (multi-touch: rows do not add up to the totals).</p><table><thead><tr>"
        "<th>Campaign</th><th>Leads touched</th><th>MQLs influenced</th><th>SQLs influenced</th>"
        f"<th>Won influenced</th></tr></thead><tbody>{''.join(body)}</tbody></table>{more}"
        "</section>"
    )


def _definitions() -> str:
    items = "".join(
        f"<div><dt>{esc(title)}</dt><dd>{esc(text)}</dd></div>"
        for title, text in DEFINITIONS.values()
    )
    return (
        '<section class="card" id="definitions"><h2>Definitions</h2><p class="sub">What each '
        f'number means — the same text as docs/report.md.</p><dl class="defs">{items}</dl>'
        "</section>"
    )


def render_html(report: FunnelReport) -> str:
    """The whole report as one HTML document."""
    current, previous = report.current, report.previous
    segments = "".join(
        _segment_table(field, rows, previous.segments.get(field, []))
        for field, rows in current.segments.items()
    )
    title = f"{report.contract.name or 'Funnel'} — {current.period.label()}"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"{_header(report)}<main>{_kpis(report)}{_targets(report)}{_forecast(report)}"
        f'<div class="grid2">{_funnel(current)}{_velocity(current)}</div>'
        f"{_stage_table(report)}{stalled_section(report)}{_trends(report)}{_sla(report)}{segments}"
        f"{_campaigns(current.campaigns, previous.campaigns)}"
        f"{communicated_section(report.communicated)}{_definitions()}</main>"
        f"<footer>Generated by funnelsync {esc(__version__)} on "
        f"{esc(_day(report.generated_at))} from the workspace's state database.</footer>"
        "</body></html>\n"
    )
