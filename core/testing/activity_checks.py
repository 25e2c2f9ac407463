"""Checks of reading activities: paging to the end, resuming from any cursor, and each
activity naming its person by an identity key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from funnelsync.connector import Connector, ReadBatch
from funnelsync.mapping import MappingError, read_activity
from funnelsync.models import Lead
from funnelsync.testing.checks import ConformanceFailure, Session, check
from funnelsync.testing.dataset import (
    activities_of,
    asset_field,
    email_field,
    later_times,
    paged_times,
    records_of,
)
from funnelsync.testing.resuming import judge_resume, sample


def _read(connector: Connector, cursor: str | None) -> list[ReadBatch]:
    try:
        return list(connector.read_activities(cursor))
    except Exception as exc:
        raise ConformanceFailure(
            f"read_activities({cursor!r}) raised {type(exc).__name__}: {exc} — reading the "
            "activities the kit seeded must work"
        ) from exc


def _seeded(session: Session, leads: Sequence[Lead]) -> list[str]:
    """Seed ``leads`` with one tagged call each; the tags, in order."""
    session.needs("seed_activities", "puts leads and their activities into the system")
    seed = session.target.seed_activities
    assert seed is not None
    activities = session.factory.activities(leads)
    seed(leads, activities)
    return [str(activity.asset).casefold() for activity in activities]


def _tags(session: Session, connector: Connector, batches: Sequence[ReadBatch]) -> list[str]:
    return [tag for tag, _ in activities_of(batches, session.factory, asset_field(connector))]


@check(
    "reads_every_activity_once",
    "read_activities(None) pages to the end: every activity, once",
    "read_activities",
)
def reads_every_activity_once(session: Session) -> None:
    """More than two pages of activities (many sharing one time) come back, each once."""
    leads = session.factory.leads(paged_times(session.target.page_size))
    seeded = _seeded(session, leads)
    connector = session.connector()
    batches = _read(connector, None)
    tags = _tags(session, connector, batches)
    if missing := set(seeded) - set(tags):
        raise ConformanceFailure(
            f"read_activities(None) returned {len(set(tags))} of {len(seeded)} seeded "
            f"activities; missing {sample(missing)}. Page until the system has no more "
            "(activities sharing one modification time included)."
        )
    if repeated := {tag for tag, count in Counter(tags).items() if count > 1}:
        raise ConformanceFailure(
            f"read_activities(None) returned {sample(repeated)} more than once. Each "
            "activity changed since the cursor must come exactly once per read."
        )
    pages = sum(1 for batch in batches if batch.records)
    if session.target.page_size and pages < 2:
        raise ConformanceFailure(
            f"{len(seeded)} activities came in {pages} batch(es) though the target reads "
            f"{session.target.page_size} per page: yield one ReadBatch per page, with the "
            "cursor after it."
        )
    if batches[-1].cursor is None:
        raise ConformanceFailure(
            "the last ReadBatch of read_activities has cursor=None, so the next run reads "
            "every activity again: give the last batch the cursor after everything read."
        )


@check(
    "resumes_activities_from_every_cursor",
    "read_activities(cursor) from any cursor a batch returned: nothing lost, nothing repeated",
    "read_activities",
)
def resumes_activities_from_every_cursor(session: Session) -> None:
    """From each batch's cursor, exactly the activities of the later batches come back."""
    _seeded(session, session.factory.leads(paged_times(session.target.page_size)))
    connector = session.connector()
    batches = _read(connector, None)
    field = asset_field(connector)
    for index, batch in enumerate(batches):
        if batch.cursor is None:
            continue
        before = {tag for tag, _ in activities_of(batches[: index + 1], session.factory, field)}
        after = {tag for tag, _ in activities_of(batches[index + 1 :], session.factory, field)}
        again = set(_tags(session, connector, _read(connector, batch.cursor)))
        where = f"resuming activities from the cursor of batch {index + 1} of {len(batches)}"
        judge_resume(where, "activities", before, after, again)


@check(
    "activities_name_their_person",
    "each activity read names its person by an identity key the person's lead carries",
    "read_activities",
)
def activities_name_their_person(session: Session) -> None:
    """Mapped by the default mapping, each activity names the lead it was seeded for: by
    email, or by the mapping's ``lead_key`` with a value that lead's record holds."""
    leads = session.factory.leads(later_times(3))
    tags = _seeded(session, leads)
    person = {tag: str(lead.email) for tag, lead in zip(tags, leads, strict=True)}
    connector = session.connector()
    mapping = connector.default_mapping
    held = _lead_values(session, connector) if mapping.lead_key is not None else {}
    found = activities_of(_read(connector, None), session.factory, asset_field(connector))
    if {tag for tag, _ in found} != set(tags):
        raise ConformanceFailure(
            f"read_activities(None) returned {len(found)} of the 3 seeded activities: return "
            "every activity of a person the system holds."
        )
    for tag, record in found:
        try:
            activity = read_activity(mapping, record.fields)
        except MappingError as exc:
            raise ConformanceFailure(
                f"activity {record.location} cannot be read by {connector.name}'s default "
                f"mapping: {exc}. Give each activity record the fields the mapping reads."
            ) from None
        email = person[tag]
        if mapping.lead_key is not None:
            token = str(activity.lead_key)
            value = token.split(":", 1)[1] if ":" in token else token
            ok = value.casefold() in held.get(email, set())
            named = f"{mapping.lead_key.field}={value!r}"
        else:
            ok = activity.email == email
            named = f"email {activity.email!r}"
        if not ok:
            raise ConformanceFailure(
                f"activity {record.location} (seeded for {email}) names its person by "
                f"{named}, which is not that lead's: put the person's email (or the key the "
                "mapping's lead_key names) in the activity record, so funnelsync links it."
            )


def _lead_values(session: Session, connector: Connector) -> dict[str, set[str]]:
    """Each seeded lead's record id and field values (casefolded), by email."""
    values: dict[str, set[str]] = {}
    for email, record in records_of(
        connector.read_leads(None), session.factory, email_field(connector)
    ):
        values[email] = {record.record_id.casefold()} | {
            str(value).casefold() for value in record.fields.values() if value is not None
        }
    return values
