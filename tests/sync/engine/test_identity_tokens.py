"""A person's activities are those naming any of their identity tokens, however many."""

from __future__ import annotations

from funnelsync.sync.engine.identity import person_activities
from funnelsync.sync.state.store import Identity


def test_activities_by_every_token_a_person_was_given_are_theirs() -> None:
    identity = Identity({}, {}, {}, {}, next_person_id=1)
    ann = identity.new_person("ann@x.com")
    assert identity.add_key("crm_id:7", ann)
    assert identity.add_key("ann@x.com", ann)  # given again: nothing new
    bob = identity.new_person("bob@x.com")
    assert not identity.add_key("crm_id:7", bob)  # Ann's already
    by_token = {"ann@x.com": ["a-email"], "crm_id:7": ["a-crm"], "bob@x.com": ["b-email"]}
    assert sorted(person_activities(identity, ann, by_token)) == ["a-crm", "a-email"]
    assert person_activities(identity, bob, by_token) == ["b-email"]
    assert identity.new_keys == [("ann@x.com", ann), ("crm_id:7", ann), ("bob@x.com", bob)]
