"""A funnelsync connector for JSON-lines files (the third-party connector template)."""

from funnelsync_jsonl.connector import JsonlConnector, JsonlSettings

__all__ = ["JsonlConnector", "JsonlSettings"]
