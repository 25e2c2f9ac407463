"""One sync run, end to end: read every system, merge, score and stage, write back, report.

This first engine reads every system in full on each run and compares with what each
system holds now, so a re-run with no outside change writes nothing. State (cursors, the
ledger of past writes, identity links) is not kept yet.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter

from funnelsync.connector import Connector, LeadWrite, WriteStatus
from funnelsync.contract import FunnelContract
from funnelsync.explanation import explain
from funnelsync.merge import SourceLead, merge_leads, previous_stage
from funnelsync.models import Activity, Lead
from funnelsync.plugin_manager import FunnelPlugins
from funnelsync.run_report import ConnectionCounts, RunReport, RunStatus
from funnelsync.scoring import score_lead
from funnelsync.stages import place_lead
from funnelsync.sync.planning import ConnectionPlan, plan_connection
from funnelsync.sync.progress import NoProgress, ProgressSink
from funnelsync.sync.reading import Quarantined, SystemView, read_system
from funnelsync.sync.run_log import save_run
from funnelsync.sync.workspace import Workspace


@dataclass(frozen=True, slots=True)
class StageChange:
    """A lead that moved stage in this run."""

    email: str
    old_stage: str | None
    new_stage: str
    reason: str


@dataclass(frozen=True, slots=True)
class RunResult:
    """A run's report plus the details the CLI shows: quarantine and stage changes."""

    report: RunReport
    quarantined: list[Quarantined]
    stage_changes: list[StageChange] = field(default_factory=list)


def _canonical_leads(
    contract: FunnelContract,
    views: Sequence[SystemView],
    activities: dict[str, list[Activity]],
    now: datetime,
) -> tuple[dict[str, Lead], list[StageChange]]:
    """Merge, score and stage every person found in any system."""
    sources: dict[str, list[SourceLead]] = defaultdict(list)
    for view in views:
        for email, source in view.leads.items():
            sources[email].append(source)
    leads: dict[str, Lead] = {}
    changes: list[StageChange] = []
    for email, person in sources.items():
        lead = merge_leads(contract, person)
        score = score_lead(contract.scoring, lead, activities.get(email, ()), now)
        before = previous_stage(contract, person)
        placement = place_lead(contract, lead, score, before, now)
        stage = contract.stage(placement.stage)
        lead = lead.model_copy(
            update={
                "fit_score": score.fit,
                "engagement_score": score.engagement,
                "score": score.total,
                "stage": placement.stage,
                "stage_dates": placement.stage_dates,
                "explanation": explain(
                    stage.display_name, placement.stage_dates.get(placement.stage), score
                ),
            }
        )
        leads[email] = lead
        if placement.stage != before:
            changes.append(StageChange(email, before, placement.stage, placement.reason))
    return leads, changes


def _batched(writes: Sequence[LeadWrite], size: int | None) -> Iterable[Sequence[LeadWrite]]:
    if size is None:
        if writes:
            yield writes
        return
    for start in range(0, len(writes), size):
        yield writes[start : start + size]


def _push(
    connector: Connector,
    view: SystemView,
    plan: ConnectionPlan,
    counts: ConnectionCounts,
    quarantined: list[Quarantined],
    progress: ProgressSink,
) -> bool:
    """Write the plan; returns False when some writes must wait for a later run."""
    name = view.connection.name
    creates = {write.key for write in plan.creates}
    writes = [*plan.creates, *plan.updates]
    by_key = {write.key: write for write in writes}
    complete = True
    for batch in _batched(writes, connector.write_batch_size):
        results = connector.write_leads(batch)
        for result in results:
            if result.status is WriteStatus.ok:
                if result.key in creates:
                    counts.created += 1
                else:
                    counts.updated += 1
                continue
            write = by_key.get(result.key)
            location = (write.record_id if write else None) or result.key
            reason = f"{result.status.value}: {result.message or 'no message from the system'}"
            quarantined.append(
                Quarantined(name, location, reason, repr(write.fields if write else {}))
            )
            counts.quarantined += 1
            complete = complete and result.status is not WriteStatus.retryable
        progress.advance(f"{name}: write", len(batch), len(writes))
    return complete


def _stage_counts(contract: FunnelContract, leads: Iterable[Lead]) -> dict[str, int]:
    counts = {stage.name: 0 for stage in contract.all_stages}
    for lead in leads:
        if lead.stage in counts:
            counts[lead.stage] += 1
    return counts


def _mql_count(contract: FunnelContract, stages: dict[str, int]) -> int:
    mql_index = contract.path_index(contract.mql_stage) or 0
    return sum(stages[stage.name] for stage in contract.stages[mql_index:])


class RunFailedError(Exception):
    """A run stopped early; ``result`` holds its ``failed`` report (already saved)."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.report.error)
        self.result = result


@dataclass(slots=True)
class _RunState:
    """What a run has gathered so far; a failed run still reports it."""

    counts: dict[str, ConnectionCounts] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    activities: dict[str, list[Activity]] = field(default_factory=lambda: defaultdict(list))
    leads: dict[str, Lead] = field(default_factory=dict)
    stage_changes: list[StageChange] = field(default_factory=list)
    complete: bool = True


def _sync(
    workspace: Workspace,
    plugins: FunnelPlugins,
    state: _RunState,
    as_of: datetime,
    progress: ProgressSink,
) -> None:
    contract = workspace.contract
    with ExitStack() as stack:
        connectors: list[Connector] = []
        for connection in workspace.connections:
            connector = connection.open(workspace.root)
            stack.callback(connector.close)
            connectors.append(connector)
        views = []
        for connection, connector in zip(workspace.connections, connectors, strict=True):
            view = read_system(connection, connector, progress)
            views.append(view)
            counts = ConnectionCounts(
                read=view.leads_read,
                activities_read=len(view.activities),
                quarantined=len(view.quarantined),
                api_calls=connector.calls,
            )
            state.counts[connection.name] = counts
            state.quarantined.extend(view.quarantined)
            for item in view.quarantined:
                plugins.record_quarantined(item.connection, item.location, item.reason)
            for activity in view.activities:
                state.activities[activity.email].append(activity)
        state.leads, state.stage_changes = _canonical_leads(
            contract, views, state.activities, as_of
        )
        for change in state.stage_changes:
            plugins.stage_changed(state.leads[change.email], change.old_stage, change.new_stage)
        for view, connector in zip(views, connectors, strict=True):
            counts = state.counts[view.connection.name]
            if not connector.capabilities.write_leads:
                counts.unchanged = len(view.leads)
                continue
            plan = plan_connection(contract, view, state.leads)
            counts.unchanged = plan.unchanged
            before = len(state.quarantined)
            state.complete &= _push(connector, view, plan, counts, state.quarantined, progress)
            for item in state.quarantined[before:]:
                plugins.record_quarantined(item.connection, item.location, item.reason)


def run_sync(
    workspace: Workspace,
    plugins: FunnelPlugins,
    *,
    now: datetime | None = None,
    progress: ProgressSink | None = None,
) -> RunResult:
    """Run one sync of ``workspace``; the report is saved under the state directory.

    Raises :class:`RunFailedError` (with the saved ``failed`` report) if the run cannot finish.
    """
    started = datetime.now(UTC)
    clock = perf_counter()
    state = _RunState()
    failure: Exception | None = None
    try:
        _sync(workspace, plugins, state, now or started, progress or NoProgress())
    except Exception as exc:  # noqa: BLE001 - a failed run is still reported, then re-raised
        failure = exc
    error = f"{type(failure).__name__}: {failure}" if failure else None
    contract = workspace.contract
    stages = _stage_counts(contract, state.leads.values())
    status = RunStatus.ok if state.complete else RunStatus.partial
    report = RunReport(
        run_id=f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}",
        status=RunStatus.failed if error else status,
        started_at=started,
        duration_s=round(perf_counter() - clock, 3),
        connections=state.counts,
        leads=len(state.leads),
        stages=stages,
        mqls=_mql_count(contract, stages),
        activities=sum(len(items) for items in state.activities.values()),
        activities_without_lead=sum(
            len(items) for email, items in state.activities.items() if email not in state.leads
        ),
        error=error,
    )
    result = RunResult(report, state.quarantined, state.stage_changes)
    save_run(workspace.state_dir, report, state.quarantined)
    plugins.run_finished(report)
    if failure is not None:
        raise RunFailedError(result) from failure
    return result
