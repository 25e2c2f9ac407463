"""What a vendor hands the conformance kit: their connector on a system the kit may change.

The one fixture a vendor writes returns a :class:`ConformanceTarget`. Only
``make_connector`` and ``seed`` are required; each optional part serves the checks that
need it, and a check whose part is missing fails with a message naming it (name a check
that cannot apply to the system in ``not_applicable``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from funnelsync.connector import Connector, LeadWrite
from funnelsync.models import Activity, Lead


@dataclass
class ConformanceTarget:
    """A connector factory and the handles the kit needs on the system behind it."""

    make_connector: Callable[[], Connector]
    """A new connector on the system (the kit builds several and closes each)."""
    seed: Callable[[Sequence[Lead]], None]
    """Put these leads into the system as it would hold them, last modified at each lead's
    ``updated_at`` (leads may share one ``updated_at``; the kit relies on that)."""
    page_size: int | None = None
    """Records per page the connector reads (leads and activities); the kit then seeds
    more than two pages. ``None``: the connector reads everything in one page."""
    seed_activities: Callable[[Sequence[Lead], Sequence[Activity]], None] | None = None
    """Put these leads and their activities into the system (needed when
    ``read_activities`` is declared). Each activity names its lead by ``email``, is of
    type ``call``, carries a tag in ``asset`` (keep it where the default mapping reads
    ``asset`` from), and happened and was last modified at ``occurred_at`` (activities may
    share one time)."""
    secrets: Sequence[str] = ()
    """Secret values (tokens, passwords) that must never show in reprs, logs or errors."""
    refused_connector: Callable[[], Connector] | None = None
    """A connector whose credentials the system refuses (their values among ``secrets``)."""
    delete: Callable[[Sequence[str]], None] | None = None
    """Delete these record ids in the system (needed when ``deletes`` is declared)."""
    rejected_fields: Mapping[str, Any] | None = None
    """System field → value the system refuses for a lead (e.g. an invalid email)."""
    busy: Callable[[Sequence[LeadWrite]], AbstractContextManager[None]] | None = None
    """While entered, the system answers these writes with its passing failure (rate
    limit, lock…), however often they are tried; afterwards it answers normally again."""
    detour_values: tuple[str, str] | None = None
    """Two values of the stage field: one ahead, one the system sees as backward."""
    full_reads: bool = False
    """The system keeps no modification times (a plain file): once anything changed, a read
    from a cursor returns every record again. The kit then accepts unchanged records in
    such a read (the engine skips them), but still wants each new one, once."""
    accepts_new_fields: bool = False
    """The system takes any field name on write (a file), so ``validate_mapping`` need not
    refuse unknown fields; the kit checks that a new field is written and read back."""
    system_requests: Callable[[], int] | None = None
    """How many API requests the system has answered so far (emulators count them)."""
    spend_budget: Callable[[], AbstractContextManager[None]] | None = None
    """While entered, the system reports the API budget the connector may use as spent
    (e.g. the day's calls used up to the connector's share); afterwards, as before. The
    connector may learn it from the answer to its first request."""
