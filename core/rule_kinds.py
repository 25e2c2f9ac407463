"""Rule kinds: condition types a plugin adds to fit rules and stage entry rules.

A contract uses one as ``{kind: <name>, args: {...}, points: 10}`` (``field`` optional).
Plugins register instances through ``funnelsync_register_rule_kinds``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from funnelsync.models import Lead


class RuleKind(ABC):
    """One kind of condition on a lead."""

    name: ClassVar[str]
    """How contracts refer to it (``kind: <name>``)."""

    def check_args(self, field: str | None, args: Mapping[str, Any]) -> None:  # noqa: B027
        """Raise ``ValueError`` saying what is wrong if ``args`` do not suit this kind."""

    @abstractmethod
    def holds(self, lead: Lead, field: str | None, args: Mapping[str, Any]) -> bool:
        """Whether ``lead`` meets the condition."""

    def describe(self, field: str | None, args: Mapping[str, Any]) -> str:
        """A short human reading, used in explanations."""
        return self.name.replace("_", " ")


RuleKinds = Mapping[str, RuleKind]
"""Registered rule kinds by name."""

NO_RULE_KINDS: RuleKinds = {}
