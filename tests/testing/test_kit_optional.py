"""pytest is optional: funnelsync imports without it, and the kit says what to install."""

from __future__ import annotations

import subprocess
import sys

WITHOUT_PYTEST = """
import sys
sys.modules["pytest"] = None  # as if pytest were not installed
import funnelsync, funnelsync.connector, funnelsync.plugin_manager
funnelsync.plugin_manager.create_plugins()
print("funnelsync imported")
try:
    import funnelsync.testing
except ImportError as exc:
    print(exc)
"""


def test_funnelsync_imports_without_pytest_and_the_kit_names_the_extra() -> None:
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYTEST], capture_output=True, text=True, check=True
    )
    assert run.stdout.splitlines() == [
        "funnelsync imported",
        "funnelsync.testing needs pytest: pip install 'funnelsync[testing]'",
    ]
