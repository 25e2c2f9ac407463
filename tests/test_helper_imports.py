"""Tests share helpers through named helper modules, never by importing another test
module (which runs that module's fixtures and tests' import-time work, and couples its
private helpers to strangers) nor ``conftest``."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
KNOWN = {
    "sync/report/test_report_forecast.py imports test_report_targets",
    "testing/test_kit_test_class.py imports test_kit_pytest_plugin",
}
"""Older cases not moved yet (each should get a named helper module); none may be added."""


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_test_module_imports_another_test_module_or_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in sorted(_imported_modules(path))
        if module.split(".")[-1].startswith("test_") or module.split(".")[-1] == "conftest"
    ]
    assert sorted(set(offenders) - KNOWN) == []
