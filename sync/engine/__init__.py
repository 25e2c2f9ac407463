"""One sync run, end to end: reading, identity, canonical leads, planning, pushing, the lock."""
