"""Shared pieces of the sync tests: a small two-system CSV workspace and CLI helpers."""

from __future__ import annotations

import csv
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from funnelsync.sync.cli.main import main
from funnelsync.sync.engine.lock import run_lock
from funnelsync.sync.state.store import StateStore
from funnelsync.sync.workspace.scaffold import write_templates

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def marketing_lead(email: str, **fields: str) -> dict[str, str]:
    row = {
        "email": email,
        "first_name": "Ana",
        "last_name": "Silva",
        "title": "Marketing Manager",
        "company": "Northwind",
        "industry": "Retail",
        "company_size": "50",
        "country": "Brazil",
        "source": "Webinar",
        "created_at": iso(60),
        "updated_at": iso(10),
    }
    row.update(fields)
    return row


def sales_lead(email: str, **fields: str) -> dict[str, str]:
    row = {
        "Email": email,
        "First Name": "Ana",
        "Last Name": "Silva",
        "Title": "Marketing Manager",
        "Company": "Northwind",
        "Industry": "Retail",
        "Employees": "50",
        "Country": "Brazil",
        "Lead Source": "Webinar",
        "Owner": "Alex Morgan",
        "Status": "Open - Not Contacted",
        "Status Reason": "",
        "Created Date": iso(50),
        "Last Modified": iso(5),
    }
    row.update(fields)
    return row


def small_workspace(tmp_path: Path) -> Path:
    """The scaffolded workspace with a handful of people in both systems."""
    config = write_templates(tmp_path / "ws", with_empty_data=True)
    # One of the 8 rows is deliberately bad: this workspace accepts that share.
    config.write_text(config.read_text() + "max_quarantined_share: 0.2\n")
    data = config.parent / "data"
    write_csv(
        data / "marketing" / "leads.csv",
        [
            # A VP in healthcare who asked for a demo: an MQL.
            marketing_lead(
                "vp@hospital.example.com",
                title="VP Marketing",
                industry="Healthcare",
                company_size="800",
                country="United States",
            ),
            # Same person as the sales record below, email in another case; older title.
            marketing_lead(
                "  Carla.Diaz@Acme.example.com ",
                first_name="Carla",
                last_name="Diaz",
                title="Analyst",
                updated_at=iso(30),
            ),
            # Invalid email: quarantined, the rest still syncs.
            marketing_lead("not-an-email"),
            # Only in marketing, low fit: stays out of the CRM.
            marketing_lead("student@uni.example.edu", title="Student"),
        ],
    )
    write_csv(
        data / "marketing" / "activities.csv",
        [
            {
                "activity_id": "a1",
                "email": "vp@hospital.example.com",
                "type": "demo_request",
                "occurred_at": iso(1),
                "campaign": "Launch",
                "asset": "demo-form",
            },
            {
                "activity_id": "a2",
                "email": "VP@hospital.example.com",
                "type": "email_click",
                "occurred_at": iso(2),
                "campaign": "Launch",
                "asset": "",
            },
        ],
    )
    write_csv(
        data / "sales" / "leads.csv",
        [
            sales_lead(
                "carla.diaz@acme.example.com",
                **{
                    "First Name": "Carla",
                    "Last Name": "Diaz",
                    "Title": "Head of Growth",
                    "Status": "Closed - Not Converted",
                },
            ),
        ],
    )
    write_csv(
        data / "sales" / "activities.csv",
        [
            {
                "Id": "t1",
                "Email": "carla.diaz@acme.example.com",
                "Type": "Call",
                "Date": iso(3),
                "Subject": "Intro call",
            }
        ],
    )
    return config


def sync_json(config: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["sync", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, "sync --json prints exactly one JSON object"
    document: dict[str, Any] = json.loads(lines[0])
    return document


POSTGRES_ENV = "FUNNELSYNC_TEST_POSTGRES_URL"
"""An admin URL of a PostgreSQL server for the tests (``.ci/run`` starts one and sets it)."""


def postgres_database(request: pytest.FixtureRequest) -> str:
    """A fresh, empty PostgreSQL database for one test (dropped after it); its URL."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL state tests need a server: set {POSTGRES_ENV} (.ci/run does)")
    name = f"funnelsync_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        # Not WITH (FORCE): that refuses when an autovacuum worker (a superuser process) is
        # in the database, while a plain DROP cancels such workers itself. Our own role's
        # leftover sessions (a killed sync's) are ended first; a busy database is retried.
        ours = text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
            "AND usename = current_user AND pid <> pg_backend_pid()"
        )
        with admin.connect() as connection:
            for attempt in range(40):
                connection.execute(ours, {"name": name})
                try:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                    break
                except OperationalError:
                    if attempt == 39:
                        raise
                    time.sleep(0.25)
        admin.dispose()

    request.addfinalizer(drop)
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def use_state_url(config: Path, url: str) -> None:
    """Keep ``config``'s workspace state in the database at ``url``."""
    with config.open("a", encoding="utf-8") as out:
        out.write(f"\nstate:\n  url: {json.dumps(url)}\n")


def open_state(config: Path) -> StateStore:
    """The state store of the workspace at ``config``, wherever its config keeps it."""
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    url = (document.get("state") or {}).get("url")
    return StateStore.open(config.parent / document.get("state_dir", "state"), url)


@contextmanager
def hold_run_lock(config: Path) -> Iterator[None]:
    """Hold the workspace's run lock, as a running sync would."""
    store = open_state(config)
    try:
        with run_lock(config.parent / "state", store.engine):
            yield
    finally:
        store.close()
