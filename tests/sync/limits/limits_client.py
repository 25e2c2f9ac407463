"""Run in a child process: use the shared limits at a URL as one of many processes.

``python limits_client.py URL SQLITE_FILE KEY calls N CALLS PER_S OUT`` takes ``N`` calls
through a ``RateLimiter`` and appends ``before after`` (wall times around each successful
take) to ``OUT``; ``pause SECONDS`` pauses the ``general`` window; ``observe USED
ALLOWANCE`` and ``count CALLS`` feed the daily usage.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from funnelsync.sync.limits.opening import LimitsBackend


def main(argv: list[str]) -> None:
    url, sqlite_file, key, action, *rest = argv
    with LimitsBackend(url if url != "-" else None, Path(sqlite_file)) as backend:
        limits = backend.limits(key)
        if action == "calls":
            count, calls, per_s, out = int(rest[0]), int(rest[1]), float(rest[2]), rest[3]
            lines = []
            for _ in range(count):
                while True:
                    before = time.time()
                    wait = limits.take("general", calls, per_s)
                    if wait <= 0:
                        lines.append(f"{before} {time.time()}\n")
                        break
                    time.sleep(wait)
            with open(out, "a", encoding="utf-8") as written:
                written.write("".join(lines))
        elif action == "pause":
            limits.pause("general", float(rest[0]))
        elif action == "observe":
            limits.observe_usage(int(rest[0]), int(rest[1]))
        elif action == "count":
            limits.count_usage(int(rest[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
