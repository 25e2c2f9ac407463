"""Process exit codes, so schedulers and CI can tell outcomes apart."""

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``funnelsync`` exits with."""

    ok = 0
    failed = 1
    """The run stopped on an error (a system unreachable, a file unreadable…)."""
    config_error = 2
    """The configuration or contract is invalid (or a command was misused); nothing was written."""
    auth_error = 3
    """A system refused funnelsync's credentials or permissions."""
    partial = 4
    """The run finished but some writes were left for the next run."""
    busy = 5
    """Another run holds the workspace (see ``--wait``)."""
