"""Loading plugins: real entry points, real pluggy, broken plugins reported and skipped.

The fake plugins here are real modules written to a temporary directory on ``sys.path``
and loaded through real :class:`importlib.metadata.EntryPoint` objects, so everything
from ``EntryPoint.load`` through pluggy's validation runs as it does for a vendor.
The ``slow`` tests at the end build and install ``examples/plugin-template/``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from funnelsync import ConnectorContext, Lead, LeadWrite, WriteStatus, hookimpl
from funnelsync.config import WorkspaceConfig
from funnelsync.mapping import read_lead
from funnelsync.plugin_manager import (
    ENTRY_POINT_GROUP,
    LoadFailure,
    PluginInfo,
    create_plugins,
)
from funnelsync.run_report import RunReport, RunStatus
from funnelsync.testing import all_check_names

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "examples" / "plugin-template"


class PluginModules:
    """Writes plugin modules into a directory on ``sys.path`` and makes entry points to them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []

    def write(self, module: str, source: str) -> None:
        """Create ``module`` with ``source`` (dedented)."""
        (self.root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        self.written.append(module)

    def connector_plugin(self, module: str, *connector_names: str) -> None:
        """Create ``module``: a plugin registering one minimal connector per name."""
        classes = "".join(
            f"""
            class Connector{i}(Connector):
                name = {name!r}
                settings_model = ConnectorSettings
                capabilities = Capabilities(read_leads=True)
                default_mapping = Mapping()

                def check(self):
                    return CheckResult(True)

                def describe_fields(self):
                    return []
            """
            for i, name in enumerate(connector_names)
        )
        listed = ", ".join(f"Connector{i}" for i in range(len(connector_names)))
        self.write(
            module,
            f"""
            from funnelsync import Capabilities, CheckResult, Connector, ConnectorSettings
            from funnelsync import Mapping, hookimpl
            {classes}

            @hookimpl
            def funnelsync_register_connectors():
                return [{listed}]
            """,
        )


def entry_point(name: str, value: str) -> importlib.metadata.EntryPoint:
    """An entry point in funnelsync's group, as an installed distribution would declare it."""
    return importlib.metadata.EntryPoint(name, value, ENTRY_POINT_GROUP)


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginModules]:
    """A fresh directory on ``sys.path`` for plugin modules, forgotten after the test."""
    monkeypatch.syspath_prepend(tmp_path)
    written = PluginModules(tmp_path)
    yield written
    for module in written.written:
        sys.modules.pop(module, None)


# --- the built-in connector, through the real entry point ------------------------------


def test_builtin_csv_connector_is_found_through_the_real_entry_point() -> None:
    plugins = create_plugins()

    assert [f for f in plugins.failures if f.name == "csv"] == []
    [info] = [p for p in plugins.plugins if p.name == "csv"]
    assert info.distribution == "funnelsync"
    assert info.version == importlib.metadata.version("funnelsync")
    assert info.connectors == ("csv",)
    assert plugins.connector("csv").__module__.startswith("funnelsync.plugins.csv")


# --- fake entry points ------------------------------------------------------------------


def test_a_good_plugin_loads(modules: PluginModules) -> None:
    modules.connector_plugin("fs_good", "good")

    plugins = create_plugins(entry_points=[entry_point("good", "fs_good")])

    assert plugins.failures == []
    assert plugins.plugins == [PluginInfo("good", None, None, ("good",))]
    assert plugins.connector("good").name == "good"
    assert plugins.connector("good").capabilities.names() == ["read_leads"]


def test_an_entry_point_naming_an_attribute_loads_that_object(modules: PluginModules) -> None:
    modules.connector_plugin("fs_inner", "inner")
    modules.write(
        "fs_attr",
        """
        import fs_inner

        class Plugin:
            funnelsync_register_connectors = staticmethod(fs_inner.funnelsync_register_connectors)

        plugin = Plugin()
        """,
    )

    plugins = create_plugins(entry_points=[entry_point("attr", "fs_attr:plugin")])

    assert plugins.failures == []
    assert list(plugins.connectors()) == ["inner"]


def test_a_plugin_that_fails_to_import_is_reported_and_the_others_load(
    modules: PluginModules,
) -> None:
    modules.write("fs_broken", 'raise RuntimeError("vendor SDK is missing")\n')
    modules.connector_plugin("fs_first", "first")
    modules.connector_plugin("fs_last", "last")

    plugins = create_plugins(
        entry_points=[
            entry_point("first", "fs_first"),
            entry_point("broken", "fs_broken"),
            entry_point("absent", "fs_no_such_module"),
            entry_point("last", "fs_last"),
        ]
    )

    assert plugins.failures == [
        LoadFailure("broken", None, "RuntimeError: vendor SDK is missing"),
        LoadFailure("absent", None, "ModuleNotFoundError: No module named 'fs_no_such_module'"),
    ]
    assert [p.name for p in plugins.plugins] == ["first", "last"]
    assert sorted(plugins.connectors()) == ["first", "last"]


def test_a_misspelt_hook_implementation_is_reported_not_fatal(modules: PluginModules) -> None:
    modules.write(
        "fs_typo",
        """
        from funnelsync import hookimpl

        @hookimpl
        def funnelsync_register_conectors():
            return []
        """,
    )
    modules.connector_plugin("fs_after", "after")

    plugins = create_plugins(
        entry_points=[entry_point("typo", "fs_typo"), entry_point("after", "fs_after")]
    )

    [failure] = plugins.failures
    assert failure.name == "typo"
    assert failure.error.startswith("PluginValidationError")
    assert "funnelsync_register_conectors" in failure.error
    assert plugins.pm.get_plugin("typo") is None
    assert [p.name for p in plugins.plugins] == ["after"]


def test_a_hook_implementation_with_a_wrong_argument_is_reported(modules: PluginModules) -> None:
    modules.write(
        "fs_bad_args",
        """
        from funnelsync import hookimpl

        @hookimpl
        def funnelsync_stage_changed(lead, previous_stage, new_stage):
            pass
        """,
    )

    plugins = create_plugins(entry_points=[entry_point("bad_args", "fs_bad_args")])

    [failure] = plugins.failures
    assert failure.error.startswith("PluginValidationError")
    assert "previous_stage" in failure.error
    assert plugins.plugins == []


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("[dict]", "TypeError: <class 'dict'> is not a Connector subclass"),
        ('["csv"]', "TypeError: 'csv' is not a Connector subclass"),
        ("Good", "TypeError: funnelsync_register_connectors must return a list of classes"),
        ("[Good, Good]", "ValueError: connector name 'good' registered twice"),
    ],
)
def test_a_plugin_returning_something_other_than_connector_classes_is_reported(
    modules: PluginModules, returned: str, message: str
) -> None:
    modules.connector_plugin("fs_good", "good")
    modules.write(
        "fs_wrong",
        f"""
        from funnelsync import hookimpl
        from fs_good import Connector0 as Good

        @hookimpl
        def funnelsync_register_connectors():
            return {returned}
        """,
    )

    plugins = create_plugins(entry_points=[entry_point("wrong", "fs_wrong")])

    [failure] = plugins.failures
    assert failure.name == "wrong"
    assert message in failure.error
    assert plugins.plugins == []
    assert plugins.connectors() == {}
    assert plugins.pm.get_plugin("wrong") is None


def test_a_second_plugin_registering_a_taken_connector_name_is_reported(
    modules: PluginModules,
) -> None:
    modules.connector_plugin("fs_one", "shared")
    modules.connector_plugin("fs_two", "shared", "extra")

    plugins = create_plugins(
        entry_points=[entry_point("one", "fs_one"), entry_point("two", "fs_two")]
    )

    assert plugins.failures == [
        LoadFailure("two", None, "ValueError: connector name(s) already registered: shared")
    ]
    assert plugins.plugins == [PluginInfo("one", None, None, ("shared",))]
    assert plugins.connector("shared").__module__ == "fs_one"
    assert "extra" not in plugins.connectors()  # nothing of the refused plugin is kept
    assert plugins.pm.get_plugin("two") is None


def test_unknown_connector_name_lists_the_installed_ones(modules: PluginModules) -> None:
    modules.connector_plugin("fs_ab", "beta", "alpha")
    plugins = create_plugins(entry_points=[entry_point("ab", "fs_ab")])

    with pytest.raises(KeyError, match=r"no connector named 'nope' \(installed: alpha, beta\)"):
        plugins.connector("nope")
    with pytest.raises(KeyError, match=r"installed: none"):
        create_plugins(entry_points=[]).connector("csv")


# --- notification hooks -----------------------------------------------------------------


class Spy:
    """An in-process plugin that records every notification it gets."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def funnelsync_record_quarantined(self, connection: str, location: str, reason: str) -> None:
        self.calls.append(("quarantined", (connection, location, reason)))

    @hookimpl
    def funnelsync_stage_changed(self, lead: Lead, old_stage: str | None, new_stage: str) -> None:
        self.calls.append(("stage", (lead.email, old_stage, new_stage)))

    @hookimpl
    def funnelsync_run_finished(self, report: RunReport) -> None:
        self.calls.append(("finished", report.run_id))


def test_notification_hooks_reach_an_in_process_plugin() -> None:
    spy = Spy()
    plugins = create_plugins(entry_points=[], extra=[("spy", spy)])
    report = RunReport(
        run_id="run-1",
        status=RunStatus.ok,
        started_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        duration_s=1.5,
        connections={},
        leads=1,
        stages={"mql": 1},
        mqls=1,
    )

    plugins.record_quarantined("crm", "leads.csv:3", "email: not an address")
    plugins.stage_changed(Lead(email="ada@example.com"), None, "mql")
    config = WorkspaceConfig.model_validate(
        {"contract": "contract.yaml", "connections": {"crm": {"connector": "csv"}}}
    )
    plugins.run_finished(report, config)

    assert plugins.failures == []
    assert plugins.plugins == [PluginInfo("spy", None, None, ())]
    assert spy.calls == [
        ("quarantined", ("crm", "leads.csv:3", "email: not an address")),
        ("stage", ("ada@example.com", None, "mql")),
        ("finished", "run-1"),
    ]


# --- the example plugin, built and installed like a vendor's (slow) ---------------------


def _builds_wheels_offline() -> bool:
    """Whether this interpreter's setuptools can build a wheel itself (70.1+ ships bdist_wheel).

    If so the template is built with ``--no-build-isolation`` and nothing is downloaded;
    otherwise pip sets up an isolated build environment from the package index.
    """
    try:
        files = importlib.metadata.files("setuptools") or []
    except importlib.metadata.PackageNotFoundError:
        return False
    return any(str(file) == "setuptools/command/bdist_wheel.py" for file in files)


@pytest.fixture(scope="module")
def template_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``examples/plugin-template`` installed with pip into a directory of its own.

    Built from a copy, so the build leaves nothing in the repository; installed with
    ``--target``, so the project's virtualenv never sees it.
    """
    root = tmp_path_factory.mktemp("template")
    source, site = root / "source", root / "site"
    shutil.copytree(
        TEMPLATE,
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    if _builds_wheels_offline():
        command += ["--no-build-isolation", "--no-index"]
    command += ["--target", str(site), str(source)]
    built = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    return site


def _env_with(site: Path) -> dict[str, str]:
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


_LIST_PLUGINS = """
import inspect, json
from funnelsync.plugin_manager import create_plugins

plugins = create_plugins()
print(json.dumps({
    "plugins": [
        [p.name, p.distribution, p.version, list(p.connectors)] for p in plugins.plugins
    ],
    "failures": [f.name for f in plugins.failures],
    "files": {name: inspect.getfile(cls) for name, cls in plugins.connectors().items()},
}))
"""


@pytest.mark.slow
def test_installed_template_is_found_through_its_entry_point(template_site: Path) -> None:
    listed = subprocess.run(
        [sys.executable, "-c", _LIST_PLUGINS],
        env=_env_with(template_site),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(listed.stdout)

    assert ["jsonl", "funnelsync-jsonl-connector", "0.1.0", ["jsonl"]] in found["plugins"]
    assert "jsonl" not in found["failures"]
    assert Path(found["files"]["jsonl"]).is_relative_to(template_site)


@pytest.mark.slow
def test_installed_template_is_listed_by_the_cli(template_site: Path) -> None:
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from funnelsync.sync.cli.main import main; main()",
            "plugins",
            "--json",
        ],
        env=_env_with(template_site),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)

    [jsonl] = [p for p in document["plugins"] if p["name"] == "jsonl"]
    assert jsonl["distribution"] == "funnelsync-jsonl-connector"
    assert jsonl["connectors"] == [{"name": "jsonl", "capabilities": ["read_leads", "write_leads"]}]


@pytest.mark.slow
def test_installed_template_passes_its_own_tests(template_site: Path) -> None:
    source = template_site.parent / "source"
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=source,
        env=_env_with(template_site),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    checks = len(all_check_names()) - 2  # less the two its conftest names not applicable
    assert f"{checks + 3} passed" in ran.stdout  # the conformance kit, then its own 3 tests


@pytest.fixture
def jsonl_package(template_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """``funnelsync_jsonl`` imported in this process from the installed copy."""
    monkeypatch.syspath_prepend(template_site)
    package = importlib.import_module("funnelsync_jsonl")
    assert Path(str(package.__file__)).is_relative_to(template_site)
    yield package
    for name in [m for m in sys.modules if m.split(".")[0] == "funnelsync_jsonl"]:
        del sys.modules[name]


@pytest.mark.slow
def test_installed_template_reads_and_writes_a_file(
    jsonl_package: ModuleType, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    leads = data / "leads.jsonl"
    leads.write_bytes(
        b'{"email": " Ada@Example.com ", "title": "CTO", "company_size": 40}\n'
        b"\n"
        b'{"email": "bob@example.com", "created_at": "2024-01-02T03:04:05Z"}\n'
        b"{not json\n"
        b'["an", "array"]\n'
        b'{"first_name": "Nameless"}\n'
    )
    settings = jsonl_package.JsonlSettings(path="data/leads.jsonl")
    connector = jsonl_package.JsonlConnector(settings, ConnectorContext("files", tmp_path))
    assert connector.check().ok

    [batch] = connector.read_leads(None)

    assert [(r.record_id, r.location) for r in batch.records] == [
        ("Ada@Example.com", "leads.jsonl:1"),
        ("bob@example.com", "leads.jsonl:3"),
        ("", "leads.jsonl:6"),  # no email: the engine's mapping quarantines it
    ]
    assert [(r.location, r.payload) for r in batch.rejected] == [
        ("leads.jsonl:4", "{not json"),
        ("leads.jsonl:5", '["an", "array"]'),
    ]
    assert batch.rejected[0].reason.startswith("not valid JSON")
    assert batch.rejected[1].reason == "expected a JSON object, got list"
    ada = read_lead(connector.default_mapping, batch.records[0].fields)
    assert (ada.email, ada.title, ada.company_size) == ("ada@example.com", "CTO", 40)
    assert list(connector.read_leads(batch.cursor)) == []

    results = connector.write_leads(
        [
            LeadWrite("ada@example.com", "Ada@Example.com", {"score": 72, "stage": "mql"}),
            LeadWrite("BOB@example.com", None, {"stage": "lead"}),
            LeadWrite("cy@example.com", None, {"stage": "subscriber"}),
            LeadWrite("dee@example.com", None, {"score": object()}),
        ]
    )

    assert [(r.key, r.status, r.record_id) for r in results] == [
        ("ada@example.com", WriteStatus.ok, "Ada@Example.com"),
        ("BOB@example.com", WriteStatus.ok, "bob@example.com"),
        ("cy@example.com", WriteStatus.ok, "cy@example.com"),
        ("dee@example.com", WriteStatus.rejected, None),
    ]
    lines = leads.read_text(encoding="utf-8").splitlines()
    ada_after = {"email": " Ada@Example.com ", "title": "CTO", "company_size": 40}
    assert [json.loads(line) for line in lines if line.startswith('{"')] == [
        {**ada_after, "score": 72, "stage": "mql"},
        {"email": "bob@example.com", "created_at": "2024-01-02T03:04:05Z", "stage": "lead"},
        {"first_name": "Nameless"},
        {"email": "cy@example.com", "stage": "subscriber"},
    ]
    assert lines[2:4] == ["{not json", '["an", "array"]']  # kept, unparsed, where they were
    assert sorted(p.name for p in data.iterdir()) == ["leads.jsonl"]  # no temporary file left

    [again] = connector.read_leads(batch.cursor)
    assert again.cursor != batch.cursor
    assert len(again.records) == 4
