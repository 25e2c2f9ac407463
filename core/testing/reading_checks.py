"""Checks of reading: paging to the end, resuming from any cursor, deletions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from funnelsync.connector import Connector, ReadBatch
from funnelsync.testing.checks import ConformanceFailure, Session, check
from funnelsync.testing.dataset import email_field, later_times, paged_times, records_of
from funnelsync.testing.resuming import judge_resume, sample


def _read(connector: Connector, cursor: str | None) -> list[ReadBatch]:
    try:
        return list(connector.read_leads(cursor))
    except Exception as exc:
        raise ConformanceFailure(
            f"read_leads({cursor!r}) raised {type(exc).__name__}: {exc} — reading what the "
            "kit seeded must work"
        ) from exc


def _emails(session: Session, connector: Connector, batches: Sequence[ReadBatch]) -> list[str]:
    return [email for email, _ in records_of(batches, session.factory, email_field(connector))]


def _seeded(session: Session) -> list[str]:
    leads = session.factory.leads(paged_times(session.target.page_size))
    session.target.seed(leads)
    return [lead.email for lead in leads if lead.email is not None]


@check(
    "reads_every_record_once",
    "read_leads(None) pages to the end: every record, once",
    "read_leads",
)
def reads_every_record_once(session: Session) -> None:
    """Every seeded lead comes back exactly once, across all pages."""
    seeded = _seeded(session)
    connector = session.connector()
    batches = _read(connector, None)
    emails = _emails(session, connector, batches)
    missing = set(seeded) - set(emails)
    if missing:
        raise ConformanceFailure(
            f"read_leads(None) returned {len(set(emails))} of {len(seeded)} seeded leads; "
            f"missing {sample(missing)}. Page until the system has no more records (leads "
            "sharing one modification time included)."
        )
    repeated = {email for email, count in Counter(emails).items() if count > 1}
    if repeated:
        raise ConformanceFailure(
            f"read_leads(None) returned {sample(repeated)} more than once. Each record "
            "changed since the cursor must come exactly once per read."
        )
    page_size = session.target.page_size
    pages = sum(1 for batch in batches if batch.records)
    if page_size and pages < 2:
        raise ConformanceFailure(
            f"{len(seeded)} leads came in {pages} batch(es) though the target reads "
            f"{page_size} per page: yield one ReadBatch per page, with the cursor after it."
        )
    if batches and batches[-1].cursor is None:
        raise ConformanceFailure(
            "the last ReadBatch of read_leads has cursor=None, so the next run reads "
            "everything again: give the last batch the cursor after everything read."
        )


@check(
    "resumes_from_every_cursor",
    "read_leads(cursor) from any cursor a batch returned: nothing lost, nothing repeated",
    "read_leads",
)
def resumes_from_every_cursor(session: Session) -> None:
    """From each batch's cursor, exactly the leads of the later batches come back."""
    _seeded(session)
    connector = session.connector()
    batches = _read(connector, None)
    field = email_field(connector)
    for index, batch in enumerate(batches):
        if batch.cursor is None:
            continue
        before = {email for email, _ in records_of(batches[: index + 1], session.factory, field)}
        after = {email for email, _ in records_of(batches[index + 1 :], session.factory, field)}
        again = set(_emails(session, connector, _read(connector, batch.cursor)))
        where = f"resuming from the cursor of batch {index + 1} of {len(batches)}"
        judge_resume(where, "lead(s)", before, after, again)


@check(
    "reads_only_what_changed",
    "read_leads(last cursor) returns nothing new, then exactly the leads added since",
    "read_leads",
)
def reads_only_what_changed(session: Session) -> None:
    """The final cursor covers everything; leads added later come back, and only they."""
    _seeded(session)
    connector = session.connector()
    batches = _read(connector, None)
    cursor = batches[-1].cursor if batches else None
    if cursor is None:
        raise ConformanceFailure(
            "read_leads(None) ended without a cursor: give the last ReadBatch the cursor "
            "after everything read."
        )
    unchanged = _emails(session, connector, _read(connector, cursor))
    if unchanged:
        raise ConformanceFailure(
            f"nothing changed, yet read_leads(last cursor) returned {sample(set(unchanged))}: "
            "the last cursor must cover every record read."
        )
    added = session.factory.leads(later_times(3))
    session.target.seed(added)
    new = _emails(session, connector, _read(connector, cursor))
    expected = {lead.email for lead in added if lead.email is not None}
    if session.target.full_reads:
        new = [email for email in new if email in expected]
    if set(new) != expected or len(new) != len(expected):
        raise ConformanceFailure(
            f"after adding {sample(expected)}, read_leads(last cursor) returned "
            f"{sample(set(new)) or 'none of them'} ({len(new)} records): it must return the "
            "records changed since the cursor, each once."
        )


@check(
    "reports_deletions",
    "with the deletes capability, read_deletions reports deleted ids",
    "deletes",
    "read_leads",
)
def reports_deletions(session: Session) -> None:
    """Deleted records come back from ``read_deletions`` by id; kept ones do not."""
    connector = session.connector()
    delete = session.target.delete
    if delete is None:
        raise ConformanceFailure(
            f"{connector.name} declares deletes, but the target has no delete function: give "
            "ConformanceTarget(delete=...) so the kit can check read_deletions."
        )
    session.target.seed(session.factory.leads(later_times(3)))
    found = records_of(_read(connector, None), session.factory, email_field(connector))
    ids = [record.record_id for _, record in found]
    if len(ids) != 3:
        raise ConformanceFailure(f"read_leads(None) returned {len(ids)} of 3 seeded leads")
    start = [batch.cursor for batch in connector.read_deletions(None)]
    cursor = next((c for c in reversed(start) if c is not None), None)
    delete(ids[:2])
    reported = {r.record_id for b in connector.read_deletions(cursor) for r in b.records}
    if missing := set(ids[:2]) - reported:
        raise ConformanceFailure(
            f"read_deletions did not report the deleted record(s) {sample(missing)}: report "
            "every record deleted since the cursor, with its record_id."
        )
    if ids[2] in reported:
        raise ConformanceFailure(
            f"read_deletions reported {ids[2]}, which was not deleted: report deleted records only."
        )
