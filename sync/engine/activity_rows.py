"""Activities as compact rows: mapped without a model object, stored in chunks as they are
read, and loaded back per chunk of persons as the few values scoring needs.

A run never holds every activity: a sync stores each chunk of :data:`CHUNK` activities in
one transaction as soon as it is read (an upsert by ``(connection, activity_id)``, so a
killed run that reads them again changes nothing), and scoring loads the activities of a
chunk of persons at a time. A plan (dry run) changes no state, so it holds what it read
in memory and lays it over the stored activities.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from funnelsync.engagement_rows import EngagementRow
from funnelsync.mapping import ConstantValue, FieldMap, parse_timestamp
from funnelsync.mapping import Mapping as FieldMapping
from funnelsync.models import key_token, normalise_email
from funnelsync.sync.state.moments import moment_columns
from funnelsync.sync.state.store import NamedActivityRow, StateStore, StoredActivity

CHUNK = 50_000
"""Activities per stored chunk (one transaction each). Storing 1M activities in chunks of
5,000 cost about twice the CPU of chunks of 50,000 (each commit rewrites the index pages
the chunk touched); 50,000 waiting rows hold a few MB."""

ActivityKey = tuple[str, str]
"""(connection, activity id)."""
StoredRow = NamedActivityRow
"""An activity as a sync stores it (see :data:`~funnelsync.sync.state.store.NamedActivityRow`)."""


class Engaged(NamedTuple):
    """What scoring reads of one activity (see :class:`funnelsync.scoring.Engagement`)."""

    type: str
    occurred_at: datetime
    campaign: str | None
    asset: str | None


class MappedActivity(NamedTuple):
    """An activity read in this run: its person's identity token and what scoring reads."""

    token: str
    engaged: Engaged


_KNOWN = frozenset({"email", "lead_key", "type", "occurred_at", "activity_id", "campaign", "asset"})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str | None:
    """An optional text value as the model keeps it (blank is ``None``); not text: ValueError."""
    if value is None or isinstance(value, str):
        return None if _blank(value) else value
    raise ValueError("not text")


class _Field:
    """One mapped activity field, read the way :func:`funnelsync.mapping.read_activity` does."""

    __slots__ = ("as_is", "canonical", "formats", "name", "reverse", "timestamp", "transform")

    def __init__(self, canonical: str, field_map: FieldMap) -> None:
        self.canonical = canonical
        self.name = field_map.field
        self.transform = field_map.transform
        self.reverse = {sys.casefold(): canon for canon, sys in field_map.values.items()}
        self.formats = field_map.formats
        self.timestamp = canonical == "occurred_at"
        self.as_is = self.transform is None and not self.reverse and not self.timestamp
        """Text that is not blank is the value itself."""

    def read(self, raw: Any, zone: ZoneInfo) -> Any:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise ValueError("not text")
        if not raw or raw.isspace():  # blank, as ``_blank`` has it
            return None
        if self.as_is:
            return raw
        value = raw
        if self.transform is not None:
            value = value.strip()
            match self.transform:
                case "lower":
                    value = value.lower()
                case "upper":
                    value = value.upper()
                case "title":
                    value = value.title()
        if self.reverse:
            value = self.reverse.get(value.strip().casefold(), value)
        if self.timestamp:
            moment = parse_timestamp(value, self.formats)
            return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
        return value


_NO_TEXT_OR_TEXT = (type(None), str)


class _PlainColumns(NamedTuple):
    """The system fields of a mapping whose fields all read as they are: text that is not
    blank is the value, the time is ISO 8601 (``""``: the field is not mapped)."""

    email: str
    type: str
    occurred_at: str
    campaign: str
    asset: str
    activity_id: str


def _plain_columns(mapper: ActivityMapper) -> _PlainColumns | None:
    """The mapper's fields as :class:`_PlainColumns`, or ``None`` when any is more than
    plain (a transform, a value map, a time format, a constant, a lead key)."""
    if mapper.constants or mapper.lead_key is not None:
        return None
    names: dict[str, str] = {}
    for item in mapper.fields:
        if item.timestamp:
            if item.transform is not None or item.reverse or item.formats:
                return None
        elif not item.as_is:
            return None
        names[item.canonical] = item.name
    if not {"email", "type", "occurred_at"} <= set(names):
        return None
    return _PlainColumns(
        names["email"],
        names["type"],
        names["occurred_at"],
        names.get("campaign", ""),
        names.get("asset", ""),
        names.get("activity_id", ""),
    )


def _plain_cells(
    columns: _PlainColumns, fields: Mapping[str, Any], zone: tzinfo
) -> tuple[str, str, datetime, str | None, str | None] | None:
    """Token, type, time (a zone-less one in ``zone``), campaign and asset of a mapping of
    plain columns, or ``None`` when any is not text that reads cleanly (the caller steps
    aside)."""
    get = fields.get
    kind, email, moment = get(columns.type), get(columns.email), get(columns.occurred_at)
    if kind.__class__ is not str or email.__class__ is not str or moment.__class__ is not str:
        return None
    campaign = get(columns.campaign) if columns.campaign else None
    asset = get(columns.asset) if columns.asset else None
    if columns.activity_id and get(columns.activity_id).__class__ not in _NO_TEXT_OR_TEXT:
        return None
    if campaign.__class__ not in _NO_TEXT_OR_TEXT or asset.__class__ not in _NO_TEXT_OR_TEXT:
        return None
    return plain_cells(email, kind, moment, campaign, asset, zone)


def plain_cells(
    email: str,
    kind: str,
    moment: str,
    campaign: str | None,
    asset: str | None,
    zone: tzinfo,
    token_of: Callable[[str], str] = normalise_email,
) -> tuple[str, str, datetime, str | None, str | None] | None:
    """:func:`_plain_cells` of the text cells of a mapping of plain columns (``None``: the
    cell of an unmapped campaign or asset); ``token_of`` is :func:`normalise_email` or
    gives what it gives."""
    if not kind or kind.isspace():
        return None
    if campaign is not None and (not campaign or campaign.isspace()):
        campaign = None
    if asset is not None and (not asset or asset.isspace()):
        asset = None
    try:
        token = token_of(email)
        when = datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return token, kind, when, campaign, asset


class ActivityMapper:
    """Maps a system activity straight to a :class:`MappedActivity`.

    It gives what :func:`funnelsync.mapping.read_activity` would, for the common case of
    text fields that read cleanly; for anything else (a value it cannot read, a missing
    person, a mapping with unusual fields) it returns ``None`` and the caller takes the
    full path, which gives the same activity or the error to quarantine it with.
    """

    def __init__(self, mapping: FieldMapping) -> None:
        self.zone = ZoneInfo(mapping.timezone)
        fields = mapping.active_activity_fields()
        self.usable = set(fields) <= _KNOWN
        self.fields = [
            _Field(name, item)
            for name, item in fields.items()
            if isinstance(item, FieldMap) and item.reads
        ]
        self.constants = {
            name: item.value for name, item in fields.items() if isinstance(item, ConstantValue)
        }
        self.lead_key = mapping.lead_key
        self.plain = _plain_columns(self) if self.usable else None
        """The system fields, when each reads as it is (see :func:`_plain_columns`)."""

    def __call__(self, fields: Mapping[str, Any]) -> MappedActivity | None:
        """The activity in ``fields``, or ``None`` to take the full path."""
        if self.plain is not None:
            return self._plain(self.plain, fields)
        if not self.usable:
            return None
        data: dict[str, Any] = dict(self.constants)
        try:
            for item in self.fields:
                if item.name in fields:
                    data[item.canonical] = item.read(fields[item.name], self.zone)
            token = self._token(data, fields)
            campaign, asset = _text(data.get("campaign")), _text(data.get("asset"))
            _text(data.get("activity_id"))
        except ValueError:  # MappingError too: the full path says why
            return None
        kind, moment = data.get("type"), data.get("occurred_at")
        if token is None or not isinstance(kind, str) or not kind:
            return None
        if not isinstance(moment, datetime):
            return None
        if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
            moment = moment.replace(tzinfo=UTC)
        return MappedActivity(token, Engaged(kind, moment, campaign, asset))

    def _plain(self, columns: _PlainColumns, fields: Mapping[str, Any]) -> MappedActivity | None:
        """:meth:`__call__` for a mapping of plain columns: the same activity, with no
        per-field dispatch. Anything but text that reads cleanly steps aside."""
        cells = _plain_cells(columns, fields, self.zone)
        if cells is None:
            return None
        token, kind, when, campaign, asset = cells
        return MappedActivity(token, Engaged(kind, when, campaign, asset))

    def row(self, connection: str, activity_id: str, fields: Mapping[str, Any]) -> StoredRow | None:
        """The activity in ``fields`` as the row the store keeps (what :meth:`__call__`
        gives, with its time as stored integers), for a mapping of plain columns; ``None``
        to take :meth:`__call__`'s way."""
        if self.plain is None:
            return None
        cells = _plain_cells(self.plain, fields, self.zone)
        if cells is None:
            return None
        token, kind, when, campaign, asset = cells
        seconds, micros, offset = moment_columns(when)
        return (connection, activity_id, token, kind, seconds, micros, offset, campaign, asset)

    def _token(self, data: dict[str, Any], fields: Mapping[str, Any]) -> str | None:
        if self.lead_key is not None:
            raw = fields.get(self.lead_key.field)
            return key_token(self.lead_key.key, None if _blank(raw) else raw)
        email = data.get("email")
        if not isinstance(email, str):
            return None
        return normalise_email(email)


class NewActivities:
    """The activities a run reads: stored chunk by chunk, or held in memory (``hold``)."""

    def __init__(self, store: StateStore | None, hold: bool) -> None:
        self.store = None if hold else store
        self.pending: list[StoredRow] = []
        self.fresh: list[str] = []
        """Tokens of ``pending`` first seen in this run (to mark for the touches refresh)."""
        self.held: dict[str, dict[ActivityKey, Engaged]] = {}
        """Identity token → activity key → activity (only when holding)."""
        self.held_keys: set[ActivityKey] = set()
        self.count = 0
        self.tokens: Counter[str] = Counter()
        """How many activities each identity token has among those read."""

    @property
    def storing(self) -> bool:
        """Whether activities are stored as they are read (a sync), not held (a plan)."""
        return self.store is not None

    def add(self, connection: str, activity_id: str, activity: MappedActivity) -> None:
        """One activity read; stored with its chunk once :data:`CHUNK` are waiting."""
        engaged = activity.engaged
        if self.store is None:
            self.count += 1
            self.tokens[activity.token] += 1
            self.held.setdefault(activity.token, {})[(connection, activity_id)] = engaged
            self.held_keys.add((connection, activity_id))
            return
        seconds, micros, offset = moment_columns(engaged.occurred_at)
        self.add_row(
            (
                connection,
                activity_id,
                activity.token,
                engaged.type,
                seconds,
                micros,
                offset,
                engaged.campaign,
                engaged.asset,
            )
        )

    def add_row(self, row: StoredRow) -> None:
        """One activity read, as stored (only when storing: see :meth:`ActivityMapper.row`)."""
        self.count += 1
        token = row[2]
        tokens = self.tokens
        if token not in tokens:
            self.fresh.append(token)
        tokens[token] += 1
        self.pending.append(row)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Store the activities still waiting (one transaction)."""
        if self.store is not None and self.pending:
            self.store.store_named_rows(self.pending, self.fresh)
        self.pending = []
        self.fresh = []

    def held_activities(self) -> list[StoredActivity]:
        """The activities a plan read and holds (none in a sync: they are stored)."""
        return [
            StoredActivity(connection, activity_id, token, *engaged)
            for token, held in self.held.items()
            for (connection, activity_id), engaged in held.items()
        ]

    def without_person(self, has_person: Callable[[str], bool]) -> int:
        """How many of the activities read name a person no one has."""
        return sum(count for token, count in self.tokens.items() if not has_person(token))

    def of_tokens(self, store: StateStore, tokens: Iterable[str]) -> dict[str, list[EngagementRow]]:
        """Token → its activities as compact rows, in ``(connection, activity id)`` order:
        those stored, with (when holding) those read in this run in place of their stored
        versions. Type and campaign ids are named once per chunk, not per activity.

        The order is the same on every backend and in a plan as in a sync: scoring keeps
        ties (equal points in the explanation) in it.
        """
        wanted = list(tokens)
        replaced = self.held_keys
        keyed: dict[str, dict[ActivityKey, EngagementRow]] = {}
        type_name = store.type_names.refresh()
        campaign_name: dict[int | None, str | None] = {None: None}
        for key, name in store.campaign_names.refresh().items():
            campaign_name[key] = name
        for row in store.activity_rows(wanted):
            connection, activity_id, token, kind, seconds, micros, offset, campaign, asset = row
            if replaced and (connection, activity_id) in replaced:
                continue
            found = keyed.get(token)
            if found is None:
                found = keyed[token] = {}
            found[(connection, activity_id)] = (
                type_name[kind],
                seconds,
                micros,
                offset,
                campaign_name[campaign],
                asset,
            )
        for token in wanted:
            if token in self.held:
                keyed.setdefault(token, {}).update(
                    (key, _engagement_row(engaged)) for key, engaged in self.held[token].items()
                )
        return {token: [found[key] for key in sorted(found)] for token, found in keyed.items()}


def _engagement_row(engaged: Engaged) -> EngagementRow:
    """An activity read in this run as a compact row (its time as stored)."""
    seconds, micros, offset = moment_columns(engaged.occurred_at)
    return (engaged.type, seconds, micros, offset, engaged.campaign, engaged.asset)
