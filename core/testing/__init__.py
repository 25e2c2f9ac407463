"""funnelsync's connector conformance kit (needs pytest: ``pip install funnelsync[testing]``).

A vendor's fixture ``funnelsync_target`` returns a :class:`ConformanceTarget`; then either
``pytest --funnelsync-conformance`` or a subclass of :class:`ConnectorConformance` runs
every check. :func:`run_checks` runs them without pytest.
"""

try:
    import pytest  # noqa: F401 - the kit is a pytest plugin
except ImportError as missing:
    raise ImportError(
        "funnelsync.testing needs pytest: pip install 'funnelsync[testing]'"
    ) from missing

from funnelsync.testing.checks import (
    CheckOutcome,
    ConformanceFailure,
    all_check_names,
    run_check,
    run_checks,
)
from funnelsync.testing.suite import ConnectorConformance
from funnelsync.testing.target import ConformanceTarget

__all__ = [
    "CheckOutcome",
    "ConformanceFailure",
    "ConformanceTarget",
    "ConnectorConformance",
    "all_check_names",
    "run_check",
    "run_checks",
]
