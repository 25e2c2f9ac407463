"""Reading the records of one object type changed since a position, through search.

HubSpot's search returns at most 10,000 results per query and sorts on one property only;
records sharing a sort value come in no promised order. So a read pages through a window
"modified after the position, and before now less the index lag", sorted by the last-
modified property. The cap cuts a window when the page reaching it has a ``paging.next``,
or has none while ``total`` says more matched or the page is full (the spec leaves both
answers open; ``total`` alone is not trusted, real answers may carry one that differs from
the results). Records at a page's last time may go on in the next page, so they are held
back until a later time shows up: each page ends at a complete time, and its position (a
bare time) is exact. When the cap cuts a window, everything before the last time seen is
returned, and the records at that time are read sorted by ``hs_object_id`` (restarting
with ``hs_object_id > last`` whenever the cap is hit again), each page's position the time
plus the last id; then the window moves on past that time. Each step moves the position
strictly forward, so a read always ends — also with more than 10,000 records sharing one
timestamp.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from funnelsync.connector import ConnectorError
from funnelsync.plugins.hubspot.api import CallKind, HubSpotApi
from funnelsync.plugins.hubspot.cursors import Position
from funnelsync.plugins.hubspot.times import now_ms, to_ms

PAGE_SIZE = 200
"""The most results a search page may hold."""


@dataclass(frozen=True, slots=True)
class Page:
    """Records read, and the position a read may resume from after them."""

    records: list[dict[str, Any]]
    position: Position | None


def modified_property(object_type: str) -> str:
    """The last-modified property: ``lastmodifieddate`` for contacts, else ``hs_…``."""
    return "lastmodifieddate" if object_type == "contacts" else "hs_lastmodifieddate"


class ChangeReader:
    """Pages of one object type's records changed since a position, oldest first."""

    def __init__(self, api: HubSpotApi, object_type: str, properties: Sequence[str]) -> None:
        self.api = api
        self.object_type = object_type
        self.modified = modified_property(object_type)
        self.properties = list(dict.fromkeys([*properties, self.modified]))
        self.cap = api.settings.search_cap

    def pages(self, start: Position | None) -> Iterator[Page]:
        """Every record changed after ``start`` (all when ``None``), once each."""
        upper = now_ms() - round(self.api.settings.search_settle_s * 1000)
        position = start
        while True:
            if position is not None and position.after_id is not None:
                yield from self._same_time(position.modified_ms, position.after_id)
                position = Position(position.modified_ms)
            cut = yield from self._window(position, upper)
            if cut is None:
                return
            yield from self._same_time(cut, 0)
            position = Position(cut)

    def _window(self, start: Position | None, upper: int) -> Generator[Page, None, int | None]:
        """Records modified after ``start`` and before ``upper``; returns the time the cap
        cut them at (its records not yet returned), or ``None`` at the window's end.

        Records at a page's last time may go on in the next page, in no promised order, so
        they are held back until a later time shows up: each page's position is exact."""
        filters = [_filter(self.modified, "LT", upper)]
        if start is not None:
            filters.append(_filter(self.modified, "GT", start.modified_ms))
        position = start
        held: list[dict[str, Any]] = []
        held_ms = -1
        offset = 0
        while True:
            answer = self._search(filters, self.modified, offset)
            records = answer.get("results") or []
            ready: list[dict[str, Any]] = []
            for record in records:
                modified = self._modified_ms(record)
                if modified != held_ms and held:
                    ready += held
                    position, held = Position(held_ms), []
                held_ms = modified
                held.append(record)
            following = _next_offset(answer)
            if following is None and not self._capped(answer, offset, records):
                yield Page(ready + held, Position(held_ms) if held else position)
                return None
            if ready:
                yield Page(ready, position)
            if following is None or following >= self.cap:
                if not held:
                    raise ConnectorError(
                        f"HubSpot's {self.object_type} search stopped at its result cap "
                        "with an empty page"
                    )
                return held_ms
            offset = following

    def _same_time(self, modified_ms: int, after_id: int) -> Iterator[Page]:
        """Records modified at ``modified_ms`` with an id above ``after_id``, by id; the
        cap restarts the query above the last id."""
        last_id = after_id
        while True:
            filters = [
                _filter(self.modified, "EQ", modified_ms),
                _filter("hs_object_id", "GT", last_id),
            ]
            offset = 0
            while True:
                answer = self._search(filters, "hs_object_id", offset)
                records = answer.get("results") or []
                if records:
                    last_id = int(records[-1]["id"])
                following = _next_offset(answer)
                if following is None and not self._capped(answer, offset, records):
                    yield Page(records, Position(modified_ms))
                    return
                yield Page(records, Position(modified_ms, last_id))
                if following is None or following >= self.cap:
                    break
                offset = following

    def _capped(self, answer: dict[str, Any], offset: int, records: list[Any]) -> bool:
        """Whether a page without ``paging.next`` ends at the cap with more left: ``total``
        says more matched, or the page is full (``total`` may be off either way)."""
        end = offset + len(records)
        if end < self.cap:
            return False
        total = answer.get("total")
        more = isinstance(total, int) and total > end
        return more or len(records) >= PAGE_SIZE

    def _search(self, filters: list[dict[str, str]], sort: str, offset: int) -> dict[str, Any]:
        request = {
            "filterGroups": [{"filters": filters}],
            "sorts": [sort],
            "properties": self.properties,
            "limit": PAGE_SIZE,
            "after": str(offset),
        }
        args: tuple[str, ...] = ()
        endpoint = self.api.contacts_search.do_search
        if self.object_type != "contacts":
            endpoint, args = self.api.objects_search.do_search, (self.object_type,)
        answer = self.api.call(
            CallKind.search, endpoint, *args, public_object_search_request=request
        ).body
        if not isinstance(answer, dict):
            raise ConnectorError(f"HubSpot's {self.object_type} search answered {answer!r}")
        return answer

    def _modified_ms(self, record: dict[str, Any]) -> int:
        value = to_ms((record.get("properties") or {}).get(self.modified))
        if value is None:
            raise ConnectorError(
                f"HubSpot {self.object_type} {record.get('id')} has no valid {self.modified}"
            )
        return value


def _filter(name: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": str(value)}


def _next_offset(answer: dict[str, Any]) -> int | None:
    following = ((answer.get("paging") or {}).get("next") or {}).get("after")
    return int(following) if following is not None else None
