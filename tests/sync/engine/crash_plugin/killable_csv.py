"""The ``killable_csv`` connector: the CSV connector, plus numbered kill points.

Every operation below is a *checkpoint*, numbered from 1 in the order the process
reaches it:

- ``read <connection> <stream> <i>/<n>``: a read batch is about to be handed to the
  engine (reads are re-cut into batches of :data:`READ_BATCH` records, so there are
  several; only the last batch of a stream carries the cursor, as the connector
  interface asks);
- ``stage notices``: the engine's first ``funnelsync_stage_changed`` notification of the
  run (everything is read, merged and planned; nothing is written yet);
- ``write <connection> #<i> before`` / ``after``: a :meth:`write_leads` call (at most
  :attr:`KillableCsvConnector.write_batch_size` records) about to reach the file, or
  just landed in it but not yet reported back to the engine;
- ``quarantine notices``: the engine's first ``funnelsync_record_quarantined``
  notification (every write is done and recorded; the run's final commit is not).

With ``$FUNNELSYNC_TEST_TRACE`` set, each checkpoint appends a line
``<number>\\t<label>\\t<detail>`` to that file (the detail of a write checkpoint is
``<n> records, <k> new``: how many of them the call creates). With
``$FUNNELSYNC_TEST_KILL_AT`` set to ``K``, checkpoint ``K`` sends the process SIGKILL: no
``finally``, no ``atexit``, no flush, exactly like ``kill -9``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable, Iterator, Sequence

from funnelsync.connector import Connector, LeadWrite, ReadBatch, RowBatch, WriteResult
from funnelsync.hookspecs import hookimpl
from funnelsync.models import Lead
from funnelsync.plugins.csv.connector import CsvConnector

KILL_AT_ENV = "FUNNELSYNC_TEST_KILL_AT"
TRACE_ENV = "FUNNELSYNC_TEST_TRACE"
READ_BATCH = 50
"""Records per read batch handed to the engine (the CSV connector's own is 5,000)."""
WRITE_BATCH = 7


class _Checkpoints:
    """The process-wide operation counter."""

    def __init__(self) -> None:
        self.count = 0
        self.fired: set[str] = set()

    def reach(self, label: str, detail: str = "") -> None:
        """Count one operation; trace it; die here if it is the one to die at."""
        self.count += 1
        trace = os.environ.get(TRACE_ENV)
        if trace:
            with open(trace, "a", encoding="utf-8") as out:
                out.write(f"{self.count}\t{label}\t{detail}\n")
        kill_at = os.environ.get(KILL_AT_ENV)
        if kill_at and int(kill_at) == self.count:
            os.kill(os.getpid(), signal.SIGKILL)

    def once(self, label: str) -> None:
        """A checkpoint counted only the first time ``label`` is reached in this process."""
        if label not in self.fired:
            self.fired.add(label)
            self.reach(label)


CHECKPOINTS = _Checkpoints()


def _split(batch: ReadBatch, size: int) -> list[ReadBatch]:
    """``batch`` as batches of at most ``size`` records; only the last carries its cursor."""
    records = batch.records
    pieces = [
        ReadBatch(records=records[start : start + size])
        for start in range(0, max(len(records), 1), size)
    ]
    pieces[0].rejected = list(batch.rejected)
    pieces[-1].cursor = batch.cursor
    return pieces


def _split_rows(batch: RowBatch, size: int) -> list[RowBatch]:
    """:func:`_split` for a batch of rows."""
    pieces = [
        RowBatch(
            batch.header,
            batch.ids[start : start + size],
            batch.rows[start : start + size],
            batch.locations[start : start + size],
        )
        for start in range(0, max(len(batch.ids), 1), size)
    ]
    pieces[0].rejected = list(batch.rejected)
    pieces[-1].cursor = batch.cursor
    return pieces


class KillableCsvConnector(CsvConnector):
    """:class:`CsvConnector` with small batches and a checkpoint at every operation."""

    name = "killable_csv"
    # CsvConnector leaves this None (one call for all); mypy reads that as its type.
    write_batch_size = WRITE_BATCH  # type: ignore[assignment]

    def _checked(self, stream: str, batches: Iterable[ReadBatch]) -> Iterator[ReadBatch]:
        pieces = [piece for batch in batches for piece in _split(batch, READ_BATCH)]
        for index, piece in enumerate(pieces, start=1):
            CHECKPOINTS.reach(f"read {self.context.connection} {stream} {index}/{len(pieces)}")
            yield piece

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        """The CSV connector's lead batches, re-cut small, one checkpoint each."""
        return self._checked("leads", super().read_leads(cursor))

    def read_activities(self, cursor: str | None) -> Iterator[ReadBatch]:
        """The CSV connector's activity batches, re-cut small, one checkpoint each."""
        return self._checked("activities", super().read_activities(cursor))

    def read_activity_rows(self, cursor: str | None) -> Iterator[RowBatch]:
        """The CSV connector's activity rows, re-cut small, one checkpoint each (the same
        checkpoints as :meth:`read_activities`: a sync reads rows)."""
        batches = super().read_activity_rows(cursor)
        pieces = [piece for batch in batches for piece in _split_rows(batch, READ_BATCH)]
        for index, piece in enumerate(pieces, start=1):
            CHECKPOINTS.reach(f"read {self.context.connection} activities {index}/{len(pieces)}")
            yield piece

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """The CSV connector's upsert, with a checkpoint before it and one after it."""
        number = self.calls.write + 1
        label = f"write {self.context.connection} #{number}"
        detail = f"{len(writes)} records, {sum(w.record_id is None for w in writes)} new"
        CHECKPOINTS.reach(f"{label} before", detail)
        results = super().write_leads(writes)
        CHECKPOINTS.reach(f"{label} after", detail)
        return results


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """The connectors of this plugin: :class:`KillableCsvConnector`."""
    return [KillableCsvConnector]


@hookimpl
def funnelsync_stage_changed(lead: Lead, old_stage: str | None, new_stage: str) -> None:
    """First stage notice of the run: the engine has planned and not written yet."""
    CHECKPOINTS.once("stage notices")


@hookimpl
def funnelsync_record_quarantined(connection: str, location: str, reason: str) -> None:
    """First quarantine notice: every write is recorded, the final commit is not made."""
    CHECKPOINTS.once("quarantine notices")
