"""A parser for the subset of SOQL funnelsync sends.

Supported: ``SELECT f1, Rel.f2 FROM Object [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n]``; conditions are comparisons (``= != <> < <= > >=``),
``[NOT] IN (...)``, ``NOT``, ``AND``/``OR`` and parentheses. As in SOQL, ``AND`` and ``OR``
may not be mixed at one level without parentheses. Literals: quoted strings with SOQL's
backslash escapes, numbers, ``true``/``false``/``null``, datetimes
(``2024-05-01T10:00:00Z``, ``...+01:00``) and dates. Anything else is a
:class:`SoqlError` (``MALFORMED_QUERY``) pointing at the offending column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from funnelsync.plugins.salesforce.emulator.values import ValueTypeError, parse_datetime

_ESCAPES = {
    "n": "\n",
    "N": "\n",
    "r": "\r",
    "R": "\r",
    "t": "\t",
    "T": "\t",
    "b": "\b",
    "B": "\b",
    "f": "\f",
    "F": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\dT])")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_KEYWORDS = frozenset(
    {"select", "from", "where", "and", "or", "not", "in", "order", "by", "asc", "desc"}
    | {"nulls", "first", "last", "limit", "true", "false", "null"}
)


class SoqlError(ValueError):
    """A query the emulator cannot parse; the message follows Salesforce's layout."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """``field op value``; for ``IN``/``NOT IN`` the value is a tuple."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Logical:
    """``AND`` or ``OR`` of its parts."""

    op: str
    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    """``NOT part``."""

    part: Condition


Condition = Comparison | Logical | Negation


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ``ORDER BY`` key."""

    field: str
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed SELECT statement."""

    fields: tuple[str, ...]
    sobject: str
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    """``ident``, ``keyword``, ``string``, ``number``, ``datetime``, ``date``, ``op``, ``punct``"""
    text: str
    value: Any
    column: int


class _Lexer:
    def __init__(self, soql: str) -> None:
        self.soql = soql
        self.pos = 0
        self.tokens: list[_Token] = []

    def error(self, column: int, reason: str) -> SoqlError:
        return malformed(self.soql, column, reason)

    def run(self) -> list[_Token]:
        text = self.soql
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace():
                self.pos += 1
            elif char == "'":
                self._string()
            elif char in "(),":
                self._add("punct", char, char, 1)
            elif any(text.startswith(op, self.pos) for op in _OPERATORS):
                op = next(op for op in _OPERATORS if text.startswith(op, self.pos))
                self._add("op", op, op, len(op))
            elif not self._literal():
                found = _IDENT.match(text, self.pos)
                if found is None:
                    raise self.error(self.pos, f"unexpected token: '{char}'")
                word = found.group()
                kind = "keyword" if word.lower() in _KEYWORDS else "ident"
                self._add(kind, word, word.lower() if kind == "keyword" else word, len(word))
        return self.tokens

    def _add(self, kind: str, text: str, value: Any, width: int) -> None:
        self.tokens.append(_Token(kind, text, value, self.pos))
        self.pos += width

    def _literal(self) -> bool:
        text = self.soql
        for pattern, kind in ((_DATETIME, "datetime"), (_DATE, "date"), (_NUMBER, "number")):
            found = pattern.match(text, self.pos)
            if found is None:
                continue
            raw = found.group()
            try:
                value = _literal_value(kind, raw)
            except ValueError:
                raise self.error(self.pos, f"invalid {kind} literal: {raw}") from None
            self._add(kind, raw, value, len(raw))
            return True
        return False

    def _string(self) -> None:
        text = self.soql
        start = self.pos
        index = start + 1
        chars: list[str] = []
        while index < len(text):
            char = text[index]
            if char == "'":
                self.tokens.append(_Token("string", text[start : index + 1], "".join(chars), start))
                self.pos = index + 1
                return
            if char == "\\":
                escaped = text[index + 1 : index + 2]
                if escaped == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[index + 2 : index + 6]):
                    chars.append(chr(int(text[index + 2 : index + 6], 16)))
                    index += 6
                    continue
                if escaped not in _ESCAPES:
                    raise self.error(index, "Invalid string literal: illegal escape sequence")
                chars.append(_ESCAPES[escaped])
                index += 2
                continue
            chars.append(char)
            index += 1
        raise self.error(start, "unterminated string literal")


def _literal_value(kind: str, raw: str) -> Any:
    if kind == "datetime":
        try:
            return parse_datetime(raw)
        except ValueTypeError as exc:
            raise ValueError(str(exc)) from None
    if kind == "date":
        return date.fromisoformat(raw)
    return float(raw) if "." in raw else int(raw)


def malformed(soql: str, column: int, reason: str) -> SoqlError:
    """A :class:`SoqlError` in Salesforce's layout: the query, a caret, the position."""
    return SoqlError(f"\n{soql}\n{' ' * column}^\nERROR at Row:1:Column:{column + 1}\n{reason}")


class _Parser:
    def __init__(self, soql: str, tokens: list[_Token]) -> None:
        self.soql = soql
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def error(self, reason: str | None = None) -> SoqlError:
        token = self.peek()
        column = token.column if token else len(self.soql)
        text = token.text if token else "<EOF>"
        return malformed(self.soql, column, reason or f"unexpected token: {text}")

    def next(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error()
        self.index += 1
        return token

    def accept(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.kind in ("keyword", "punct") and token.value in words:
            self.index += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise self.error()

    def ident(self) -> str:
        token = self.next()
        if token.kind != "ident":
            self.index -= 1
            raise self.error()
        return str(token.text)

    def query(self) -> Query:
        self.expect("select")
        fields = [self.ident()]
        while self.accept(","):
            fields.append(self.ident())
        if self.accept("("):
            raise self.error("functions and subqueries are not supported by the emulator")
        self.expect("from")
        sobject = self.ident()
        where = self.condition() if self.accept("where") else None
        order: list[OrderItem] = []
        if self.accept("order"):
            self.expect("by")
            order.append(self.order_item())
            while self.accept(","):
                order.append(self.order_item())
        limit = None
        if self.accept("limit"):
            token = self.next()
            if token.kind != "number" or not isinstance(token.value, int) or token.value < 0:
                self.index -= 1
                raise self.error()
            limit = token.value
        if self.peek() is not None:
            raise self.error()
        return Query(tuple(fields), sobject, where, tuple(order), limit)

    def order_item(self) -> OrderItem:
        name = self.ident()
        descending = self.accept("desc")
        if not descending:
            self.accept("asc")
        nulls_last = descending
        if self.accept("nulls"):
            if self.accept("last"):
                nulls_last = True
            else:
                self.expect("first")
                nulls_last = False
        return OrderItem(name, descending, nulls_last)

    def condition(self) -> Condition:
        parts = [self.factor()]
        op: str | None = None
        while True:
            token = self.peek()
            if token is None or token.kind != "keyword" or token.value not in ("and", "or"):
                break
            if op is not None and token.value != op:
                raise self.error(f"unexpected token: {token.text.upper()} (use parentheses)")
            op = str(token.value)
            self.index += 1
            parts.append(self.factor())
        return parts[0] if op is None else Logical(op, tuple(parts))

    def factor(self) -> Condition:
        if self.accept("not"):
            return Negation(self.factor())
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        name = self.ident()
        if self.accept("not"):
            self.expect("in")
            return Comparison(name, "not in", self.value_list())
        if self.accept("in"):
            return Comparison(name, "in", self.value_list())
        token = self.next()
        if token.kind != "op":
            self.index -= 1
            raise self.error()
        op = "!=" if token.value == "<>" else str(token.value)
        return Comparison(name, op, self.value())

    def value_list(self) -> tuple[Any, ...]:
        self.expect("(")
        values = [self.value()]
        while self.accept(","):
            values.append(self.value())
        self.expect(")")
        return tuple(values)

    def value(self) -> Any:
        token = self.next()
        if token.kind in ("string", "number", "datetime", "date"):
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.value]
        self.index -= 1
        raise self.error()


def parse(soql: str) -> Query:
    """Parse ``soql``; :class:`SoqlError` if it is not in the supported subset."""
    return _Parser(soql, _Lexer(soql).run()).query()
