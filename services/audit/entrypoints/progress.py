"""A rich progress bar that shows events per second (on stderr, so ``--json`` stays clean)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

Advance = Callable[[int], None]


class RateColumn(ProgressColumn):
    """Throughput of a task in events per second."""

    def render(self, task: Task) -> Text:
        """The current speed, or a dash before the first sample."""
        speed = task.finished_speed or task.speed
        return Text("- events/s" if speed is None else f"{speed:,.0f} events/s", style="progress.data.speed")


def stderr_console() -> Console:
    """The console for progress and diagnostics."""
    return Console(stderr=True)


@contextmanager
def progress_bar(label: str, total: int | None, enabled: bool = True) -> Iterator[Advance]:
    """Yield ``advance(n)``; shows a bar with events/s while the block runs."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=stderr_console(), disable=not enabled) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance
        if total is not None:
            bar.update(task, completed=max(total, bar.tasks[0].completed))
