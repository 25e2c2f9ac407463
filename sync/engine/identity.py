"""Who is who: linking each record to one person by stored links, then by email.

A record keeps its person through an email change (the link decides, not the email).
Two records with one email in the same system are both linked to that person, reported,
and all written to; when merging, that system's most recently changed record counts first.
"""

from __future__ import annotations

from collections.abc import Iterable

from funnelsync.sync.engine.reading import ReadRecord
from funnelsync.sync.state.store import Identity, RecordKey


def assign_persons(
    identity: Identity, records: Iterable[ReadRecord]
) -> tuple[dict[RecordKey, int], list[tuple[RecordKey, int]], list[str]]:
    """Person of each read record, the links that are new, and notes for the run report."""
    person_of: dict[RecordKey, int] = {}
    new_links: list[tuple[RecordKey, int]] = []
    notes: list[str] = []
    for record in records:
        email = record.lead.email
        person_id = identity.person_of.get(record.key)
        if person_id is None:
            person_id = identity.person_by_email.get(email)
            if person_id is None:
                person_id = identity.new_person(email)
            twins = [
                key
                for key in identity.records_of.get(person_id, [])
                if key[0] == record.key[0] and key != record.key
            ]
            if twins:
                notes.append(
                    f"{record.key[0]}: records {', '.join(k[1] for k in twins)} and "
                    f"{record.key[1]} share the email {email}; both are kept in sync"
                )
            identity.link(record.key, person_id)
            new_links.append((record.key, person_id))
        else:
            owner = identity.person_by_email.setdefault(email, person_id)
            if owner != person_id:
                notes.append(
                    f"{record.key[0]} record {record.key[1]} now has the email {email}, which "
                    "another person already has; the record stays linked to its person"
                )
        person_of[record.key] = person_id
    return person_of, new_links, notes
