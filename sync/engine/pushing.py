"""Writing a connection's plan in batches and recording each batch as it lands.

Each batch's successful writes are committed to the state store (ledger, new links,
audit) right after the system confirms them. Writes the system asks to retry are retried
with backoff within a time budget, then left for the next run; refused ones are
quarantined with the system's message.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, overload

from funnelsync.connector import (
    BudgetExhaustedError,
    Connector,
    LeadWrite,
    WriteResult,
    WriteStatus,
)
from funnelsync.retry import RetryableError, retrying
from funnelsync.sync.engine.canonical import CurrentRecord
from funnelsync.sync.engine.kept import marks_after_write
from funnelsync.sync.engine.planned_writes import PlannedWrite
from funnelsync.sync.engine.planning import ConnectionPlan
from funnelsync.sync.engine.progress import ProgressSink
from funnelsync.sync.state.kept import Mark, save_kept_values
from funnelsync.sync.state.store import NewQuarantine, RecordKey, StateStore

_JSON = json.JSONEncoder(default=str)
"""``json.dumps(…, default=str)``, made once."""


@dataclass(slots=True)
class PushOutcome:
    """What happened to one connection's writes."""

    created: int = 0
    updated: int = 0
    quarantined: list[NewQuarantine] = field(default_factory=list)
    written: set[str] = field(default_factory=set)
    """The ids of the records written."""
    stopped: str | None = None
    """Why writing stopped early (the API budget), if it did."""
    retry_later: int = 0
    held: list[NewQuarantine] = field(default_factory=list)
    """Writes not sent because the API budget was spent: listed (``held: API budget…``)
    with the quarantine, but not counted as quarantined."""
    refused: int = 0
    """Writes the system refused (quarantined with its message)."""
    notes: Counter[str] = field(default_factory=Counter)
    """Messages the system attached to writes that landed (e.g. a value it kept), by count."""
    missing: list[RecordKey] = field(default_factory=list)
    """Records the system no longer has (deleted there): to unlink, not to re-create."""


def _rounds(keys: Iterable[str]) -> list[int]:
    """Each write's round, from the writes' keys in plan order, so no key repeats within a
    round (two records of one person): a write goes in the first round its key is not yet
    in, the round numbered by how many writes before it have its key."""
    seen: dict[str, int] = {}
    rounds = []
    for key in keys:
        count = seen.get(key, 0)
        seen[key] = count + 1
        rounds.append(count)
    return rounds


def _batches(
    writes: Sequence[PlannedWrite], rounds: list[int], size: int | None
) -> Iterator[Sequence[PlannedWrite]]:
    """The writes round by round, in plan order, in batches of ``size``; only a batch at a
    time is held. Without a size, each round is one batch read as it is iterated (so a
    plan held packed is unpacked as the connector goes)."""
    for number in range(max(rounds, default=-1) + 1):
        if not size:
            yield _Round(writes, rounds, number)
            continue
        in_round = _in_round(writes, rounds, number)
        while batch := list(islice(in_round, size)):
            yield batch


def _in_round(
    writes: Sequence[PlannedWrite], rounds: list[int], number: int
) -> Iterator[PlannedWrite]:
    """The writes of round ``number``, in plan order. Nearly every write is in the first
    round, read straight through; a later round's few are read by index (so a plan held
    packed unpacks only the chunks holding them)."""
    if number == 0:
        return (planned for planned, r in zip(writes, rounds, strict=True) if r == 0)
    return (writes[index] for index, r in enumerate(rounds) if r == number)


class _Round(Sequence[PlannedWrite]):
    """One round of a plan's writes, in plan order, read from the plan as it is iterated."""

    def __init__(self, writes: Sequence[PlannedWrite], rounds: list[int], number: int) -> None:
        self._writes = writes
        self._rounds = rounds
        self._number = number
        self._length = rounds.count(number)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[PlannedWrite]:
        return _in_round(self._writes, self._rounds, self._number)

    @overload
    def __getitem__(self, index: int) -> PlannedWrite: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PlannedWrite]: ...

    def __getitem__(self, index: int | slice) -> PlannedWrite | Sequence[PlannedWrite]:
        return list(self)[index]


class _LeadWrites(Sequence[LeadWrite]):
    """The writes of a batch of planned writes, read from it as they are iterated."""

    def __init__(self, batch: Sequence[PlannedWrite]) -> None:
        self._batch = batch

    def __len__(self) -> int:
        return len(self._batch)

    def __iter__(self) -> Iterator[LeadWrite]:
        return (planned.write for planned in self._batch)

    @overload
    def __getitem__(self, index: int) -> LeadWrite: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[LeadWrite]: ...

    def __getitem__(self, index: int | slice) -> LeadWrite | Sequence[LeadWrite]:
        if isinstance(index, slice):
            return [planned.write for planned in self._batch[index]]
        return self._batch[index].write


def _write(
    connector: Connector, batch: Sequence[PlannedWrite], budget_s: float
) -> tuple[dict[str, WriteResult], BudgetExhaustedError | None]:
    """Results by key, retrying the writes the system asked to retry.

    When the API budget runs out during a retry, the results so far are kept and the
    budget error is returned with them.
    """
    results: dict[str, WriteResult] = {}
    pending: Sequence[LeadWrite] = _LeadWrites(batch)
    try:
        for attempt in retrying(attempts=4, budget_s=budget_s):
            with attempt:
                answered = len(results)
                for result in connector.write_leads(pending):
                    results[result.key] = result
                if not answered and len(results) == len(pending) and not _any_retryable(results):
                    return results, None  # one answer a write (keys differ in a batch), all final
                pending = [
                    write
                    for write in pending
                    if write.key not in results
                    or results[write.key].status is WriteStatus.retryable
                ]
                if pending:
                    raise RetryableError(f"{len(pending)} writes to retry")
    except RetryableError:
        pass
    except BudgetExhaustedError as exc:
        return results, exc
    return results, None


def _any_retryable(results: Mapping[str, WriteResult]) -> bool:
    return any(result.status is WriteStatus.retryable for result in results.values())


def push_connection(
    connector: Connector,
    name: str,
    plan: ConnectionPlan,
    refused_before: Set[str],
    current: Mapping[RecordKey, CurrentRecord],
    store: StateStore,
    run_id: str,
    at: str,
    progress: ProgressSink,
    stop: threading.Event | None = None,
    retry_budget_s: float = 60.0,
) -> PushOutcome:
    """Write ``plan`` to one connection and record what landed.

    ``refused_before`` holds the quarantine keys of this connection's earlier refused
    writes; those that now land leave the quarantine.

    Between batches, a set ``stop`` event ends the push cleanly (the batch in flight
    finishes and is recorded first).
    """
    outcome = PushOutcome()
    for rejected in plan.rejected:
        write = rejected.write
        refusal = WriteResult(write.key, WriteStatus.rejected, message=rejected.message)
        _quarantine(name, write, refusal, outcome)
    total = len(plan.writes)
    try:
        rounds = _rounds(key for _, key, _ in plan.writes.heads())
        for batch in _batches(plan.writes, rounds, connector.write_batch_size):
            if stop is not None and stop.is_set():
                outcome.stopped = "asked to stop (signal); the rest is written next run"
                return outcome
            results, exhausted = _write(connector, batch, retry_budget_s)
            held = str(exhausted) if exhausted is not None else None
            _record(store, name, batch, results, refused_before, current, run_id, at, outcome, held)
            progress.advance(f"{name}: write", len(batch), total)
            if exhausted is not None:
                outcome.stopped = str(exhausted)
                return outcome
    except BudgetExhaustedError as exc:
        outcome.stopped = str(exc)
    return outcome


def _record(
    store: StateStore,
    name: str,
    batch: Sequence[PlannedWrite],
    results: Mapping[str, WriteResult],
    refused_before: Set[str],
    current: Mapping[RecordKey, CurrentRecord],
    run_id: str,
    at: str,
    outcome: PushOutcome,
    held: str | None = None,
) -> None:
    """Commit what landed; quarantine what was refused or left for later. ``held`` is why
    the writes without a result were not sent (the API budget ran out), if they were not.

    The batch is read once, as the commit stores its ledger and audit rows a chunk at a
    time (a batch of every write to a file is not held)."""
    marks: dict[RecordKey, dict[str, Mark]] = {}
    links: list[tuple[RecordKey, int]] = []
    resolved: list[RecordKey] = []

    def landed() -> Iterator[tuple[tuple[RecordKey, dict[str, Any]], dict[str, Any]]]:
        """The ledger and audit rows of each write that landed; the rest is quarantined."""
        for planned in batch:
            write = planned.write
            result = results.get(write.key)
            if result is None and held is not None:
                result = WriteResult(write.key, WriteStatus.held, message=held)
            if result is not None and result.status is WriteStatus.missing and write.record_id:
                outcome.missing.append((name, write.record_id))
                continue
            if result is None or result.status is not WriteStatus.ok:
                _quarantine(name, write, result, outcome)
                continue
            if result.message:
                outcome.notes[result.message] += 1
            record_id = result.record_id or write.record_id or write.key
            key = (name, record_id)
            before = current.get((name, write.record_id or record_id))
            if result.kept or (before is not None and before.kept):
                marks[key] = marks_after_write(
                    before.kept if before else {}, write.fields, result.kept
                )
            creates = planned.creates
            if creates:
                outcome.created += 1
            else:
                outcome.updated += 1
            if creates or record_id != write.record_id:
                # New, or the system wrote elsewhere (a converted lead's contact): link it.
                links.append((key, planned.person_id))
            outcome.written.add(record_id)
            quarantine_key = write.record_id or f"new:{write.key}"
            if quarantine_key in refused_before:
                resolved.append((name, quarantine_key))
            fields = {**(before.fields if before else {}), **write.fields, **result.kept}
            audit = {
                "run_id": run_id,
                "at": at,
                "connection": name,
                "record_id": record_id,
                "person_id": planned.person_id,
                "action": "create" if creates else "update",
                "changes": _JSON.encode(
                    {f: [planned.old.get(f), v] for f, v in write.fields.items()}
                ),
                "reason": planned.reason,
            }
            yield (key, fields), audit

    store.commit_writes(run_id, landed(), links, resolved)
    # After the ledger: a crash in between only lets the kept value's note show once more.
    save_kept_values(store.engine, marks)


def _quarantine(
    name: str, write: LeadWrite, result: WriteResult | None, outcome: PushOutcome
) -> None:
    """List a write that did not land: refused, left for later, or held (the API budget)."""
    status = result.status if result else WriteStatus.retryable
    message = (result.message if result else None) or "the system gave no result"
    if status is WriteStatus.retryable:
        outcome.retry_later += 1
    elif status is WriteStatus.rejected:
        outcome.refused += 1
    if status is WriteStatus.held:
        outcome.stopped = outcome.stopped or message
    listed = outcome.held if status is WriteStatus.held else outcome.quarantined
    listed.append(
        NewQuarantine(
            name,
            write.record_id or f"new:{write.key}",
            "write",
            write.record_id or write.key,
            f"{status.value}: {message}",
            json.dumps(dict(write.fields), default=str),
        )
    )
