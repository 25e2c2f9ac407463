"""The plugin module that the ``funnelsync.plugins`` entry point names."""

from __future__ import annotations

from funnelsync import Connector, hookimpl
from funnelsync_jsonl.connector import JsonlConnector


@hookimpl
def funnelsync_register_connectors() -> list[type[Connector]]:
    """Give funnelsync the ``jsonl`` connector."""
    return [JsonlConnector]
