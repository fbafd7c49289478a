"""The chart helpers: each signal once per span, decision changes, any subject's series."""

from __future__ import annotations

from bs4 import BeautifulSoup

from schemas.decision import Signal
from services.audit.entrypoints.charts import RevisionPoint, changes, signal_spans, trajectory


def _point(revision: int, codes: tuple[str, ...], decision: str, score: float | None) -> RevisionPoint:
    signals = tuple(Signal(code=c, message=f"{c} seen", evidence=(f"ev-{c}-{revision}",)) for c in codes)
    return RevisionPoint(revision, f"revision {revision}", {"company": score, "round screen": 0.5},
                         {"company": decision}, signals)  # fmt: skip


POINTS = [
    _point(1, (), "undecided", None),
    _point(2, ("a",), "undecided", None),
    _point(3, ("a", "b"), "proceed", 1.0),
    _point(4, ("b",), "proceed", 1.5),
    _point(5, ("a", "b"), "decline", -1.0),
]


def test_signal_spans_state_each_signal_once_per_span() -> None:
    spans = [(s.code, s.start, s.end, s.evidence) for s in signal_spans(POINTS)]
    assert spans == [("a", 2, 4, ("ev-a-2",)), ("b", 3, None, ("ev-b-3",)), ("a", 5, None, ("ev-a-5",))]


def test_decision_changes_only_where_they_change() -> None:
    assert changes(POINTS) == {
        1: ["company: undecided"], 3: ["company: undecided → proceed"], 5: ["company: proceed → decline"]
    }


def test_trajectory_draws_every_series_and_the_markers() -> None:
    svg = BeautifulSoup(trajectory(POINTS, "a candidacy"), "html.parser")
    assert len(svg.select("circle.score.company")) == 3  # no point while undecided
    further = svg.select("circle.score.round-screen[data-series='round screen']")  # a further series
    assert len(further) == 5
    assert [p["data-code"] for p in svg.select("polygon.signal-start")] == ["a", "b", "a"]
    assert [p["data-code"] for p in svg.select("polygon.signal-end")] == ["a"]
    assert len(svg.select("rect.decision-change")) == 3
    assert trajectory([], "nothing") == ""
