"""Registers the hubspot connector with funnelsync (entry point ``hubspot``)."""

from funnelsync.connector import Connector
from funnelsync.hookspecs import hookimpl


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """The hubspot connector is being built; nothing is registered yet."""
    return []
