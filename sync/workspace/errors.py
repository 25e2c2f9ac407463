"""Configuration problems, reported with the file, the line, the key path and what was expected."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a configuration or contract file."""

    file: Path
    key_path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.key_path or '(top level)'}: {self.message}"


class ConfigError(Exception):
    """The workspace configuration is invalid; nothing was read or written."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def key_path(loc: Loc) -> str:
    """``("stages", 2, "entry")`` → ``stages[2].entry``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _candidates(annotation: Any) -> list[Any]:
    """``annotation`` with unions, ``Optional`` and ``Annotated`` flattened out."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        args = typing.get_args(annotation)
        inner = args[:1] if origin is typing.Annotated else args
        return [found for arg in inner for found in _candidates(arg)]
    return [annotation]


def _model_fields(candidate: Any) -> dict[str, Any] | None:
    if isinstance(candidate, type) and issubclass(candidate, BaseModel):
        return {(info.alias or name): info for name, info in candidate.model_fields.items()}
    return None


def _step(annotation: Any, part: str | int) -> Any:
    for candidate in _candidates(annotation):
        fields = _model_fields(candidate)
        if fields is not None and isinstance(part, str) and part in fields:
            return fields[part].annotation
        origin, args = typing.get_origin(candidate), typing.get_args(candidate)
        if origin is list and isinstance(part, int):
            return args[0]
        if origin is dict and isinstance(part, str):
            return args[1]
    return None


def _keys_at(root: type[BaseModel], loc: Loc) -> list[str] | None:
    """The keys allowed in the mapping at ``loc`` under ``root``, if it is a model."""
    annotation: Any = root
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return None
    for candidate in _candidates(annotation):
        fields = _model_fields(candidate)
        if fields is not None:
            return list(fields)
    return None


def _message(root: type[BaseModel], error: Any) -> str:
    loc: Loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        allowed = _keys_at(root, loc[:-1])
        text = f"unknown key {loc[-1]!r}"
        if allowed:
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            if close:
                text += f" (did you mean {close[0]!r}?)"
            text += f"; expected one of: {', '.join(allowed)}"
        return text
    if error["type"] == "missing":
        return "required key is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] not in ("value_error", "assertion_error") and "input" in error:
        given = error["input"]
        if isinstance(given, str | int | float | bool) or given is None:
            message += f" (got {given!r})"
    return message


def problems_from_validation(
    error: ValidationError,
    root: type[BaseModel],
    file: Path,
    lines: dict[Loc, int],
    prefix: Loc = (),
) -> list[ConfigProblem]:
    """Turn pydantic's errors into :class:`ConfigProblem`s naming file, line and key path."""
    problems = []
    for item in error.errors():
        loc: Loc = tuple(item["loc"])
        full = prefix + loc
        problems.append(
            ConfigProblem(file, key_path(full), _message(root, item), line_for(lines, full))
        )
    return problems


def line_for(lines: dict[Loc, int], loc: Iterable[str | int]) -> int | None:
    """The line of the deepest part of ``loc`` that the file has."""
    parts = tuple(loc)
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return lines.get(())
