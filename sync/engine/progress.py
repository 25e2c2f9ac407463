"""Progress display for long work: a live bar on a terminal, silence otherwise."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn


class ProgressSink(Protocol):
    """Where the engine reports how far it got; tasks are named e.g. ``sales: read leads``."""

    def advance(self, task: str, count: int, total: int | None = None) -> None:
        """``count`` more items of ``task`` are done (``total`` if now known)."""


class NoProgress:
    """Shows nothing: for scripts, logs and tests."""

    def advance(self, task: str, count: int, total: int | None = None) -> None:
        """Ignore the update."""


class TerminalProgress:
    """Live progress bars on the terminal, one per task; use as a context manager."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def advance(self, task: str, count: int, total: int | None = None) -> None:
        """Move ``task``'s bar on by ``count``."""
        if task not in self._tasks:
            self._tasks[task] = self._progress.add_task(task, total=total)
        elif total is not None:
            self._progress.update(self._tasks[task], total=total)
        self._progress.advance(self._tasks[task], count)
