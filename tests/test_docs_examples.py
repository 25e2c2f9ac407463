"""The user documentation's examples are real: they validate, load and compute as shown.

- Every YAML block in ``docs/config.md`` and ``docs/contract.md`` whose first line is
  ``# example: config`` or ``# example: contract`` is a complete file that the real models
  (:class:`WorkspaceConfig`, :class:`FunnelContract`) accept; the first config and
  contract examples also load together as a workspace, with every cross-check.
- Every command ``docs/cli.md`` names as ``funnelsync <name>`` exists, and every command
  of the CLI has a section there that names each of its options and arguments.
- The explanations shown in ``docs/contract.md`` are what scoring, staging and
  :func:`explain` produce for the inputs the page describes.
- Every name ``docs/plugins.md`` gives a vendor imports: ``funnelsync.x.Y`` as written,
  and a bare class name (with any ``.attribute``) from ``funnelsync`` itself; its
  walk-through's conftest runs the conformance kit green, and its table lists every check.
"""

from __future__ import annotations

import builtins
import importlib
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

import funnelsync
from funnelsync.config import ConnectionConfig, WorkspaceConfig
from funnelsync.contract import FunnelContract
from funnelsync.explanation import explain
from funnelsync.models import Activity, Lead
from funnelsync.plugin_manager import create_plugins
from funnelsync.plugins.csv.connector import DEFAULT_MAPPING as CSV_DEFAULT_MAPPING
from funnelsync.run_report import ConnectionCounts, RunReport
from funnelsync.scoring import score_lead
from funnelsync.stages import place_lead
from funnelsync.sync.cli.main import main
from funnelsync.sync.workspace.loading import load_workspace
from funnelsync.testing import all_check_names

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLE_PAGES = ("config.md", "contract.md")
MARKER = re.compile(r"#\s*example:\s*(\S+)")
MODELS: dict[str, Any] = {"config": WorkspaceConfig, "contract": FunnelContract}


@dataclass(frozen=True)
class Block:
    """A fenced code block of a documentation page."""

    page: str
    line: int
    language: str
    text: str

    @property
    def example(self) -> str | None:
        """The kind named by a first line ``# example: <kind>``, if there is one."""
        first = self.text.split("\n", 1)[0].strip()
        found = MARKER.fullmatch(first)
        return found.group(1) if found else None

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def _blocks(page: str) -> list[Block]:
    blocks = []
    language, start, lines = None, 0, []
    for number, line in enumerate((DOCS / page).read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^```(\S*)\s*$", line)
        if language is None and fence:
            language, start, lines = fence.group(1), number, []
        elif language is not None and line.strip() == "```":
            blocks.append(Block(page, start, language, "\n".join(lines) + "\n"))
            language = None
        elif language is not None:
            lines.append(line)
    assert language is None, f"{page}:{start}: unclosed code block"
    return blocks


EXAMPLES = [block for page in EXAMPLE_PAGES for block in _blocks(page) if block.example]


def _first_example(page: str, kind: str) -> Block:
    return next(b for b in _blocks(page) if b.example == kind)


def test_each_page_has_complete_examples() -> None:
    assert any(block.example == "config" for block in _blocks("config.md"))
    assert any(block.example == "contract" for block in _blocks("contract.md"))


@pytest.mark.parametrize("block", EXAMPLES, ids=str)
def test_example_validates(block: Block) -> None:
    assert block.language == "yaml", f"{block}: an example must be a yaml block"
    assert block.example in MODELS, f"{block}: unknown example kind {block.example!r}"
    MODELS[block.example].model_validate(yaml.safe_load(block.text))


def test_examples_load_together_as_a_workspace(tmp_path: Path) -> None:
    """Connection names, stage names, rule kinds and settings agree across the two pages."""
    config = _first_example("config.md", "config")
    contract = _first_example("contract.md", "contract")
    config_path = tmp_path / "funnelsync.yaml"
    config_path.write_text(config.text, encoding="utf-8")
    contract_name = yaml.safe_load(config.text)["contract"]
    (tmp_path / contract_name).write_text(contract.text, encoding="utf-8")
    workspace = load_workspace(config_path, create_plugins())
    assert [c.name for c in workspace.connections] == ["marketing", "sales"]


# --- docs/cli.md ----------------------------------------------------------------------------

CLI_PAGE = DOCS / "cli.md"
COMMAND = re.compile(r"(?:^|\s)funnelsync ([a-z][a-z0-9_-]*)", re.MULTILINE)


def _code_text(page: Path) -> str:
    """The page's inline code spans and code blocks: where commands are written."""
    text = page.read_text(encoding="utf-8")
    blocks = [block.text for block in _blocks(page.name)]
    without_blocks = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", without_blocks)
    return "\n".join([*blocks, *spans])


def _sections(page: Path) -> dict[str, str]:
    """``## `funnelsync <name>``` section → its text."""
    found: dict[str, str] = {}
    name = None
    for line in page.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## `funnelsync ([a-z][a-z0-9_-]*)`\s*$", line)
        if heading:
            name = heading.group(1)
            found[name] = ""
        elif line.startswith("## "):
            name = None
        elif name is not None:
            found[name] += line + "\n"
    return found


def _commands() -> dict[str, click.Command]:
    """Every command of the CLI, loaded (the group loads them on first use)."""
    ctx = click.Context(main)
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def test_every_command_the_page_names_exists() -> None:
    named = set(COMMAND.findall(_code_text(CLI_PAGE)))
    assert named, "docs/cli.md names no `funnelsync <command>`"
    unknown = sorted(named - set(_commands()))
    assert unknown == [], f"docs/cli.md names commands the CLI does not have: {unknown}"


def test_every_command_and_option_is_documented() -> None:
    page = CLI_PAGE.read_text(encoding="utf-8")
    for param in main.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in page, f"the global option {opt} is not documented"
    sections = _sections(CLI_PAGE)
    commands = _commands()
    missing = sorted(set(commands) - set(sections))
    assert missing == [], f"commands without a '## `funnelsync <name>`' section: {missing}"
    for name, command in commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                words = [opt for opt in param.opts if opt.startswith("--")]
            else:
                words = [param.human_readable_name.upper()]
            for word in words:
                assert word in sections[name], f"`funnelsync {name}`: {word} is not documented"


# --- the explanations in docs/contract.md ---------------------------------------------------

RUN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""The run time of the page's examples."""


def _contract() -> FunnelContract:
    block = _first_example("contract.md", "contract")
    return FunnelContract.model_validate(yaml.safe_load(block.text))


def _activities(email: str, *counts: tuple[str, int, int]) -> list[Activity]:
    """``count`` activities of ``type``, ``days`` before the run (minutes apart)."""
    return [
        Activity(email=email, type=kind, occurred_at=RUN - timedelta(days=days, minutes=index))
        for kind, days, count in counts
        for index in range(count)
    ]


def _explained(lead: Lead, activities: list[Activity], previous: str) -> tuple[str, str]:
    contract = _contract()
    kinds = create_plugins().rule_kinds()
    score = score_lead(contract.scoring, lead, activities, RUN, kinds)
    placement = place_lead(contract, lead, score, previous, RUN, kinds)
    stage = contract.stage(placement.stage)
    line = explain(stage.display_name, placement.stage_dates.get(placement.stage), score)
    return line, placement.reason


def test_the_worked_example_computes_as_shown() -> None:
    page = (DOCS / "contract.md").read_text(encoding="utf-8")
    dana = Lead(
        email="dana.whitfield@example.com",
        title="VP Marketing",
        industry="Software",
        company_size=1200,
        country="Germany",
    )
    activities = _activities(
        dana.email,
        ("demo_request", 3, 1),
        ("email_open", 5, 14),
        ("email_click", 12, 3),
        ("content_download", 60, 1),
        ("webinar_attended", 90, 1),
    )
    line, reason = _explained(dana, activities, previous="lead")
    assert f"\n{line}\n" in page, f"the worked example's explanation is now:\n{line}"
    assert f"`{reason}`" in page, f"the worked example's reason is now: {reason}"
    assert f"({len(line)} characters" in page


def test_the_explanation_example_computes_as_shown() -> None:
    page = (DOCS / "contract.md").read_text(encoding="utf-8")
    ravi = Lead(
        email="ravi.menon@example.org",
        title="Head of Data",
        industry="Healthcare",
        company_size=80,
        country="Brazil",
        stage_dates={"mql": datetime(2026, 10, 15, 14, 0, tzinfo=UTC)},
    )
    activities = _activities(ravi.email, ("demo_request", 40, 1), ("email_click", 20, 3))
    line, _ = _explained(ravi, activities, previous="mql")
    assert f"\n{line}\n" in page, f"the explanation example is now:\n{line}"


# --- keys, connectors and default mappings the pages list, checked against the code --------


def _table_keys(page: Path, first_row: str) -> list[str]:
    """The first-column keys of the markdown table that holds a row starting ``first_row``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first_row))
    while lines[start - 1].startswith("|"):
        start -= 1
    keys = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        keys.append(line.split("|")[1].strip().strip("`"))
    return keys


def _field_names(model: type[Any]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def test_the_config_page_lists_every_workspace_and_connection_key() -> None:
    page = DOCS / "config.md"
    assert _table_keys(page, "| `version` |") == _field_names(WorkspaceConfig)
    assert _table_keys(page, "| `connector` |") == _field_names(ConnectionConfig)


def test_the_cli_page_lists_every_run_report_key() -> None:
    assert _table_keys(CLI_PAGE, "| `run_id` |") == _field_names(RunReport)
    assert _table_keys(CLI_PAGE, "| `read` | lead records read |") == _field_names(ConnectionCounts)


def test_the_pages_name_exactly_the_built_in_connectors_and_plugins() -> None:
    plugins = create_plugins()
    connectors = sorted(plugins.connectors())
    row = next(
        line
        for line in (DOCS / "config.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `connector` |")
    )
    built_in = re.search(r"built in: ([^)]*)\)", row)
    assert built_in is not None, row
    assert sorted(re.findall(r"`(\w+)`", built_in.group(1))) == connectors
    section = _sections(CLI_PAGE)["plugins"]
    paragraph = section[section.index("funnelsync's own plugins") :].split("`--json`")[0]
    named = set(re.findall(r"`(\w+)`", paragraph.split("as third-party ones:")[1]))
    assert named - set(plugins.rule_kinds()) == {info.name for info in plugins.plugins}


def test_the_config_page_states_the_csv_default_mapping() -> None:
    text = " ".join((DOCS / "config.md").read_text(encoding="utf-8").split())
    found = re.search(
        r"The `csv` connector's default maps these canonical lead fields to a column of the "
        r"same name: (.*?) \(every canonical lead field but `stage_dates\.\*`\); (.*?) are "
        r"only read\.",
        text,
    )
    assert found is not None, "the csv default mapping sentence is gone from docs/config.md"
    listed = re.findall(r"`(\w+)`", found.group(1))
    lead_fields = CSV_DEFAULT_MAPPING.active_lead_fields()
    assert listed == list(lead_fields)
    assert all(lead_fields[name].field == name for name in listed)
    read_only = [name for name, field_map in lead_fields.items() if not field_map.writes]
    assert re.findall(r"`(\w+)`", found.group(2)) == read_only


# --- docs/plugins.md: the names a vendor uses, and the conformance walk-through ----------

PLUGINS_PAGE = DOCS / "plugins.md"
QUALIFIED = re.compile(r"funnelsync(?:\.\w+)+")
CLASS_NAME = re.compile(r"([A-Z]\w*)(?:\.(\w+))?(?:\(.*\))?")
IMPORT = re.compile(r"^ *from (funnelsync(?:\.\w+)*) import (.+)$", re.MULTILINE)
CONFTEST = re.compile(
    r"^( *)```python\n(\1# tests/conftest.py\n.*?)^\1```", re.MULTILINE | re.DOTALL
)


def _inline_code(page: str) -> list[str]:
    """The inline code spans of ``page``, outside fenced blocks."""
    prose = re.sub(r"^ *```.*?^ *```", "", page, flags=re.MULTILINE | re.DOTALL)
    return re.findall(r"`([^`\n]+)`", prose)


def _resolve(dotted: str) -> object:
    """The object ``dotted`` names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part)
        return found
    raise ModuleNotFoundError(dotted)


def _has_attribute(cls: type, name: str) -> bool:
    """A class attribute, or one declared by annotation (dataclass, pydantic, instance)."""
    declared = (vars(kind).get("__annotations__", {}) for kind in cls.__mro__)
    return hasattr(cls, name) or any(name in annotations for annotations in declared)


def test_every_name_the_plugin_docs_give_is_importable() -> None:
    page = PLUGINS_PAGE.read_text(encoding="utf-8")
    spans = _inline_code(page)
    qualified = {span for span in spans if QUALIFIED.fullmatch(span.removesuffix("()"))}
    qualified_names = {span.removesuffix("()").rsplit(".", 1)[-1] for span in qualified}
    problems = []
    for span in sorted(qualified):
        try:
            _resolve(span.removesuffix("()"))
        except (ImportError, AttributeError) as exc:
            problems.append(f"`{span}`: {exc}")
    for span in spans:
        match = CLASS_NAME.fullmatch(span)
        if not match or match.group(1) in qualified_names or hasattr(builtins, match.group(1)):
            continue
        name, attribute = match.groups()
        if name not in funnelsync.__all__:
            problems.append(f"`{span}`: funnelsync exports no {name}")
        elif attribute and not _has_attribute(getattr(funnelsync, name), attribute):
            problems.append(f"`{span}`: funnelsync.{name} has no attribute {attribute}")
    for module, names in IMPORT.findall(page):
        for name in (part.strip() for part in names.split(",")):
            if not hasattr(importlib.import_module(module), name):
                problems.append(f"from {module} import {name}: no such name")
    assert not problems, "docs/plugins.md names what does not exist:\n" + "\n".join(problems)
    for needed in ("AuthenticationError", "BudgetExhaustedError", "MappingRejectedError"):
        assert needed in spans, f"docs/plugins.md does not document {needed}"
    for needed in ("Connector.calls", "LeadWrite.detour", "FieldMapping"):
        assert needed in page, f"docs/plugins.md does not document {needed}"


def test_the_plugin_docs_say_connector_not_type() -> None:
    pages = [*DOCS.rglob("*.md"), *(DOCS.parent / "examples").rglob("*.md")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "connection's `type`" not in text, page
        assert "write as `type:`" not in text, page


def test_the_plugin_docs_list_every_conformance_check() -> None:
    page = PLUGINS_PAGE.read_text(encoding="utf-8")
    table = page.split("**The checks**", 1)[1].split("\n\n", 2)[1]
    listed = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
    assert listed == all_check_names()


def test_the_conformance_walkthrough_runs_green(tmp_path: Path) -> None:
    """Step 3's conftest beside the template's connector, run as step 4 says."""
    page = PLUGINS_PAGE.read_text(encoding="utf-8")
    found = CONFTEST.search(page)
    assert found, "docs/plugins.md has no ```python block starting # tests/conftest.py"
    (tmp_path / "tests").mkdir()
    conftest = textwrap.dedent(found.group(2))
    (tmp_path / "tests" / "conftest.py").write_text(conftest, encoding="utf-8")
    template_src = DOCS.parent / "examples" / "plugin-template" / "src"
    env = {**os.environ, "PYTHONPATH": str(template_src), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v"]
    run = subprocess.run(
        [*command, "--funnelsync-conformance"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.findall(r"test_conformance\[(\w+)\] PASSED", run.stdout)
    left_out = {"passing_failures_are_retryable", "spent_budget_holds_writes"}
    assert passed == [name for name in all_check_names() if name not in left_out]
    assert "$ pytest --funnelsync-conformance" in page
    for line in re.findall(r"^   (tests/conftest.py::\S+) PASSED$", page, flags=re.MULTILINE):
        assert f"{line} PASSED" in run.stdout
