"""The hooks funnelsync plugins implement, grouped by when they fire.

Every hook is prefixed ``funnelsync_``. Implement one by decorating a function of the same
name with :data:`hookimpl` in a module registered under the ``funnelsync.plugins``
entry-point group. Each hook's exact signature is documented in ``docs/plugins.md``.
"""

from __future__ import annotations

from datetime import datetime

import pluggy

from funnelsync.config import WorkspaceConfig
from funnelsync.connector import Connector
from funnelsync.contract import SlaRule, Stage
from funnelsync.handoff import HandoffConfig
from funnelsync.models import Lead
from funnelsync.rule_kinds import RuleKind
from funnelsync.run_report import RunReport

PROJECT = "funnelsync"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Decorator for plugin functions that implement a hook."""


# --- Registration: asked once, when the plugin manager is built -------------------------


@hookspec
def funnelsync_register_connectors() -> list[type[Connector]]:  # type: ignore[empty-body]
    """Return the connector classes this plugin provides.

    Fires once when funnelsync loads plugins. Returns a list of :class:`Connector`
    subclasses; every plugin's lists are combined, and two connectors with one name are a
    load error for the second plugin. Not ``firstresult``.
    """


@hookspec
def funnelsync_register_rule_kinds() -> list[RuleKind]:  # type: ignore[empty-body]
    """Return the rule kinds (conditions) this plugin adds to fit and entry rules.

    Fires once when funnelsync loads plugins. Returns a list of
    :class:`~funnelsync.rule_kinds.RuleKind` instances; contracts use them as
    ``{kind: <name>, args: {...}}``. Every plugin's lists are combined; a name registered
    twice is a load error for the second plugin. Not ``firstresult``.
    """


# --- Notifications during a run: observe, return nothing -------------------------------
# An exception raised by one implementation is logged and does not stop the run or the
# other implementations.


@hookspec
def funnelsync_record_quarantined(connection: str, location: str, reason: str) -> None:
    """Observe a record that was set aside instead of synced.

    Fires during a run, once per bad record, with the connection's name, where the record
    is (``file:line`` or a record id) and why it was refused. Returns nothing; not ``firstresult``.
    """


@hookspec
def funnelsync_stage_changed(lead: Lead, old_stage: str | None, new_stage: str) -> None:
    """Observe a lead moving to another funnel stage.

    Fires during a run, after scoring, once per lead whose stage differs from the stage
    the systems held (``old_stage`` is ``None`` for a lead no system had staged yet).
    Returns nothing; not ``firstresult``.
    """


@hookspec
def funnelsync_run_finished(report: RunReport, config: WorkspaceConfig) -> None:
    """Observe the end of a sync run, whatever its status.

    Fires once per run, after every write, with the run's report and the workspace's
    configuration (for a plugin's own settings, e.g. ``notifications``). Returns nothing;
    not ``firstresult``.
    """


@hookspec
def funnelsync_sla_breached(
    lead: Lead, rule: SlaRule, entered_at: datetime, due_at: datetime, config: WorkspaceConfig
) -> None:
    """Observe a lead left waiting past a follow-up SLA.

    Fires once per breach, the first time funnelsync finds the lead still in ``rule.stage``
    (untouched by sales, for a marketing-owned stage) after ``due_at``: when
    ``funnelsync sla`` runs. ``entered_at`` is when the lead entered the stage, ``due_at``
    that plus ``rule.within_hours``. A breach already announced is not announced again; a
    new entry into the stage starts a new clock. Returns nothing; not ``firstresult``.
    """


# --- Hand-offs: delivered once each, retried when they fail -----------------------------
# Unlike the notifications above, an exception raised here means "not delivered": the
# hand-off is kept and offered again to this plugin (only) on the next run.


@hookspec
def funnelsync_lead_handed_off(
    lead: Lead, stage: Stage, talking_points: list[str], config: HandoffConfig
) -> None:
    """Tell a lead's owner that the lead entered a hand-off stage (``mql_stage``, or any
    stage marked ``handoff: true``).

    Fires after the run that moved the lead has been committed, once per hand-off and
    implementation: ``lead`` as it was when it entered ``stage``, its ``talking_points``
    (the stage's and its recent campaigns'), and ``config`` with the owner's channel, the
    entry time, the SLA rule (``config.due_at`` is the deadline), the workspace
    configuration and a stable ``handoff_id``. Raise to report a failed delivery: it is
    listed by ``funnelsync errors`` and retried on the next run. ``config.repeat`` is true
    when an earlier attempt was cut off mid-send. Returns nothing; not ``firstresult``.
    """


@hookspec
def funnelsync_lead_stalled(lead: Lead, stage: str, days: int, config: WorkspaceConfig) -> None:
    """Observe a lead that stalled: quiet too long in a stage with ``stalled_after_days``.

    Fires once per stall, at the end of the sync that first finds it (after the run's
    commit, so ``lead.stalled`` is already stored), with the stage and the whole days the
    lead has been in it. A lead that moves or engages and later stalls again fires again.
    Each stall is marked as told just before the call, so a process killed at that moment
    never tells it twice (at most that one call is lost). Returns nothing; not ``firstresult``.
    """
