"""A demo workspace served on loopback by a real uvicorn, for the screen's tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

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
