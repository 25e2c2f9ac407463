"""Cell values: what funnelsync writes into a CSV cell, and formula-injection defusing.

A spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
as a formula. Cells funnelsync writes are defused by prefixing ``'`` (plain numbers such
as ``-5`` or ``+3.2`` are left alone); reading removes that ``'`` again, so every value
round-trips. To keep the round trip exact for text that itself starts with apostrophes
before such a character (``'=x``), the rule looks past all leading apostrophes: writing
adds one, reading removes one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from funnelsync.mapping import NotScalarError, scalar_text

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class UnsupportedValueError(TypeError):
    """A value that has no CSV cell form (only text, numbers, booleans and None do)."""


def to_cell(value: Any) -> str:
    """``value`` as cell text: None → empty, booleans ``true``/``false``, numbers via ``str``."""
    try:
        return scalar_text(value)
    except NotScalarError:
        raise UnsupportedValueError(
            f"a {type(value).__name__} cannot be written to a CSV cell "
            "(expected text, a number, a boolean or nothing)"
        ) from None


def defuse(text: str) -> str:
    """``text`` safe to open in a spreadsheet: prefixed with ``'`` if it looks like a formula."""
    if text.lstrip("'").startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


_MAY_DEFUSE = frozenset(["'", *_FORMULA_STARTS])
"""First characters :func:`defuse` acts on or looks past."""


def cell_text(value: Any) -> str:
    """``defuse(to_cell(value))``: what funnelsync writes in a cell for ``value``."""
    if type(value) is str and (not value or value[0] not in _MAY_DEFUSE):
        return value  # what both give it, without the calls
    return defuse(to_cell(value))


def cells_of(fields: Mapping[str, Any]) -> dict[str, str]:
    """Field → :func:`cell_text` of its value, for every field (the common values spelled
    out here: text that needs no defusing, nothing, whole numbers)."""
    cells = {}
    for name, value in fields.items():
        kind = type(value)
        if kind is str and (not value or value[0] not in _MAY_DEFUSE):
            cells[name] = value
        elif value is None:
            cells[name] = ""
        elif kind is int:  # a plain number (never defused); not a bool
            cells[name] = str(value)
        else:
            cells[name] = cell_text(value)
    return cells


def undefuse(cell: str) -> str:
    """The text :func:`defuse` turned into ``cell`` (``cell`` itself if it was not defused)."""
    if cell.startswith("'") and cell.lstrip("'").startswith(_FORMULA_STARTS):
        return cell[1:]
    return cell
