"""The conformance checks as plain functions, runnable with or without pytest.

Each check takes a :class:`Session` (the vendor's :class:`ConformanceTarget` plus the
connectors the check built) and raises :class:`ConformanceFailure` with what the vendor
must change. A check that needs an optional part of the target fails when it is missing:
a check that cannot apply to a system is left out by name (``not_applicable``), never
skipped silently. A check about something the connector does not declare passes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from funnelsync.connector import Connector
from funnelsync.testing.dataset import LeadFactory
from funnelsync.testing.target import ConformanceTarget


class ConformanceFailure(AssertionError):  # noqa: N818 - a failed check, as pytest says
    """The connector breaks a rule of the connector interface; the message says the fix."""


@dataclass
class Session:
    """One check's run: the target, fresh leads, and the connectors to close afterwards."""

    target: ConformanceTarget
    factory: LeadFactory
    connectors: list[Connector] = field(default_factory=list)

    def connector(self) -> Connector:
        """A new connector on the target's system, closed when the check ends."""
        made = self.target.make_connector()
        self.connectors.append(made)
        return made

    def needs(self, part: str, what: str) -> None:
        """Fail unless the target has ``part`` (described by ``what``)."""
        if getattr(self.target, part) is None:
            raise ConformanceFailure(
                f"the target has no {part} ({what}): give ConformanceTarget({part}=...), or "
                "name this check in not_applicable with the reason it cannot apply."
            )

    def requests(self, connector: Connector) -> int:
        """API requests so far: the system's count if it keeps one, else the connector's."""
        if self.target.system_requests is not None:
            return self.target.system_requests()
        return connector.calls.read + connector.calls.write

    def close(self) -> None:
        """Close every connector this session built."""
        for connector in self.connectors:
            connector.close()


@dataclass(frozen=True)
class Check:
    """One rule of the connector interface and the function that checks it."""

    name: str
    rule: str
    run: Callable[[Session], None]
    requires: tuple[str, ...]
    """Capabilities the check is about; a connector declaring fewer passes it unrun."""


CHECKS: dict[str, Check] = {}
"""Every check by name, in the order they run."""


def check(
    name: str, rule: str, *requires: str
) -> Callable[[Callable[[Session], None]], Callable[[Session], None]]:
    """Register a check function under ``name``, about the capabilities ``requires``."""

    def register(function: Callable[[Session], None]) -> Callable[[Session], None]:
        CHECKS[name] = Check(name, rule, function, requires)
        return function

    return register


@dataclass(frozen=True)
class CheckOutcome:
    """The outcome of one check: passed, or the failure's message."""

    name: str
    passed: bool
    message: str = ""


def run_check(name: str, target: ConformanceTarget) -> None:
    """Run one check; raises :class:`ConformanceFailure` (the rule, then what to change)
    if the connector breaks its rule."""
    _load_checks()
    found = CHECKS[name]
    session = Session(target, LeadFactory(name))
    try:
        declared = session.connector().capabilities
        if all(getattr(declared, capability) for capability in found.requires):
            found.run(session)
    except ConformanceFailure as exc:
        raise ConformanceFailure(f"rule: {found.rule}\n{exc}") from None
    finally:
        session.close()


def run_checks(target: ConformanceTarget, names: Iterable[str] = ()) -> list[CheckOutcome]:
    """Run the named checks (all when none are named) and say how each ended; an
    exception other than a :class:`ConformanceFailure` propagates."""
    _load_checks()
    results = []
    for name in list(names) or list(CHECKS):
        try:
            run_check(name, target)
        except ConformanceFailure as exc:
            results.append(CheckOutcome(name, False, str(exc)))
        else:
            results.append(CheckOutcome(name, True))
    return results


def all_check_names() -> list[str]:
    """Every check's name, in the order they run."""
    _load_checks()
    return list(CHECKS)


def _load_checks() -> None:
    """Import the modules that register the checks."""
    for module in _CHECK_MODULES:
        importlib.import_module(f"funnelsync.testing.{module}")


_CHECK_MODULES = (
    "interface_checks",
    "reading_checks",
    "activity_checks",
    "writing_checks",
    "budget_checks",
)
"""The modules registering the checks, in the order the checks run."""
