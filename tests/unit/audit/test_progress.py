"""verify's progress: counted in events with an ETA; a topic's offsets are only the bound while reading."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from services.audit.entrypoints.progress import progress_bar


def _run(monkeypatch: pytest.MonkeyPatch, total: int, events: int, *, bound: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=True, color_system=None)
    monkeypatch.setattr("services.audit.entrypoints.progress.stderr_console", lambda: console)
    with progress_bar("reading interview.events", total, bound=bound) as advance:
        for _ in range(events):
            advance(1)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())  # the live display's cursor moves
    frames = [line for line in re.split(r"[\r\n]", plain) if "reading interview.events" in line]
    return frames[-1]  # the finished bar


def test_a_reading_bar_ends_on_the_events_read_not_the_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    last = _run(monkeypatch, total=1572, events=885, bound=True)  # half the offsets: markers, aborts
    assert "885/885 events" in last
    assert "1,572" not in last
    assert "1572" not in last


def test_the_bar_shows_events_per_second_and_an_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    last = _run(monkeypatch, total=300, events=120, bound=False)
    assert "300/300 events" in last  # everything was processed: the bar is full
    assert "events/s" in last
    assert "ETA" in last
