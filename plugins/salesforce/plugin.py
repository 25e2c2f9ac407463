"""Registers the salesforce connector with funnelsync (entry point ``salesforce``)."""

from funnelsync.connector import Connector
from funnelsync.hookspecs import hookimpl
from funnelsync.plugins.salesforce.connector import SalesforceConnector


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """The salesforce connector."""
    return [SalesforceConnector]
