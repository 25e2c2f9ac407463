"""A record's fields held compactly while a run keeps them: one bytes object, not a dict.

A run holds the fields of every record it reads until its commit (the ledger stores them).
As a dict of strings a record costs about 2 KB; packed with :mod:`marshal` (in memory only,
never stored) it costs about a fifth of that, and unpacking it takes a microsecond or two.
The field names are not packed with each record: records of one system share their names
(in the same order), kept once per process (:data:`MAX_NAME_LISTS` lists at most; fields
with names beyond those are packed with their names).
"""

from __future__ import annotations

import marshal
import threading
from collections.abc import Mapping
from typing import Any

Packed = bytes | Mapping[str, Any]
"""Fields as :func:`pack` keeps them."""

MAX_NAME_LISTS = 4_096
_names: list[tuple[str, ...]] = []
"""The field-name lists met, in the order met (a packed record holds its list's index)."""
_index: dict[tuple[str, ...], int] = {}
_lock = threading.Lock()


def pack(fields: Mapping[str, Any]) -> Packed:
    """``fields`` packed, or ``fields`` themselves if a value is of a type marshal cannot
    hold (a connector may hand back its own types)."""
    names = tuple(fields)
    index = _index.get(names)
    if index is None:
        index = _new_names(names)
    try:
        if index is None:
            return marshal.dumps(fields if type(fields) is dict else dict(fields))
        return marshal.dumps((index, tuple(fields.values())))
    except ValueError:
        return fields


def unpack(packed: Packed) -> Mapping[str, Any]:
    """The fields ``packed`` holds (a new dict each time it was packed)."""
    if isinstance(packed, bytes):
        held = marshal.loads(packed)  # noqa: S302 - our own bytes, in memory
        if type(held) is tuple:
            index, values = held
            return dict(zip(_names[index], values, strict=True))
        fields: dict[str, Any] = held
        return fields
    return packed


def _new_names(names: tuple[str, ...]) -> int | None:
    """The index of a name list not met before, or ``None`` once there are too many."""
    with _lock:
        index = _index.get(names)
        if index is None and len(_names) < MAX_NAME_LISTS:
            index = len(_names)
            _names.append(names)
            _index[names] = index
        return index
