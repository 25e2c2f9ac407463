"""Registers the ``hubspot`` connector through the ``funnelsync.plugins`` entry point."""

from __future__ import annotations

from funnelsync.connector import Connector
from funnelsync.hookspecs import hookimpl
from funnelsync.plugins.hubspot.connector import HubSpotConnector


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """The connectors this plugin provides: :class:`HubSpotConnector`."""
    return [HubSpotConnector]
