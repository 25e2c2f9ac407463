"""Hand-offs across SIGKILL: never lost, never silently twice.

Real ``funnelsync sync`` subprocesses on the small workspace (its VP becomes an MQL in
the first sync), with the test-only ``killable_csv`` connector of ``crash_plugin`` for a
kill before the run's commit, and a webhook receiver that holds the POST for a kill in
the middle of a delivery.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from crash_lab import Lab, command, install_plugin, read_trace
from handoff_support import Mailbox, Webhook
from sync_support import small_workspace

pytestmark = pytest.mark.slow

VP = "vp@hospital.example.com"


def _lab(root: Path) -> Lab:
    config = small_workspace(root / "pristine")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("connector: csv", "connector: killable_csv"), "utf-8")
    return Lab(root, install_plugin(root / "plugin"), config.parent)


def test_a_sync_killed_before_its_commit_hands_off_once_on_the_next_run(
    tmp_path: Path, hook: Webhook, mail: Mailbox
) -> None:
    lab = _lab(tmp_path)
    reference = lab.copy("reference")
    trace = tmp_path / "reference.trace"
    assert lab.sync(reference, trace=trace).returncode == 0
    [kill_at] = [c.number for c in read_trace(trace) if c.label == "quarantine notices"]
    assert len(hook.posts) == len(mail.messages) == 1
    hook.posts.clear()
    mail.messages.clear()

    killed = lab.copy("killed")
    run = lab.sync(killed, kill_at=kill_at)
    assert run.returncode == -signal.SIGKILL
    assert hook.posts == [] and mail.messages == [], "nothing is announced before the commit"

    assert lab.sync(killed).returncode == 0
    assert [post["lead"]["email"] for post in hook.posts] == [VP]
    assert len(mail.messages) == 1
    assert lab.sync(killed).returncode == 0
    assert len(hook.posts) == len(mail.messages) == 1


def test_a_sync_killed_mid_delivery_sends_again_flagged_as_a_repeat(
    tmp_path: Path, hook: Webhook, mail: Mailbox
) -> None:
    lab = _lab(tmp_path)
    workspace = lab.copy("killed")
    hook.hold = threading.Event()
    process = subprocess.Popen(
        [*command(), "sync", "--config", str(workspace / "funnelsync.yaml"), "--json"],
        cwd=workspace,
        env=lab.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert hook.arrived.wait(60), "the webhook was never called"
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        hook.hold.set()
        if process.poll() is None:
            process.kill()
    [cut_off] = hook.held
    assert cut_off["lead"]["email"] == VP and cut_off["repeat"] is False
    assert len(mail.messages) == 1, "the email notifier (first in order) had delivered"

    assert lab.sync(workspace).returncode == 0
    [again] = hook.posts
    assert again["repeat"] is True and again["handoff_id"] == cut_off["handoff_id"]
    assert hook.keys == [cut_off["handoff_id"]]
    assert len(mail.messages) == 1, "the delivered email is not sent again"

    assert lab.sync(workspace).returncode == 0
    assert len(hook.posts) == 1 and len(mail.messages) == 1
