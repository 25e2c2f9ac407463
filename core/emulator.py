"""Local emulators of vendor APIs that connectors may declare (for demos and tests).

An emulator serves a faithful slice of a system's API on loopback, starts and stops on
demand, tells the engine how to connect to it, and can be filled with canonical data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from funnelsync.models import Activity, Lead


class Emulator(ABC):
    """A running stand-in for a vendor system, on 127.0.0.1."""

    @abstractmethod
    def start(self) -> None:
        """Start serving (on a free port)."""

    @abstractmethod
    def stop(self) -> None:
        """Stop serving; the data is gone."""

    @abstractmethod
    def connection_settings(self) -> dict[str, Any]:
        """Connector settings that reach this emulator (secrets by environment variable)."""

    @abstractmethod
    def environment(self) -> Mapping[str, str]:
        """Environment variables those settings name (throwaway credentials)."""

    @abstractmethod
    def seed(self, leads: Sequence[Lead], activities: Sequence[Activity]) -> None:
        """Fill the emulator with these people and what they did, as the system would hold them."""

    def connection_mapping(self) -> dict[str, Any]:
        """Lead field mappings (canonical field → system field, or a field map document) a
        connection needs on top of the connector's default mapping to read what
        :meth:`seed` stored, such as stage dates; asked after :meth:`seed`. None by default."""
        return {}

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
