"""The one-line explanation of a lead's stage and score written back for sales to read."""

from __future__ import annotations

from datetime import datetime

from funnelsync.scoring import Score

DEFAULT_MAX_LENGTH = 255


def explain(
    stage_label: str, since: datetime | None, score: Score, max_length: int = DEFAULT_MAX_LENGTH
) -> str:
    """E.g. ``MQL since 2026-11-02 · score 87 (fit 35, engagement 52): VP title +20, …``.

    The breakdown lists the biggest contributions first and is cut, with ``…``, to fit
    ``max_length`` characters.
    """
    head = stage_label if since is None else f"{stage_label} since {since.date().isoformat()}"
    head += f" · score {score.total} (fit {score.fit}, engagement {score.engagement})"
    if len(head) > max_length:
        return head[: max_length - 1] + "…"
    text = head
    for index, part in enumerate(score.parts):
        piece = f"{': ' if index == 0 else ', '}{part.label} {part.points:+d}"
        remaining = len(score.parts) - index - 1
        reserve = 3 if remaining else 0  # room for ", …"
        if len(text) + len(piece) + reserve > max_length:
            suffix = ", …" if index else ": …"
            return text + suffix if len(text) + len(suffix) <= max_length else text
        text += piece
    return text
