"""The wheel installs one import namespace, ``funnelsync``, and nothing else (DESIGN §2).

The source folders ``core/``, ``sync/`` and ``plugins/`` must land in site-packages as
``funnelsync``, ``funnelsync.sync`` and ``funnelsync.plugins.<name>`` — never as generic
top-level ``core``, ``sync`` or ``plugins`` packages. The editable install the test suite
runs from cannot show this, so this test builds a real wheel, installs it into a
directory of its own and imports from there in a fresh interpreter that cannot see the
editable install:

- the wheel is built from a copy of the source tree (without ``.git``, ``.venv``,
  ``build/``, ``*.egg-info`` and caches), so the build neither writes into the working
  tree nor picks up stale files from an earlier ``build/lib``;
- it is built with ``--no-build-isolation --no-index``: the venv's setuptools does the
  work and nothing is downloaded (a build that needed a download fails here, loudly);
- the probe runs ``python -S`` (no ``site``: the venv's ``.pth`` files, among them the
  editable install's, are not processed) with ``PYTHONPATH`` = the wheel's install
  directory, then the venv's site-packages for the dependencies only, from an empty
  working directory (from the repository root, ``core/`` would import as a namespace
  package).
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

SOURCE_TO_PACKAGE = {
    "core": "funnelsync",
    "sync": "funnelsync/sync",
    "plugins": "funnelsync/plugins",
}
"""Source folder → where its files sit in the wheel (pyproject's ``package-dir``)."""

GENERIC_NAMES = ("core", "sync", "plugins")
"""Top-level names the wheel must not install."""

BUILT_IN_PLUGINS = {
    "csv": "funnelsync.plugins.csv.plugin",
    "hubspot": "funnelsync.plugins.hubspot.plugin",
    "salesforce": "funnelsync.plugins.salesforce.plugin",
}
"""The ``funnelsync.plugins`` entry points the wheel declares."""

NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "demo-workspace",
)
"""What a fresh clone does not have, or what a build must not see."""

PROBE = textwrap.dedent(
    """
    import importlib
    import importlib.metadata
    import json
    import sys
    from importlib.resources import files

    site = sys.argv[1]
    found = {"imports": {}, "templates": {}, "entry_points": {}}
    for name in sys.argv[2:]:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            found["imports"][name] = {"ok": False, "error": repr(exc)}
        else:
            found["imports"][name] = {
                "ok": True,
                "file": getattr(module, "__file__", None),
                "path": list(getattr(module, "__path__", [])),
            }
    templates = files("funnelsync.sync.workspace").joinpath("templates")
    for name in ("funnelsync.yaml", "contract.yaml"):
        found["templates"][name] = len(templates.joinpath(name).read_text(encoding="utf-8"))
    (dist,) = [
        d for d in importlib.metadata.distributions(path=[site])
        if d.metadata["Name"] == "funnelsync"
    ]
    for entry_point in dist.entry_points:
        loaded = entry_point.load()
        found["entry_points"][f"{entry_point.group}:{entry_point.name}"] = {
            "module": entry_point.module,
            "file": sys.modules[entry_point.module].__file__,
        }
        if entry_point.group == "console_scripts":
            found["commands"] = loaded.list_commands(None)
        elif entry_point.name == "csv":
            found["csv_connectors"] = [
                c.name for c in loaded.funnelsync_register_connectors()
            ]
    print(json.dumps(found))
    """
)


@dataclass(frozen=True)
class Installed:
    """A wheel built from the source tree, and the directory it was installed into."""

    wheel: Path
    site: Path
    workdir: Path

    def names(self) -> list[str]:
        """Every file in the wheel."""
        with zipfile.ZipFile(self.wheel) as archive:
            return archive.namelist()

    def metadata(self, name: str) -> str:
        """The text of ``<dist-info>/<name>`` in the wheel."""
        (path,) = [n for n in self.names() if n.endswith(f".dist-info/{name}")]
        with zipfile.ZipFile(self.wheel) as archive:
            return archive.read(path).decode("utf-8")

    def probe(self, *modules: str) -> dict[str, Any]:
        """Import ``modules`` (and more, see :data:`PROBE`) using only the wheel's files."""
        dependencies = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        env["PYTHONPATH"] = ":".join([str(self.site), *dependencies])
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        result = subprocess.run(
            [sys.executable, "-S", "-c", PROBE, str(self.site), *modules],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        found: dict[str, Any] = json.loads(result.stdout)
        return found


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed (exit {result.returncode}); with --no-index, a build "
        f"that needs to download something fails here:\n{result.stdout}\n{result.stderr}"
    )


def _check_build_backend() -> None:
    """``--no-build-isolation`` uses the venv's setuptools: is it one pyproject accepts?"""
    build_system = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "build-system"
    ]
    for text in build_system["requires"]:
        requirement = Requirement(text)
        # `wheel` is not needed: setuptools >= 70.1 builds wheels itself.
        if requirement.name == "setuptools":
            installed = version("setuptools")
            assert requirement.specifier.contains(installed, prereleases=True), (
                f"pyproject's build-system requires {requirement}, the venv has setuptools "
                f"{installed}; building without isolation would use the wrong one"
            )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel from a copy of the source tree and ``pip install --target`` it."""
    _check_build_backend()
    base = tmp_path_factory.mktemp("packaging")
    source, dist, site, workdir = (base / name for name in ("source", "dist", "site", "work"))
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    workdir.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = ["wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist)]
    _run([*pip, *build, str(source)], cwd=workdir)
    (wheel,) = dist.glob("funnelsync-*.whl")
    _run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], workdir)
    yield Installed(wheel, site, workdir)


def test_the_package_imports_from_the_wheel(installed: Installed) -> None:
    found = installed.probe(
        "funnelsync", "funnelsync.sync", "funnelsync.sync.cli.main", "funnelsync.plugins.csv"
    )
    for name, result in found["imports"].items():
        assert result["ok"], f"import {name} failed: {result['error']}"
        where = result["file"] or result["path"][0]
        assert Path(where).is_relative_to(installed.site), f"{name} came from {where}"


def test_no_generic_top_level_packages(installed: Installed) -> None:
    top_level = {path.name.removesuffix(".py") for path in installed.site.iterdir()}
    assert not top_level & set(GENERIC_NAMES), sorted(top_level)
    assert installed.metadata("top_level.txt").split() == ["funnelsync"]
    outside = [
        name for name in installed.names() if not name.startswith(("funnelsync/", "funnelsync-"))
    ]
    assert outside == []
    found = installed.probe(*GENERIC_NAMES)
    for name in GENERIC_NAMES:
        assert not found["imports"][name]["ok"], f"import {name} worked: {found['imports'][name]}"


def _tracked_source_files() -> list[str]:
    """Files under the source folders that git tracks (every file, outside a git checkout)."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "--", *SOURCE_TO_PACKAGE],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return [
            path.relative_to(ROOT).as_posix()
            for folder in SOURCE_TO_PACKAGE
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        ]
    return result.stdout.splitlines()


def _in_wheel(source_path: str) -> str:
    folder, _, rest = source_path.partition("/")
    return f"{SOURCE_TO_PACKAGE[folder]}/{rest}"


def test_every_module_py_typed_and_template_is_in_the_wheel(installed: Installed) -> None:
    names = set(installed.names())
    assert "funnelsync/py.typed" in names
    templates = sorted(
        path.name for path in (ROOT / "sync" / "workspace" / "templates").glob("*.yaml")
    )
    assert templates, "no templates in sync/workspace/templates"
    for template in templates:
        assert f"funnelsync/sync/workspace/templates/{template}" in names
    shipped = [path for path in _tracked_source_files() if path.endswith(".py")]
    missing = sorted(path for path in shipped if _in_wheel(path) not in names)
    assert missing == [], (
        f"modules left out of the wheel (add their packages to [tool.setuptools]): {missing}"
    )
    found = installed.probe()
    assert all(length > 0 for length in found["templates"].values()), found["templates"]


def test_console_script_and_plugin_entry_points_are_declared(installed: Installed) -> None:
    entry_points = configparser.ConfigParser(delimiters=("=",))
    entry_points.optionxform = str  # type: ignore[assignment,method-assign]
    entry_points.read_string(installed.metadata("entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {"funnelsync": "funnelsync.sync.cli.main:main"}
    declared = dict(entry_points["funnelsync.plugins"])
    assert BUILT_IN_PLUGINS.items() <= declared.items(), declared

    found = installed.probe()
    loaded = found["entry_points"]
    for name, module in BUILT_IN_PLUGINS.items():
        assert loaded[f"funnelsync.plugins:{name}"]["module"] == module
        assert Path(loaded[f"funnelsync.plugins:{name}"]["file"]).is_relative_to(installed.site)
    assert {"init", "validate", "sync", "plan", "demo"} <= set(found["commands"])
    assert found["csv_connectors"] == ["csv"]
