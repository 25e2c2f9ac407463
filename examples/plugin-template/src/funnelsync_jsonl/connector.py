"""The ``jsonl`` connector: leads kept in a JSON-lines file, one JSON object per line.

Each object is one lead, identified by its ``email`` key. Reading hands funnelsync every
object (and the lines it could not parse, with where and why); writing upserts by email,
case-insensitively, and replaces the file atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from funnelsync import (
    Capabilities,
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorError,
    ConnectorSettings,
    FieldInfo,
    Lead,
    LeadWrite,
    Mapping,
    ReadBatch,
    RejectedRecord,
    SystemRecord,
    WriteResult,
    WriteStatus,
)

_READ_ONLY_FIELDS = ("created_at", "updated_at")
_SAME_NAME_FIELDS = [  # every canonical lead field; stage dates are per stage, left to configs
    name
    for name in Lead.model_fields
    if name not in {"stage_dates", "attributes", *_READ_ONLY_FIELDS}
]
_INTEGER_FIELDS = frozenset({"company_size", "fit_score", "engagement_score", "score"})


class JsonlSettings(ConnectorSettings):
    """The settings of a ``jsonl`` connection (``connector: jsonl`` in the workspace config)."""

    path: Path = Field(description="The JSON-lines file, relative to the workspace directory.")


class JsonlConnector(Connector):
    """Reads and writes leads in a JSON-lines file."""

    name: ClassVar[str] = "jsonl"
    settings_model: ClassVar[type[ConnectorSettings]] = JsonlSettings
    capabilities: ClassVar[Capabilities] = Capabilities(read_leads=True, write_leads=True)
    default_mapping: ClassVar[Mapping] = Mapping.model_validate(
        {
            "lead_fields": {
                **{name: name for name in _SAME_NAME_FIELDS},
                **{name: {"field": name, "direction": "read"} for name in _READ_ONLY_FIELDS},
            }
        }
    )

    def __init__(self, settings: ConnectorSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        if not isinstance(settings, JsonlSettings):
            raise TypeError(f"expected JsonlSettings, got {type(settings).__name__}")
        self.path = context.workspace_dir / settings.path
        """The file, resolved against the workspace directory."""

    def check(self) -> CheckResult:
        """Whether the file exists and can be read."""
        if not self.path.is_file():
            return CheckResult(False, (f"{self.path}: no such file",))
        lines = self.path.read_bytes().count(b"\n")
        return CheckResult(True, (f"{self.path}: {lines} line(s)",))

    def describe_fields(self) -> list[FieldInfo]:
        """The keys the default mapping uses; a JSON-lines file has no schema of its own."""
        return [
            FieldInfo(
                name=field_map.field,
                type="integer" if canonical in _INTEGER_FIELDS else "string",
                writable=field_map.writes,
            )
            for canonical, field_map in self.default_mapping.active_lead_fields().items()
        ]

    def read_leads(self, cursor: str | None) -> Iterator[ReadBatch]:
        """Every lead in the file, unless the file is unchanged since ``cursor``.

        The cursor is the file's SHA-256 fingerprint: the same fingerprint yields nothing.
        """
        if not self.path.is_file():
            raise ConnectorError(f"{self.path}: no such file")
        data = self.path.read_bytes()
        self.calls.read += 1  # one read of the file; an API connector counts each request
        fingerprint = hashlib.sha256(data).hexdigest()
        if fingerprint == cursor:
            return
        batch = ReadBatch(cursor=fingerprint)
        for location, raw, parsed in self._parse(data):
            if isinstance(parsed, str):
                payload = raw.decode("utf-8", errors="replace")
                batch.rejected.append(RejectedRecord(location, parsed, payload))
            else:
                email = str(parsed.get("email") or "").strip()
                batch.records.append(SystemRecord(email, parsed, location))
        yield batch

    def write_leads(self, writes: Sequence[LeadWrite]) -> list[WriteResult]:
        """Upsert each lead by email (case-insensitive), then replace the file atomically.

        Lines that are not JSON objects are kept as they are. A lead whose values cannot be
        stored as JSON is rejected; the others are still written.
        """
        data = self.path.read_bytes() if self.path.exists() else b""
        entries: list[dict[str, Any] | bytes] = []
        by_email: dict[str, dict[str, Any]] = {}
        for _, raw, parsed in self._parse(data):
            if isinstance(parsed, str):
                entries.append(raw)  # kept as it is
                continue
            entries.append(parsed)
            if email := str(parsed.get("email") or "").strip():
                by_email.setdefault(email.casefold(), parsed)
        results: list[WriteResult] = []
        for write in writes:
            try:
                json.dumps(dict(write.fields))
            except (TypeError, ValueError) as exc:
                results.append(WriteResult(write.key, WriteStatus.rejected, message=str(exc)))
                continue
            keys = [key.strip().casefold() for key in (write.record_id, write.key) if key]
            lead = next((by_email[key] for key in keys if key in by_email), None)
            if lead is None:
                lead = by_email[keys[-1]] = {"email": write.key}
                entries.append(lead)
            lead.update(write.fields)
            record_id = str(lead.get("email") or "").strip()
            results.append(WriteResult(write.key, WriteStatus.ok, record_id=record_id))
        self._replace(entries)
        self.calls.write += 1
        return results

    def _parse(self, data: bytes) -> Iterator[tuple[str, bytes, dict[str, Any] | str]]:
        """``(location, line, the object or why it was refused)`` for each non-blank line."""
        for number, raw in enumerate(data.splitlines(), start=1):
            if not raw.strip():
                continue
            location = f"{self.path.name}:{number}"
            try:
                parsed = json.loads(raw)
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                yield location, raw, f"not valid JSON: {exc}"
                continue
            if not isinstance(parsed, dict):
                yield location, raw, f"expected a JSON object, got {type(parsed).__name__}"
                continue
            yield location, raw, parsed

    def _replace(self, entries: Sequence[dict[str, Any] | bytes]) -> None:
        """Write ``entries`` to a temporary file beside ours, then move it over ours."""
        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                for entry in entries:
                    raw = entry if isinstance(entry, bytes) else json.dumps(entry).encode()
                    out.write(raw + b"\n")
                out.flush()
                os.fsync(out.fileno())
            if self.path.exists():
                tmp.chmod(self.path.stat().st_mode)
            tmp.replace(self.path)  # os.replace: atomic within one file system
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
