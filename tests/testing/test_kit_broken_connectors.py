"""The kit proves itself: a connector that keeps every rule passes every check, and each
connector that breaks one rule fails exactly that rule's check, saying what to change."""

from __future__ import annotations

from pathlib import Path

import pytest
from broken_connectors import BROKEN, ActivitiesByLeadKey
from memory_connector import MemoryConnector, memory_target

from funnelsync.testing import all_check_names, run_checks


def failures(kind: type[MemoryConnector], workspace: Path) -> dict[str, str]:
    """Each failed check's message, every check run on a fresh system."""
    found = {}
    for name in all_check_names():
        (result,) = run_checks(memory_target(kind, workspace), [name])
        if not result.passed:
            found[name] = result.message
    return found


def test_a_connector_keeping_every_rule_passes_every_check(tmp_path: Path) -> None:
    assert failures(MemoryConnector, tmp_path) == {}


def test_activities_naming_their_person_by_a_lead_key_pass_every_check(tmp_path: Path) -> None:
    assert failures(ActivitiesByLeadKey, tmp_path) == {}


def test_every_check_is_proved_by_a_broken_connector() -> None:
    assert {check for check, _ in BROKEN.values()} == set(all_check_names())


@pytest.mark.parametrize("kind", BROKEN, ids=lambda kind: kind.__name__)
def test_a_broken_connector_fails_exactly_its_check(
    kind: type[MemoryConnector], tmp_path: Path
) -> None:
    check, says = BROKEN[kind]
    failed = failures(kind, tmp_path)
    assert list(failed) == [check], failed
    assert says in failed[check]
