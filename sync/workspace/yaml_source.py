"""Reading YAML files while remembering the line of every key, for error messages.

Hostile YAML is refused with the file and line before anything is built from it:
nesting deeper than :data:`MAX_DEPTH`, aliases that expand to more than
:data:`MAX_NODES` nodes ("billion laughs") or refer to themselves, a key repeated in one
mapping (both lines are named), NUL in any text, numbers beyond :data:`MAX_NUMBER`, and
characters YAML does not allow (control characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from funnelsync.sync.workspace.errors import ConfigError, ConfigProblem, Loc

MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences, aliases expanded."""
MAX_NODES = 100_000
"""Most nodes a document may hold once its aliases are expanded."""
MAX_NUMBER = 10**15
"""Largest number (in absolute value) a configuration may hold."""
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "<<"


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed YAML file and the line (1-based) where each key path starts."""

    path: Path
    data: Any
    lines: dict[Loc, int]


def _index_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*loc, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*loc, index), lines)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _number(node: yaml.ScalarNode) -> float | None:
    constructor = yaml.SafeLoader("")
    try:
        if node.tag == _INT:
            return float(constructor.construct_yaml_int(node))
        if node.tag == _FLOAT:
            return float(constructor.construct_yaml_float(node))
    except (ValueError, OverflowError):
        return float("inf")
    return None


def _own_problems(node: yaml.Node) -> list[tuple[int, str]]:
    """What is wrong with one node by itself: repeated keys, NUL, huge numbers."""
    problems = []
    if isinstance(node, yaml.ScalarNode):
        if "\0" in node.value:
            problems.append((_line(node), "NUL character in text; remove it"))
        number = _number(node)
        if number is not None and abs(number) > MAX_NUMBER:
            problems.append(
                (_line(node), f"number {node.value[:40]} is out of range (at most {MAX_NUMBER:,})")
            )
    elif isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == _MERGE:
                continue
            line = first.setdefault(key_node.value, _line(key_node))
            if line != _line(key_node):
                problems.append(
                    (
                        _line(key_node),
                        f"key {key_node.value!r} appears twice in one mapping (lines {line} "
                        f"and {_line(key_node)}); keep one",
                    )
                )
    return problems


def _check_graph(root: yaml.Node) -> list[tuple[int, str]]:
    """Problems of every node, and of the document's size and depth with aliases expanded.

    Walks each node once (iteratively, so deep documents cannot exhaust the stack),
    computing how many nodes and how many levels it stands for.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    problems: list[tuple[int, str]] = []
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
            if size[key] > MAX_NODES:
                return [(_line(node), f"aliases expand to more than {MAX_NODES:,} values")]
            if depth[key] > MAX_DEPTH:
                return [(_line(node), f"nested more than {MAX_DEPTH} levels deep")]
            continue
        if key in size:
            continue
        if key in open_nodes:
            return [(_line(node), "an alias refers to the value that contains it")]
        open_nodes.add(key)
        problems += _own_problems(node)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    return problems


def _check_nesting(text: str) -> tuple[int | None, str] | None:
    """The first place nested deeper than :data:`MAX_DEPTH` (before any recursion)."""
    level = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            level += 1
            if level > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                return line, f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(event, yaml.CollectionEndEvent):
            level -= 1
    return None


def _parse(text: str) -> tuple[yaml.Node | None, list[tuple[int | None, str]]]:
    try:
        deep = _check_nesting(text)
        if deep is not None:
            return None, [deep]
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return None, [(line, f"not valid YAML: {exc.problem or exc}")]
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        return None, [(line, f"not valid YAML: character #x{exc.character:04x} is not allowed")]
    except (yaml.YAMLError, RecursionError) as exc:
        return None, [(None, f"not valid YAML: {type(exc).__name__}")]
    if node is None:
        return None, []
    return node, list(_check_graph(node))


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; a missing file or bad YAML raises :class:`ConfigError` with the place."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(path, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(path, "", f"cannot read the file: {exc}")]) from None
    node, problems = _parse(text)
    if problems:
        raise ConfigError([ConfigProblem(path, "", message, line) for line, message in problems])
    lines: dict[Loc, int] = {}
    data: Any = {}
    if node is not None:
        _index_lines(node, (), lines)
        data = yaml.SafeLoader(text).construct_document(node)
    return YamlDocument(path, data if data is not None else {}, lines)
