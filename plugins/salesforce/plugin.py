"""Registers the salesforce connector with funnelsync (entry point ``salesforce``)."""

from funnelsync.connector import Connector
from funnelsync.hookspecs import hookimpl


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """The salesforce connector is being built; nothing is registered yet."""
    return []
