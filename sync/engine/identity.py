"""Who is who: linking each record to one person by stored links, then by each identity
key in order (``identity: {keys: [...]}`` in the config; default email).

A record keeps its person through a key change (the link decides, not the key). Two
records with one key value in the same system are both linked to that person, reported,
and all written to; when merging, that system's most recently changed record counts first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from funnelsync.sync.engine.reading import ReadRecord
from funnelsync.sync.state.store import Identity, RecordKey

A = TypeVar("A")
"""An activity, as any of its forms (stored, or the compact rows scoring reads)."""


def assign_persons(
    identity: Identity, records: Iterable[ReadRecord]
) -> tuple[dict[RecordKey, int], list[tuple[RecordKey, int]], list[str]]:
    """Person of each read record, the links that are new, and notes for the run report."""
    person_of: dict[RecordKey, int] = {}
    new_links: list[tuple[RecordKey, int]] = []
    notes: list[str] = []
    for record in records:
        tokens = record.tokens
        if not tokens:
            raise ValueError(f"{record.key} has no identity key (reading quarantines such)")
        person_id = identity.person_of.get(record.key)
        if person_id is None:
            found = (identity.person_by_key.get(token) for token in tokens)
            person_id = next((pid for pid in found if pid is not None), None)
            if person_id is None:
                person_id = identity.new_person(tokens[0])
            twins = [
                key
                for key in identity.records_of.get(person_id, [])
                if key[0] == record.key[0] and key != record.key
            ]
            if twins:
                notes.append(
                    f"{record.key[0]}: records {', '.join(k[1] for k in twins)} and "
                    f"{record.key[1]} share the {_shown(tokens[0])}; both "
                    "are kept in sync"
                )
            identity.link(record.key, person_id)
            new_links.append((record.key, person_id))
        for token in tokens:
            if not identity.add_key(token, person_id):
                notes.append(
                    f"{record.key[0]} record {record.key[1]} now has the {_shown(token)}, "
                    "which another person already has; the record stays linked to its person"
                )
        person_of[record.key] = person_id
    return person_of, new_links, notes


def person_activities(
    identity: Identity, person_id: int, by_token: Mapping[str, Sequence[A]]
) -> list[A]:
    """The activities of ``person_id``: those naming any of the person's identity tokens
    (email, or ``key:value`` of another key such as an activity's lead id column)."""
    return [a for token in identity.keys_of.get(person_id, ()) for a in by_token.get(token, ())]


def _shown(token: str) -> str:
    """``email ann@example.com`` or ``crm_id 0031``: an identity token as words."""
    return f"email {token}" if ":" not in token else token.replace(":", " ", 1)
