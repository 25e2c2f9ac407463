"""Which way imports go (DESIGN §2), checked on the syntax tree of every module.

- ``core/`` (``funnelsync``) imports neither ``funnelsync.sync`` nor any plugin;
- ``sync/`` reaches connectors only through the plugin manager: it imports no
  ``funnelsync.plugins`` module;
- a plugin imports neither ``funnelsync.sync`` nor another plugin.

Imports inside functions and ``if TYPE_CHECKING:`` blocks count too: a rule that held
only at module level would let a lazy import cross a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SOURCE_TO_PACKAGE = {
    "core": "funnelsync",
    "sync": "funnelsync.sync",
    "plugins": "funnelsync.plugins",
}


def module_name(path: Path, root: Path) -> str:
    """The dotted name a source file installs as (pyproject's ``package-dir``)."""
    parts = path.relative_to(root).with_suffix("").parts
    dotted = [SOURCE_TO_PACKAGE[parts[0]], *parts[1:]]
    if dotted[-1] == "__init__":
        dotted.pop()
    return ".".join(dotted)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, list[str]]]:
    """Per import statement, its line and the modules it may import (relative ones resolved)."""
    found: list[tuple[int, list[str]]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.append((node.lineno, [alias.name for alias in node.names]))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from funnelsync import sync` imports the module funnelsync.sync.
            found.append((node.lineno, [base, *(f"{base}.{a.name}" for a in node.names)]))
    return found


def layer(module: str) -> str:
    """``core``, ``sync``, ``plugin:<name>`` or ``other`` for a dotted module name."""
    if module == "funnelsync.sync" or module.startswith("funnelsync.sync."):
        return "sync"
    if module.startswith("funnelsync.plugins."):
        return "plugin:" + module.split(".")[2]
    if module == "funnelsync.plugins":
        return "plugins"
    if module == "funnelsync" or module.startswith("funnelsync."):
        return "core"
    return "other"


def violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when the rule allows it."""
    source, target = layer(importer), layer(imported)
    if source == "core" and (target in ("sync", "plugins") or target.startswith("plugin:")):
        return f"core module {importer} imports {imported}"
    if source == "sync" and target.startswith("plugin"):
        return f"sync module {importer} imports the plugin module {imported}"
    if source.startswith("plugin:"):
        if target == "sync":
            return f"plugin module {importer} imports {imported}"
        if target.startswith("plugin:") and target != source:
            return f"plugin module {importer} imports another plugin's {imported}"
    return None


def violations_in(root: Path) -> list[str]:
    """Every rule broken by the modules under ``root``'s core/, sync/ and plugins/."""
    found: list[str] = []
    for folder in SOURCE_TO_PACKAGE:
        for path in sorted((root / folder).rglob("*.py")):
            module = module_name(path, root)
            source = path.read_text(encoding="utf-8")
            for line, candidates in imported_modules(source, module, path.name == "__init__.py"):
                reasons = [r for r in (violation(module, c) for c in candidates) if r]
                if reasons:
                    found.append(f"{path.relative_to(root)}:{line}: {reasons[0]}")
    return found


def test_the_repository_keeps_every_import_rule() -> None:
    assert violations_in(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for folder in SOURCE_TO_PACKAGE:
        (tmp_path / folder).mkdir()
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("core/scoring.py", "from funnelsync.sync.engine import run\n", "core module"),
        ("core/scoring.py", "def f():\n    import funnelsync.plugins.csv\n", "core module"),
        ("core/scoring.py", "from funnelsync import sync\n", "core module"),
        ("sync/engine/run.py", "from funnelsync.plugins.csv.connector import X\n", "sync module"),
        ("sync/engine/run.py", "from ...plugins.hubspot import api\n", "sync module"),
        ("plugins/csv/reading.py", "from funnelsync.sync.state import store\n", "plugin module"),
        ("plugins/csv/reading.py", "from funnelsync.plugins.hubspot import api\n", "another"),
        ("plugins/csv/reading.py", "from ..hubspot.api import call\n", "another"),
    ],
)
def test_each_broken_rule_is_reported(tmp_path: Path, name: str, text: str, expected: str) -> None:
    found = violations_in(_tree(tmp_path, {name: text}))
    assert len(found) == 1 and expected in found[0], found


def test_allowed_imports_are_not_reported(tmp_path: Path) -> None:
    allowed = {
        "core/scoring.py": "from funnelsync.models import Lead\nimport json\n",
        "sync/engine/run.py": "from funnelsync.plugin_manager import PluginManager\n"
        "from funnelsync.sync.state.store import StateStore\nfrom . import reading\n",
        "plugins/csv/reading.py": "from funnelsync.connector import Connector\n"
        "from funnelsync.plugins.csv import cursors\nfrom .cells import cell\n",
    }
    assert violations_in(_tree(tmp_path, allowed)) == []
