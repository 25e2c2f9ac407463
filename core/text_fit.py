"""Fitting text into a system's text encoding (a latin-1 CSV export cannot hold ``≥``).

funnelsync's own wording (stage reasons, explanations, the mark of a cut) falls back to
ASCII where the target cannot hold a character; a person's own value that the target
cannot hold is not changed here: the caller rejects that record, naming the character.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ASCII_FALLBACKS: dict[str, str] = {
    "≥": ">=",
    "≤": "<=",
    "…": "...",
    "·": "-",
    "×": "x",
    "—": "-",
    "–": "-",
    "→": "->",
    "\u2018": "'",  # left and right single quotation marks
    "\u2019": "'",
    "\u201c": '"',  # left and right double quotation marks
    "\u201d": '"',
}
"""funnelsync's own non-ASCII characters and what they become where they do not fit."""


@lru_cache(maxsize=64)
def encoding_holds_ascii(encoding: str) -> bool:
    """Whether ``encoding`` can hold every ASCII character (every codec a CSV file uses can)."""
    try:
        "".join(map(chr, range(128))).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def unencodable(text: str, encoding: str) -> str | None:
    """The first character of ``text`` that ``encoding`` cannot hold, or ``None``."""
    if text.isascii() and encoding_holds_ascii(encoding):
        return None
    try:
        text.encode(encoding)
    except UnicodeEncodeError as exc:
        return text[exc.start]
    return None


def _fallback(character: str) -> str:
    if character in ASCII_FALLBACKS:
        return ASCII_FALLBACKS[character]
    stripped = unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode()
    return stripped or "?"


def fit_own_text(text: str, encoding: str, limit: int | None = None) -> str:
    """``text`` with every character ``encoding`` cannot hold replaced by its ASCII
    fallback (``≥`` → ``>=``, ``…`` → ``...``, ``é`` → ``e``, else ``?``); cut again with
    ``...`` if that made it longer than ``limit``."""
    if unencodable(text, encoding) is None:
        return text
    fitted = "".join(
        character if unencodable(character, encoding) is None else _fallback(character)
        for character in text
    )
    if limit is not None and len(fitted) > limit:
        fitted = fitted[: max(limit - 3, 0)] + "..."
    return fitted


def describe_character(character: str) -> str:
    """E.g. ``'Ł' (U+0141 LATIN CAPITAL LETTER L WITH STROKE)``."""
    name = unicodedata.name(character, "")
    return f"{character!r} (U+{ord(character):04X}{' ' + name if name else ''})"
