"""A rich progress bar in events: count, events per second, elapsed and ETA (on stderr: ``--json`` stays
clean).

Reading a topic, the total known up front is its offset span, which also counts transaction markers and
aborted records (about half the offsets of a transactional topic): an upper bound. Those bars count the
events actually read, and the finished bar shows that count, the same the report's summary counts.
"""

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
    TimeRemainingColumn,
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
def progress_bar(
    label: str, total: int | None, enabled: bool = True, *, bound: bool = False
) -> Iterator[Advance]:
    """Yield ``advance(n)``; a bar with events, events/s, elapsed time and ETA while the block runs.

    ``bound``: ``total`` is an upper bound (a topic's offsets); the finished bar shows the events counted.
    """
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("events"),
               RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=stderr_console(), disable=not enabled) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance
        done = bar.tasks[0].completed
        if bound:
            bar.update(task, total=done)
        elif total is not None:
            bar.update(task, completed=max(total, done))
