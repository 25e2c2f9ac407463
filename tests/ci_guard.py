"""In CI, a skipped test is a failure: CI installs every server and tool the tests need.

`.ci/run` sets ``FUNNELSYNC_CI=1``. There, a test that skips (Chromium missing, a server
that did not start…) fails with its skip reason instead, so a broken CI set-up can never
pass as green. Outside CI such tests skip with their reason, as usual. The one exception
is a skip whose reason starts with ``rerun:``: a run that crossed a boundary it cannot
control (midnight UTC) and says so.
"""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("FUNNELSYNC_CI") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if not reason.removeprefix("Skipped: ").startswith("rerun:"):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI (FUNNELSYNC_CI=1), which must not skip: {reason}"
    return None
