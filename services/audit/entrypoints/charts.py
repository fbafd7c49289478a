"""Inline SVG charts of the HTML reports (no script, no external resource: the page opens offline).

``trajectory`` draws any subject's revisions (an interview's ``verdict_changed``, a candidacy's
``candidacy_verdict_changed``): each side's score per revision, a marker where a decision changes and
where a signal starts or ends. Callers turn their revisions into ``RevisionPoint``s (``points_of`` does
it for interview verdicts); ``signal_spans`` states each signal once, from where it starts to where it
ends. ``offsets`` draws the calibration report: per interviewer and goal an offset bar with its interval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from schemas.decision import CandidacyVerdictChanged, Signal, VerdictChanged

SERIES_COLOURS = {"company": "#1f6fb2", "candidate": "#d9822b", "mutual": "#555"}
EXTRA_COLOURS = ("#2a9d8f", "#8e44ad", "#b5651d", "#2c3e50")
"""Colours of further series (e.g. a candidacy's per-round scores), in order of appearance."""


def _palette(points: Sequence[RevisionPoint]) -> dict[str, str]:
    """Series drawn, in order of first appearance, with their colours."""
    names = list(dict.fromkeys(name for p in points for name in p.scores))
    extra = iter(EXTRA_COLOURS * (1 + len(names) // len(EXTRA_COLOURS)))
    return {name: SERIES_COLOURS.get(name) or next(extra) for name in names}


SCORE_RANGE = (-2.0, 2.0)
"""A side's score is a mean of goal means of points -2..+2."""


def _q(text: str) -> str:
    return escape(text, quote=True)


def _css(name: str) -> str:
    """A series name as a class name (``round screen`` -> ``round-screen``)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


@dataclass(frozen=True)
class RevisionPoint:
    """One revision of a subject, as the chart needs it."""

    revision: int
    label: str
    scores: Mapping[str, float | None]
    """Series (e.g. company, candidate) -> score, None when undecided for want of assessments."""
    decisions: Mapping[str, str]
    """Series (and e.g. mutual) -> decision."""
    signals: Sequence[Signal] = ()
    final: bool = False


@dataclass(frozen=True)
class SignalSpan:
    """A signal from the revision it first appears in to the revision it is gone in (None: still on)."""

    code: str
    message: str
    start: int
    end: int | None
    evidence: tuple[str, ...] = ()
    revisions: tuple[int, ...] = field(default_factory=tuple)


def point_of(v: VerdictChanged | CandidacyVerdictChanged, label: str, final: bool) -> RevisionPoint:
    """One revision of an interview or a candidacy: each side's score, the decisions, the signals."""
    return RevisionPoint(
        revision=v.revision,
        label=label,
        scores={"company": v.company.score, "candidate": v.candidate.score},
        decisions={
            "company": v.company.decision.value,
            "candidate": v.candidate.decision.value,
            "mutual": v.mutual.value,
        },
        signals=v.signals,
        final=final,
    )


def points_of(
    revisions: Sequence[VerdictChanged], cause: Mapping[int, str] | None = None
) -> list[RevisionPoint]:
    """Chart points of an interview's revisions (``cause``: revision -> a few words on what caused it)."""
    cause = cause or {}
    return [
        point_of(
            v,
            f"revision {v.revision} after event {v.input_sequence}"
            + (f": {cause[v.revision]}" if v.revision in cause else ""),
            v.final,
        )
        for v in revisions
    ]


def signal_spans(points: Sequence[RevisionPoint]) -> list[SignalSpan]:
    """Each signal once: where it starts, where it ends (a signal may come back: a new span)."""
    spans: list[SignalSpan] = []
    open_: dict[str, SignalSpan] = {}
    for point in points:
        now = {s.code: s for s in point.signals}
        for code, span in list(open_.items()):
            if code not in now:
                spans.append(SignalSpan(span.code, span.message, span.start, point.revision, span.evidence))
                del open_[code]
        for code, signal in now.items():
            if code not in open_:
                open_[code] = SignalSpan(code, signal.message, point.revision, None, tuple(signal.evidence))
    spans.extend(open_.values())
    return sorted(spans, key=lambda s: (s.start, s.code))


def changes(points: Sequence[RevisionPoint]) -> dict[int, list[str]]:
    """Per revision, the decisions that changed there (``company: undecided → proceed``)."""
    out: dict[int, list[str]] = {}
    before: Mapping[str, str] = {}
    for point in points:
        for series, decision in point.decisions.items():
            if before.get(series) != decision:
                was = before.get(series)
                out.setdefault(point.revision, []).append(
                    f"{series}: {was} → {decision}" if was else f"{series}: {decision}"
                )
        before = point.decisions
    return out


def trajectory(points: Sequence[RevisionPoint], title: str, width: int = 720, height: int = 220) -> str:
    """An SVG line chart of the scores per revision, with decision and signal markers."""
    if not points:
        return ""
    left, right, top, bottom = 44, 16, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = SCORE_RANGE
    n = len(points)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(score: float) -> float:
        return top + plot_h * (hi - max(lo, min(hi, score))) / (hi - lo)

    parts = [
        f"<svg class='trajectory' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{_q(title)}'>",
        f"<title>{escape(title)}</title>",
        f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='#fafafa' stroke='#ddd'/>",
    ]
    for tick in (-2, -1, 0, 1, 2):
        label = f"{tick:+d}" if tick else "0"
        parts.append(
            f"<line class='grid' x1='{left}' x2='{left + plot_w}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' "
            f"stroke='{'#999' if tick == 0 else '#eee'}'/>"
            f"<text x='{left - 6}' y='{y(tick) + 4:.1f}' font-size='11' text-anchor='end'>{label}</text>"
        )
    step = max(1, n // 12)
    for i, point in enumerate(points):
        if i % step == 0 or i == n - 1:
            parts.append(f"<text x='{x(i):.1f}' y='{height - 12}' font-size='11' text-anchor='middle'>"
                         f"{point.revision}</text>")  # fmt: skip
    parts.append(f"<text x='{left + plot_w / 2:.1f}' y='{height - 1}' font-size='11' text-anchor='middle'>"
                 "revision</text>")  # fmt: skip
    palette = _palette(points)
    for series, colour in palette.items():
        run: list[str] = []
        for i, point in enumerate(points):
            score = point.scores.get(series)
            if score is None:
                parts.append(_polyline(run, series, colour))
                run = []
                continue
            run.append(f"{x(i):.1f},{y(score):.1f}")
            parts.append(
                f"<circle class='score {_css(series)}' data-series='{_q(series)}' cx='{x(i):.1f}' "
                f"cy='{y(score):.1f}' r='3' fill='{colour}'>"
                f"<title>{escape(point.label)}: {series} {score:+.2f} ({point.decisions.get(series, '')})"
                "</title></circle>"
            )
        parts.append(_polyline(run, series, colour))
    changed = changes(points)
    for i, point in enumerate(points):
        for k, text in enumerate(changed.get(point.revision, [])):
            series = text.split(":")[0]
            colour = palette.get(series) or SERIES_COLOURS.get(series, "#555")
            parts.append(
                f"<rect class='decision-change' data-revision='{point.revision}' x='{x(i) - 4:.1f}' "
                f"y='{top + plot_h - 10 - 9 * k:.1f}' width='8' height='8' fill='{colour}'>"
                f"<title>{escape(point.label)}: {escape(text)}</title></rect>"
            )
    for span in signal_spans(points):
        for kind, revision in (("start", span.start), ("end", span.end)):
            if revision is None:
                continue
            i = next(k for k, p in enumerate(points) if p.revision == revision)
            shape = f"{x(i) - 5:.1f},{top - 12} {x(i) + 5:.1f},{top - 12} {x(i):.1f},{top - 3}"
            if kind == "end":
                shape = f"{x(i) - 5:.1f},{top - 3} {x(i) + 5:.1f},{top - 3} {x(i):.1f},{top - 12}"
            parts.append(
                f"<polygon class='signal-{kind}' data-code='{_q(span.code)}' "
                f"points='{shape}' "
                f"fill='{'#c33' if kind == 'start' else '#2a7'}'><title>signal {escape(span.code)} "
                f"{'starts' if kind == 'start' else 'ends'} at revision {revision}</title></polygon>"
            )
    legend = "".join(f"<tspan fill='{colour}'>■ {series}  </tspan>" for series, colour in palette.items())
    parts.append(
        f"<text x='{left}' y='12' font-size='11'>{legend}<tspan fill='#c33'>▼ signal starts  </tspan>"
        "<tspan fill='#2a7'>▲ signal ends  </tspan><tspan>■ decision changes</tspan></text></svg>"
    )
    return "".join(parts)


def _polyline(run: list[str], series: str, colour: str) -> str:
    if len(run) < 2:
        return ""
    joined = " ".join(run)
    return (
        f"<polyline class='line {_css(series)}' points='{joined}' fill='none' stroke='{colour}' "
        "stroke-width='2'/>"
    )


@dataclass(frozen=True)
class OffsetBar:
    """One interviewer's offset on one goal, with its interval."""

    interviewer: str
    goal: str
    offset: float
    interval: tuple[float, float] | None
    flagged: bool
    note: str


def offsets(bars: Sequence[OffsetBar], limit: float = 3.0, width: int = 760) -> str:
    """A horizontal bar per interviewer and goal: severity (points) and its 95 % interval."""
    if not bars:
        return "<p>No interviewer has rated a goal someone else also rated.</p>"
    row, label_w, top = 18, 260, 30
    plot_w = width - label_w - 20
    height = top + row * len(bars) + 30

    def x(v: float) -> float:
        return label_w + plot_w * (max(-limit, min(limit, v)) + limit) / (2 * limit)

    parts = [
        f"<svg class='calibration' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' "
        "aria-label='severity per interviewer and goal'>",
        "<title>Severity per interviewer and goal (rating points against the median interviewer, "
        "95 % interval)</title>",
    ]
    for tick in range(-int(limit), int(limit) + 1):
        parts.append(
            f"<line x1='{x(tick):.1f}' x2='{x(tick):.1f}' y1='{top - 6}' y2='{height - 24}' "
            f"stroke='{'#666' if tick == 0 else '#eee'}'/><text x='{x(tick):.1f}' y='{height - 10}' "
            f"font-size='11' text-anchor='middle'>{tick:+d}</text>".replace(">+0<", ">0<")
        )
    parts.append(f"<text x='{label_w}' y='14' font-size='11'>← rates lower than the panel · rates higher →"
                 "  (red, ⚑: flagged)</text>")  # fmt: skip
    for k, bar in enumerate(bars):
        cy = top + row * k + row / 2
        colour = "#c33" if bar.flagged else "#1f6fb2"
        x0, x1 = sorted((x(0), x(bar.offset)))
        flag = "⚑ " if bar.flagged else ""
        parts.append(
            f"<g class='goal-offset{' flagged' if bar.flagged else ''}' data-interviewer="
            f"'{_q(bar.interviewer)}' data-goal='{_q(bar.goal)}' "
            f"data-flagged='{str(bar.flagged).lower()}' data-offset='{bar.offset}'>"
            f"<title>{escape(bar.interviewer)} · {escape(bar.goal)}: {bar.offset:+.2f} — "
            f"{escape(bar.note)}</title>"
            f"<text x='{label_w - 8}' y='{cy + 4:.1f}' font-size='12' text-anchor='end' fill='{colour}'>"
            f"{flag}{escape(bar.interviewer)} · {escape(bar.goal)}</text>"
            f"<rect class='bar' x='{x0:.1f}' y='{cy - 5:.1f}' width='{max(x1 - x0, 1):.1f}' height='10' "
            f"fill='{colour}' fill-opacity='0.75'/>"
        )
        if bar.interval is not None:
            a, b = x(bar.interval[0]), x(bar.interval[1])
            parts.append(
                f"<line class='interval' x1='{a:.1f}' x2='{b:.1f}' y1='{cy:.1f}' y2='{cy:.1f}' "
                "stroke='#222'/>"
                f"<line x1='{a:.1f}' x2='{a:.1f}' y1='{cy - 4:.1f}' y2='{cy + 4:.1f}' stroke='#222'/>"
                f"<line x1='{b:.1f}' x2='{b:.1f}' y1='{cy - 4:.1f}' y2='{cy + 4:.1f}' stroke='#222'/>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
