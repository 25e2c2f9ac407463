"""Campaign touches two ways: from the ``campaign_touches`` table the engine keeps (what the
report reads), and worked out afresh from every stored activity (what the report did before
that table existed). The tests hold the first to the second."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from funnelsync.contract import FunnelContract
from funnelsync.sync.report.data import load_funnel_data
from funnelsync.sync.report.touches import CampaignTouches
from funnelsync.sync.state import schema as t
from funnelsync.sync.state.campaign_touches import decode
from funnelsync.sync.state.store import StateStore

Touches = dict[str, dict[str, list[float]]]
"""Identity token (or lead email) → campaign name → sorted moments (epoch seconds)."""


def _moment(seconds: int, micros: int) -> float:
    return seconds + micros / 1e6 if micros else float(seconds)


def touches_afresh(store: StateStore) -> Touches:
    """Every token's campaign touches, from each stored activity (stray spaces kept)."""
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _, _, token, _, seconds, micros, _, campaign, _ in store.activity_rows(None):
        if campaign is not None:
            found[token][store.campaign_names(campaign)].append(_moment(seconds, micros))
    return {
        token: {name: sorted(moments) for name, moments in by_name.items()}
        for token, by_name in found.items()
    }


def touches_kept(store: StateStore) -> Touches:
    """The ``campaign_touches`` rows, decoded and named."""
    names = store.campaign_names.refresh()
    with store.engine.connect() as connection:
        rows = connection.execute(select(t.campaign_touches)).all()
    found: Touches = {}
    for token, blob in rows:
        keys, moments = decode(blob)
        found[token] = {names[key]: times for key, times in zip(keys, moments, strict=True)}
    return found


def stale_tokens(store: StateStore) -> list[str]:
    """Tokens marked stale (written, their row not yet rewritten)."""
    with store.engine.connect() as connection:
        return list(connection.execute(select(t.campaign_touches_stale.c.email)).scalars())


def report_touches(store: StateStore, contract: FunnelContract) -> Touches:
    """The campaign touches the report loads, by lead email, read run by run as its
    figures read them (a lead's campaign loaded twice would show twice its touches)."""
    data = load_funnel_data(store, contract)
    email = {journey.person_id: journey.email for journey in data.journeys}
    flat = CampaignTouches.of(data.campaign_touches)
    found: Touches = {email[person]: {} for person in flat.runs}
    for run, person in enumerate(flat.person):
        moments = flat.moments[flat.start[run] : flat.end[run]]
        found[email[person]].setdefault(flat.name[run], []).extend(moments)
    assert {token: dict(by_name) for token, by_name in found.items()} == {
        email[person]: touches for person, touches in data.campaign_touches.items()
    }
    return found


def report_touches_afresh(store: StateStore, contract: FunnelContract) -> Touches:
    """What the report loaded before the table: the activities of each staged lead's email,
    a campaign written with stray spaces merged into one (a blank name left out)."""
    data = load_funnel_data(store, contract, campaigns=False)
    emails = {journey.email for journey in data.journeys}
    found: Touches = {}
    for token, by_name in touches_afresh(store).items():
        if token not in emails:
            continue
        merged: dict[str, list[float]] = defaultdict(list)
        for name, moments in by_name.items():
            if name.strip():
                merged[name.strip()].extend(moments)
        found[token] = {name: sorted(moments) for name, moments in merged.items()}
    return found
