"""The Celery application that runs workspace syncs on workers.

Redis is the broker. Tasks are acknowledged late (after the run) and rejected when their
worker is lost, so a worker killed mid-run leaves its task in the queue: Redis hands it to
another worker once the visibility timeout has passed, and the run resumes safely (the
engine is SIGKILL-safe). One run at a time per workspace holds across all workers: a
task that finds its workspace busy is retried later, not run beside the other.
"""

from __future__ import annotations

import os

from celery import Celery

from funnelsync.sync.distributed.tasks import register

BROKER_ENV = "FUNNELSYNC_BROKER_URL"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
VISIBILITY_ENV = "FUNNELSYNC_VISIBILITY_TIMEOUT_S"
DEFAULT_VISIBILITY_TIMEOUT_S = 4 * 3600
"""Longer than any run: a task unacknowledged for this long is handed to another worker."""


def broker_url(given: str | None = None) -> str:
    """The broker to use: ``given``, else ``$FUNNELSYNC_BROKER_URL``, else local Redis."""
    return given or os.environ.get(BROKER_ENV) or DEFAULT_BROKER


def make_app(broker: str | None = None, *, visibility_timeout_s: float | None = None) -> Celery:
    """A Celery app on ``broker`` with funnelsync's task registered."""
    timeout = visibility_timeout_s or float(
        os.environ.get(VISIBILITY_ENV) or DEFAULT_VISIBILITY_TIMEOUT_S
    )
    app = Celery("funnelsync", broker=broker_url(broker))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_transport_options={"visibility_timeout": timeout},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        enable_utc=True,
        timezone="UTC",
    )
    register(app)
    return app
