"""Helpers shared by the csv connector tests: build a connector, drain a read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnelsync.connector import ConnectorContext, ReadBatch, RejectedRecord, SystemRecord
from funnelsync.plugins.csv import CsvConnector, CsvSettings


def make_connector(workspace: Path, **settings: Any) -> CsvConnector:
    """A csv connector in ``workspace``; the leads file defaults to ``leads.csv``."""
    config: dict[str, Any] = {"leads": {"path": "leads.csv"}, **settings}
    return CsvConnector(CsvSettings.model_validate(config), ConnectorContext("test", workspace))


@dataclass
class Read:
    """Everything one read returned."""

    batches: list[ReadBatch] = field(default_factory=list)

    @property
    def records(self) -> list[SystemRecord]:
        return [record for batch in self.batches for record in batch.records]

    @property
    def rejected(self) -> list[RejectedRecord]:
        return [record for batch in self.batches for record in batch.rejected]

    @property
    def cursor(self) -> str | None:
        return self.batches[-1].cursor

    @property
    def ids(self) -> list[str]:
        return [record.record_id for record in self.records]


def read_all(batches: Iterable[ReadBatch]) -> Read:
    """Drain a read into one :class:`Read`."""
    return Read(list(batches))
