"""``validate_mapping``: the contact properties a mapping names that the portal lacks or
will not let funnelsync write, read through the properties API (cached per connector)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from funnelsync.mapping import Mapping
from funnelsync.plugins.hubspot.fields import ContactProperties, read_only


def mapping_problems(properties: ContactProperties, mapping: Mapping) -> list[str]:
    """One sentence per mapped lead field the portal has no property for (with the closest
    property name), and per written field whose property is read-only."""
    known = properties.all()
    problems = []
    for canonical, field_map in mapping.active_lead_fields().items():
        where = f"lead_fields.{canonical}"
        item = known.get(field_map.field)
        if item is None:
            guess = closest(field_map.field, known)
            hint = f"; did you mean {guess!r}?" if guess else "."
            problems.append(
                f"{where}: HubSpot has no contact property {field_map.field!r}{hint} Map an "
                "existing property, or create it (`funnelsync check --fix` creates "
                "funnelsync's own fields)"
            )
        elif field_map.writes and read_only(item):
            problems.append(
                f"{where}: the contact property {field_map.field!r} is read-only in HubSpot; "
                "map it with direction: read"
            )
    return problems


def closest(name: str, names: Iterable[str]) -> str | None:
    """The property name most like ``name`` (same letters in another case first), if any."""
    existing = list(names)
    folded = {candidate.casefold(): candidate for candidate in existing}
    if name.casefold() in folded:
        return folded[name.casefold()]
    matches = difflib.get_close_matches(name, existing, n=1, cutoff=0.6)
    return matches[0] if matches else None
