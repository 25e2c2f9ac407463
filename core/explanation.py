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
    parts = sorted(score.parts, key=lambda part: -part.points)
    for index, part in enumerate(parts):
        piece = f"{': ' if index == 0 else ', '}{part.label} {part.points:+d}"
        remaining = len(parts) - index - 1
        reserve = 3 if remaining else 0  # room for ", …"
        if len(text) + len(piece) + reserve > max_length:
            suffix = ", …" if index else ": …"
            if len(text) + len(suffix) <= max_length:
                return text + suffix
            # Only the head fits, with less than 3 characters to spare: still mark the cut.
            return text[: max_length - 1] + "…"
        text += piece
    return text
