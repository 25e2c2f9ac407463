"""Loading plugins and the typed facade the engine calls instead of ``pm.hook``.

Entry points in the ``funnelsync.plugins`` group are loaded defensively: a plugin that
fails to import, implements a hook wrongly, or registers a clashing connector is recorded
in :attr:`FunnelPlugins.failures` and skipped; the others load normally.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

import pluggy

from funnelsync import hookspecs
from funnelsync.config import WorkspaceConfig
from funnelsync.connector import Connector
from funnelsync.contract import SlaRule, Stage
from funnelsync.handoff import HandoffConfig
from funnelsync.models import Lead
from funnelsync.rule_kinds import RuleKind
from funnelsync.run_report import RunReport

ENTRY_POINT_GROUP = "funnelsync.plugins"
BUILT_IN_DISTRIBUTION = "funnelsync"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A loaded plugin: its name, and the distribution that installed it."""

    name: str
    distribution: str | None
    version: str | None
    connectors: tuple[str, ...]
    rule_kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadFailure:
    """A plugin that was skipped, and why."""

    name: str
    distribution: str | None
    error: str


@dataclass(slots=True)
class FunnelPlugins:
    """The plugin manager behind a typed API: what the engine and CLI call."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    _connectors: dict[str, type[Connector]] = field(default_factory=dict)
    _rule_kinds: dict[str, RuleKind] = field(default_factory=dict)

    def connectors(self) -> dict[str, type[Connector]]:
        """Every registered connector class, by connector name."""
        return dict(self._connectors)

    def connector(self, name: str) -> type[Connector]:
        """The connector called ``name``; ``KeyError`` with the known names otherwise."""
        try:
            return self._connectors[name]
        except KeyError:
            known = ", ".join(sorted(self._connectors)) or "none"
            raise KeyError(f"no connector named {name!r} (installed: {known})") from None

    def _notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of a notification hook; one failing does not stop others."""
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except Exception:
                logger.exception("plugin %s failed in %s", impl.plugin_name, hook_name)

    def rule_kinds(self) -> dict[str, RuleKind]:
        """Every registered rule kind, by name."""
        return dict(self._rule_kinds)

    def record_quarantined(self, connection: str, location: str, reason: str) -> None:
        """Tell plugins a record was quarantined."""
        self._notify(
            "funnelsync_record_quarantined", connection=connection, location=location, reason=reason
        )

    def stage_changed(self, lead: Lead, old_stage: str | None, new_stage: str) -> None:
        """Tell plugins a lead changed stage."""
        self._notify(
            "funnelsync_stage_changed", lead=lead, old_stage=old_stage, new_stage=new_stage
        )

    def run_finished(self, report: RunReport, config: WorkspaceConfig) -> None:
        """Tell plugins a run ended."""
        self._notify("funnelsync_run_finished", report=report, config=config)

    def sla_breached(
        self,
        lead: Lead,
        rule: SlaRule,
        entered_at: datetime,
        due_at: datetime,
        config: WorkspaceConfig,
    ) -> None:
        """Tell plugins a lead waits past an SLA's due time (once per breach)."""
        self._notify(
            "funnelsync_sla_breached",
            lead=lead,
            rule=rule,
            entered_at=entered_at,
            due_at=due_at,
            config=config,
        )

    def handoff_notifiers(self) -> list[str]:
        """Names of the plugins that implement ``funnelsync_lead_handed_off``."""
        hook = self.pm.hook.funnelsync_lead_handed_off
        return sorted({impl.plugin_name for impl in hook.get_hookimpls()})

    def hand_off(
        self,
        notifier: str,
        lead: Lead,
        stage: Stage,
        talking_points: list[str],
        config: HandoffConfig,
    ) -> None:
        """Deliver a hand-off through plugin ``notifier`` only; its exception propagates
        (``LookupError`` when no such plugin implements the hook any more)."""
        hook = self.pm.hook.funnelsync_lead_handed_off
        impls = [impl for impl in hook.get_hookimpls() if impl.plugin_name == notifier]
        if not impls:
            raise LookupError(f"plugin {notifier!r} is not installed or has no hand-off hook")
        arguments = {"lead": lead, "stage": stage, "talking_points": talking_points}
        for impl in impls:
            impl.function(**{arg: {**arguments, "config": config}[arg] for arg in impl.argnames})

    def lead_stalled(self, lead: Lead, stage: str, days: int, config: WorkspaceConfig) -> None:
        """Tell plugins a lead stalled in ``stage`` (once per stall)."""
        self._notify("funnelsync_lead_stalled", lead=lead, stage=stage, days=days, config=config)

    def add(
        self,
        plugin: ModuleType | object,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register ``plugin``; on any problem record a :class:`LoadFailure` and return False."""
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # noqa: BLE001 - any plugin error is reported, not fatal
            self.failures.append(LoadFailure(name, distribution, _describe(exc)))
            return False
        try:
            self.pm.check_pending()
            provided = _collect_connectors(self.pm.hook.funnelsync_register_connectors, plugin)
            clashes = sorted(set(provided) & set(self._connectors))
            if clashes:
                raise ValueError(f"connector name(s) already registered: {', '.join(clashes)}")
            kinds = _collect_rule_kinds(self.pm.hook.funnelsync_register_rule_kinds, plugin)
            clashes = sorted(set(kinds) & set(self._rule_kinds))
            if clashes:
                raise ValueError(f"rule kind(s) already registered: {', '.join(clashes)}")
        except Exception as exc:  # noqa: BLE001
            self.pm.unregister(plugin)
            self.failures.append(LoadFailure(name, distribution, _describe(exc)))
            return False
        self._connectors.update(provided)
        self._rule_kinds.update(kinds)
        self.plugins.append(
            PluginInfo(name, distribution, version, tuple(sorted(provided)), tuple(sorted(kinds)))
        )
        return True


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


_CONNECTOR_ATTRIBUTES = ("name", "settings_model", "capabilities", "default_mapping")


def _collect_connectors(hook: Any, plugin: object) -> dict[str, type[Connector]]:
    impls = [impl for impl in hook.get_hookimpls() if impl.plugin is plugin]
    found: dict[str, type[Connector]] = {}
    for impl in impls:
        classes = impl.function()
        if not isinstance(classes, list):
            raise TypeError("funnelsync_register_connectors must return a list of classes")
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Connector)):
                raise TypeError(f"{cls!r} is not a Connector subclass")
            missing = [attr for attr in _CONNECTOR_ATTRIBUTES if not hasattr(cls, attr)]
            if missing or inspect.isabstract(cls):
                what = f"lacks {', '.join(missing)}" if missing else "is abstract"
                raise TypeError(f"connector class {cls.__name__} {what}")
            if cls.name in found:
                raise ValueError(f"connector name {cls.name!r} registered twice")
            found[cls.name] = cls
    return found


def _collect_rule_kinds(hook: Any, plugin: object) -> dict[str, RuleKind]:
    found: dict[str, RuleKind] = {}
    for impl in hook.get_hookimpls():
        if impl.plugin is not plugin:
            continue
        kinds = impl.function()
        if not isinstance(kinds, list):
            raise TypeError("funnelsync_register_rule_kinds must return a list of RuleKind")
        for kind in kinds:
            if not isinstance(kind, RuleKind):
                raise TypeError(f"{kind!r} is not a RuleKind instance")
            if kind.name in found:
                raise ValueError(f"rule kind {kind.name!r} registered twice")
            found[kind.name] = kind
    return found


def _entry_points() -> Iterable[importlib.metadata.EntryPoint]:
    """Entry points of the group, funnelsync's own first so built-in names cannot be taken."""
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)

    def built_in_first(ep: importlib.metadata.EntryPoint) -> bool:
        return not (ep.dist is not None and ep.dist.metadata["Name"] == BUILT_IN_DISTRIBUTION)

    return sorted(found, key=built_in_first)


def create_plugins(
    entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
    extra: Iterable[tuple[str, object]] = (),
) -> FunnelPlugins:
    """Build the plugin manager and load every ``funnelsync.plugins`` entry point.

    ``entry_points`` replaces discovery (tests pass their own); ``extra`` registers
    in-process plugins as ``(name, plugin)`` pairs after the entry points.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    plugins = FunnelPlugins(pm)
    for ep in _entry_points() if entry_points is None else entry_points:
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else None
        version = dist.version if dist is not None else None
        try:
            loaded = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            plugins.failures.append(LoadFailure(ep.name, dist_name, _describe(exc)))
            continue
        plugins.add(loaded, ep.name, dist_name, version)
    for name, plugin in extra:
        plugins.add(plugin, name)
    return plugins
