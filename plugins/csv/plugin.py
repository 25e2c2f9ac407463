"""Registers the ``csv`` connector through the ``funnelsync.plugins`` entry point."""

from __future__ import annotations

from funnelsync.connector import Connector
from funnelsync.hookspecs import hookimpl
from funnelsync.plugins.csv.connector import CsvConnector


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """The connectors this plugin provides: :class:`CsvConnector`."""
    return [CsvConnector]
