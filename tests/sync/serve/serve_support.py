"""A demo workspace served on loopback by a real uvicorn, for the screen's tests."""

from __future__ import annotations

import csv
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from funnelsync.sync.serve.app import ServeSettings, create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def serving(settings: ServeSettings) -> Iterator[str]:
    """Serve ``settings`` on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def fix_missing_activity_email(config: Path, record: str, email: str) -> None:
    """Give the demo's activity row without an email (id ``record``) an email."""
    path = config.parent / "data" / "marketing" / "activities.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fixed = [line.replace(f"{record},,", f"{record},{email},", 1) for line in lines]
    assert fixed != lines, f"no row {record} without email"
    path.write_text("".join(fixed), encoding="utf-8")


CONTRACT: dict[str, Any] = {
    "version": "1",
    "attributes": {"prospect_id": {"type": "text"}, "crm_id": {"type": "text"}},
    "stages": [
        {"name": "lead", "team": "marketing", "entry": {}},
        {"name": "mql", "team": "marketing", "entry": {"score_min": 20}},
    ],
    "scoring": {"fit": {"rules": []}, "engagement": {"points": {"meeting": 15}}},
}
PEOPLE = [
    # Ann has prospect 77; Bob's CRM id is also 77; Cy has no email, only a prospect id.
    {
        "row": "R1",
        "email": "ann@example.com",
        "last_name": "Ann",
        "prospect_id": "77",
        "crm_id": "C-1",
    },
    {
        "row": "R2",
        "email": "bob@example.com",
        "last_name": "Bob",
        "prospect_id": "88",
        "crm_id": "77",
    },
    {"row": "R3", "email": "", "last_name": "Cy", "prospect_id": "P-9", "crm_id": ""},
]


def identity_workspace(root: Path) -> Path:
    """A CSV workspace whose people are known by email, prospect id and CRM id (records
    keyed by a row id): Ann has prospect 77, Bob CRM id 77, Cy no email (prospect P-9)."""
    root.mkdir()
    with (root / "leads.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PEOPLE[0]))
        writer.writeheader()
        writer.writerows(PEOPLE)
    (root / "contract.yaml").write_text(yaml.safe_dump(CONTRACT), "utf-8")
    config = {
        "version": 1,
        "contract": "contract.yaml",
        "identity": {"keys": ["email", "prospect_id", "crm_id"]},
        "connections": {
            "marketing": {
                "connector": "csv",
                "settings": {"leads": {"path": "leads.csv", "key_column": "row"}},
                "mapping": {
                    "lead_fields": {
                        "email": "email",
                        "last_name": "last_name",
                        "prospect_id": "prospect_id",
                        "crm_id": "crm_id",
                    }
                },
            }
        },
    }
    path = root / "funnelsync.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return path
