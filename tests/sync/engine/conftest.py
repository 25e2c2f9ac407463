"""The engine suite runs on both state backends: a SQLite file and a real PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from handoff_support import Mailbox, Webhook, smtp_server, webhook_receiver
from sync_support import postgres_database, small_workspace, use_state_url


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A small two-system CSV workspace, its state in SQLite or in a fresh PostgreSQL DB."""
    config = small_workspace(tmp_path)
    if request.param == "postgresql":
        use_state_url(config, postgres_database(request))
    return config


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhook]:
    """A local webhook receiver, named by ``FUNNELSYNC_HANDOFF_WEBHOOK``."""
    with webhook_receiver() as receiver:
        monkeypatch.setenv("FUNNELSYNC_HANDOFF_WEBHOOK", receiver.url)
        yield receiver


@pytest.fixture
def mail(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A local SMTP server, named by ``FUNNELSYNC_SMTP_HOST`` and ``FUNNELSYNC_SMTP_PORT``."""
    with smtp_server() as box:
        monkeypatch.setenv("FUNNELSYNC_SMTP_HOST", box.host)
        monkeypatch.setenv("FUNNELSYNC_SMTP_PORT", str(box.port))
        yield box
