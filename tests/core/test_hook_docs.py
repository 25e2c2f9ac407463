"""``docs/plugins.md`` documents every hook exactly as declared, and nothing else.

After datasette's ``tests/test_docs.py``: a hook added, renamed or changed in
``funnelsync.hookspecs`` fails here until the vendor documentation says the same.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from funnelsync import hookspecs
from funnelsync.connector import Connector

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
NOT_HOOKS = frozenset({"funnelsync_jsonl", "funnelsync_target", "funnelsync_not_applicable"})
"""Names the page uses that look like hooks but are not (the template's package, the
conformance kit's fixture and its conftest dictionary)."""

CONNECTOR_METHODS = (
    "__init__",
    "check",
    "describe_fields",
    "read_leads",
    "read_activities",
    "read_activity_rows",
    "read_deletions",
    "write_leads",
    "write_activities",
    "find_activities",
    "takes_activities",
    "create_defaults",
    "create_fields",
    "local_fields",
    "local_problems",
    "validate_mapping",
    "close",
)
"""The connector interface the page documents, in the order it documents it."""

SPEC_ATTRIBUTE = f"{hookspecs.PROJECT}_spec"
"""Where pluggy keeps a hookspec's options (``firstresult``…)."""

HOOKS: dict[str, Callable[..., Any]] = {
    name: function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("funnelsync_")
}


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


def rendered_signature(function: Callable[..., Any]) -> str:
    """``def name(arg: type, ...) -> type:`` with annotations written as in the source.

    The modules use ``from __future__ import annotations``, so ``inspect.signature`` gives
    every annotation as the source text; ``str(signature)`` would quote it.
    """
    signature = inspect.signature(function)
    parameters = []
    for parameter in signature.parameters.values():
        text = parameter.name
        if parameter.annotation is not inspect.Parameter.empty:
            assert isinstance(parameter.annotation, str), parameter
            text += f": {parameter.annotation}"
        if parameter.default is not inspect.Parameter.empty:
            text += f" = {parameter.default!r}"
        parameters.append(text)
    returns = signature.return_annotation
    assert isinstance(returns, str), f"{function.__qualname__} needs a return annotation"
    return f"def {function.__name__}({', '.join(parameters)}) -> {returns}:"


def hook_section(docs: str, name: str) -> str:
    """The text under the heading that names hook ``name``, up to the next heading."""
    match = re.search(rf"^#+ `{name}`\n(.*?)(?=^#|\Z)", docs, re.MULTILINE | re.DOTALL)
    assert match, f"docs/plugins.md has no heading for {name}"
    return match.group(1)


def test_hookspecs_exist() -> None:
    assert "funnelsync_register_connectors" in HOOKS
    assert all(hasattr(function, SPEC_ATTRIBUTE) for function in HOOKS.values())


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_docstring(name: str) -> None:
    assert inspect.getdoc(HOOKS[name]), f"hookspec {name} has no docstring"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented_with_its_exact_signature(docs: str, name: str) -> None:
    section = hook_section(docs, name)
    signature = rendered_signature(HOOKS[name])
    assert f"```python\n{signature}\n```" in section, f"expected in docs:\n{signature}"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_docs_say_whether_the_hook_is_firstresult(docs: str, name: str) -> None:
    firstresult = getattr(HOOKS[name], SPEC_ATTRIBUTE)["firstresult"]
    expected = f"**firstresult:** {'yes' if firstresult else 'no'}."
    assert expected in hook_section(docs, name)


def test_docs_mention_no_hook_that_does_not_exist(docs: str) -> None:
    mentioned = set(re.findall(r"\bfunnelsync_\w+", docs)) - NOT_HOOKS
    assert mentioned - set(HOOKS) == set()


@pytest.mark.parametrize("method", CONNECTOR_METHODS)
def test_connector_method_is_documented_with_its_exact_signature(docs: str, method: str) -> None:
    signature = rendered_signature(getattr(Connector, method))
    assert f"```python\n{signature}\n```" in docs, f"expected in docs:\n{signature}"


def test_every_public_connector_method_is_documented() -> None:
    public = {
        name
        for name, member in vars(Connector).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }
    assert public == set(CONNECTOR_METHODS) - {"__init__"}
