"""``${VAR}`` in the workspace config: values from the environment.

``${VAR}`` is replaced by the variable's value; ``${VAR:-default}`` falls back to
``default`` when the variable is unset or empty; ``$${`` writes a literal ``${``.
A variable that is unset and has no default is a configuration error at its key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from funnelsync.sync.workspace.errors import ConfigError, ConfigProblem, Loc, key_path, line_for
from funnelsync.sync.workspace.yaml_source import YamlDocument

CONTRACT_SECRET_KEYS = ("owners", "default_channel")
"""The contract's keys whose values may use ``${VAR}``: the hand-off channels."""

_REFERENCE = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate(
    value: Any, environ: Mapping[str, str], loc: Loc = ()
) -> tuple[Any, list[tuple[Loc, str]]]:
    """``value`` with references replaced, and (key path, message) for each missing one."""
    missing: list[tuple[Loc, str]] = []
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name, default = match.group(1), match.group(2)
            found = environ.get(name)
            if found:
                return found
            if default is not None:
                return default
            missing.append((loc, f"environment variable {name} is not set (used as ${{{name}}})"))
            return ""

        return _REFERENCE.sub(replace, value), missing
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[key], found = interpolate(item, environ, (*loc, key))
            missing += found
        return out, missing
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            new, found = interpolate(item, environ, (*loc, index))
            items.append(new)
            missing += found
        return items, missing
    return value, missing


def interpolate_channels(doc: YamlDocument, environ: Mapping[str, str]) -> YamlDocument:
    """The contract ``doc`` with ``${VAR}`` replaced under its hand-off channel keys only
    (the rest of a contract is agreed text, kept as written).

    Raises :class:`ConfigError` naming each unset variable's key.
    """
    if not isinstance(doc.data, dict):
        return doc
    data = dict(doc.data)
    problems = []
    for key in CONTRACT_SECRET_KEYS:
        if key in data:
            data[key], missing = interpolate(data[key], environ, (key,))
            problems += [
                ConfigProblem(doc.path, key_path(loc), message, line_for(doc.lines, loc))
                for loc, message in missing
            ]
    if problems:
        raise ConfigError(problems)
    return YamlDocument(doc.path, data, doc.lines)
