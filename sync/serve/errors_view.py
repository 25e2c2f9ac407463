"""Quarantine entries grouped by reason, the way the health page lists them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from funnelsync.sync.state.store import QuarantineEntry

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_LOCATION = re.compile(r"^\S+:\d+:\s*")
_NUMBER = re.compile(r"\b\d+(\.\d+)?\b")


def reason_group(reason: str) -> str:
    """The reason with what differs per record (location, quoted values, numbers) blanked."""
    text = _LOCATION.sub("", reason.strip())
    text = _QUOTED.sub("…", text)
    return _NUMBER.sub("N", text)


@dataclass(slots=True)
class ErrorGroup:
    """Quarantined records of one connection that failed for the same kind of reason."""

    connection: str
    kind: str
    reason: str
    entries: list[QuarantineEntry] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable id of the group, for links and forms."""
        return f"{self.connection}|{self.kind}|{self.reason}"


def group_errors(entries: Iterable[QuarantineEntry]) -> list[ErrorGroup]:
    """Groups by connection, kind and reason, largest first."""
    groups: dict[tuple[str, str, str], ErrorGroup] = {}
    for entry in entries:
        key = (entry.connection, entry.kind, reason_group(entry.reason))
        groups.setdefault(key, ErrorGroup(*key)).entries.append(entry)
    return sorted(groups.values(), key=lambda g: (-len(g.entries), g.connection, g.reason))
