"""Knobs for answers HubSpot's spec and recorded traffic allow but the default emulator
does not give: each one makes the emulator answer one documented way, so the connector
can be tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RateLimitBody = Literal["error_type", "category"]
"""How a 429 body names the limit: ``errorType: RATE_LIMIT`` plus ``policyName`` (as
HubSpot's docs show it), or ``category: RATE_LIMITS`` and the message only (as recorded
real answers carry it)."""


@dataclass
class AnswerVariants:
    """Which of HubSpot's documented answer shapes the emulator gives."""

    upsert_trace_ids: bool = True
    """Batch upserts echo each input's ``objectWriteTraceId`` in its result and error.
    ``False``: results carry none (the spec makes it optional), come in no promised
    order, and each per-record error names its input in ``context.ids`` (the upsert
    key, e.g. the email)."""
    create_trace_ids: bool = True
    """Batch creates (e.g. notes) echo each input's ``objectWriteTraceId``. ``False``:
    results carry none and come in no promised order; errors name ``context.ids``."""
    upsert_key_in_results: bool = True
    """Upsert results' ``properties`` include the ``idProperty`` value (the email).
    ``False``: only the properties written (and HubSpot's defaults), as the spec allows."""
    search_next_at_cap: bool = True
    """The last search page before the result cap still has ``paging.next`` (following
    it is a 400). ``False``: the search stops at the cap without ``paging.next``, while
    ``total`` says how many matched."""
    search_total_extra: int = 0
    """Added to every search answer's ``total``: real answers may carry a ``total`` that
    differs from the results (e.g. ``{"total": 1, "results": []}``)."""
    search_daily_headers: bool = True
    """Search answers carry ``X-HubSpot-RateLimit-Daily`` and ``-Daily-Remaining`` (as
    recorded real answers do); ``False``: no rate-limit headers at all (as the docs say)."""
    rate_limit_body: RateLimitBody = "error_type"
    """The shape of 429 bodies; see :data:`RateLimitBody`."""
