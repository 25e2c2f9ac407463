"""The ``activities_out`` file: timeline entries funnelsync writes for a CSV system.

One row per entry with the columns :data:`COLUMNS`; ``ref`` identifies it, so an entry
already in the file is never added twice. Each call rewrites the file atomically.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from funnelsync.connector import ActivityWrite, ConnectorError, WriteResult, WriteStatus
from funnelsync.plugins.csv.atomic import replace_file

COLUMNS = (
    "ref",
    "record_id",
    "email",
    "type",
    "label",
    "occurred_at",
    "campaign",
    "asset",
    "subject",
    "description",
)


def read_rows(path: Path, encoding: str, delimiter: str) -> list[dict[str, str]]:
    """The file's rows (none when it does not exist yet)."""
    if not path.exists():
        return []
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.DictReader(handle, delimiter=delimiter)
            if reader.fieldnames is None or "ref" not in reader.fieldnames:
                raise ConnectorError(f"{path}: activities_out has no 'ref' column")
            return [dict(row) for row in reader]
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read ({exc})") from exc


def write_entries(
    path: Path, encoding: str, delimiter: str, writes: Sequence[ActivityWrite]
) -> list[WriteResult]:
    """Add the entries the file lacks; one ``ok`` result per write, its id the ``ref``."""
    rows = read_rows(path, encoding, delimiter)
    present = {row["ref"] for row in rows}
    for write in writes:
        if write.ref in present:
            continue
        present.add(write.ref)
        rows.append(
            {
                "ref": write.ref,
                "record_id": write.record_id,
                "email": write.email or "",
                "type": write.type,
                "label": write.label,
                "occurred_at": write.occurred_at.isoformat(),
                "campaign": write.campaign or "",
                "asset": write.asset or "",
                "subject": write.subject,
                "description": write.description,
            }
        )

    def fill(out: TextIO) -> None:
        writer = csv.DictWriter(out, COLUMNS, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    replace_file(path, encoding, fill)
    return [WriteResult(write.ref, WriteStatus.ok, write.ref) for write in writes]
