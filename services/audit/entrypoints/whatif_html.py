"""``what-if --html``: one self-contained page drawing how many verdicts change which way, and why.

A bar per transition (``company: proceed → undecided``, …) with its count, then a row per interview
and part: recorded → alternative, and the reasons. Inline SVG, no script: it opens offline.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from services.audit.domain.report import WhatIfReport

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}ul{margin:0;padding-left:1.2em}
"""
COLOURS = {"company": "#1f6fb2", "candidate": "#d9822b", "mutual": "#555"}


def _q(text: str) -> str:
    return escape(text, quote=True)


def transition_bars(report: WhatIfReport, width: int = 760) -> str:
    """A horizontal bar per (part, transition), its length the number of interviews that change so."""
    rows = [(part, way, n) for part, ways in report.transitions.items() for way, n in ways.items()]
    if not rows:
        return "<p id='no-transitions'>No decision changes.</p>"
    row, label_w, top = 22, 300, 10
    most = max(n for _, _, n in rows)
    plot_w = width - label_w - 60
    height = top + row * len(rows) + 10
    parts = [
        f"<svg class='transitions' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='verdicts that change, by way'>"
        "<title>Verdicts that would change, by part and way</title>"
    ]
    for k, (part, way, n) in enumerate(rows):
        cy, length = top + row * k + row / 2, plot_w * n / most
        colour = COLOURS.get(part, "#555")
        parts.append(
            f"<g class='transition' data-part='{_q(part)}' data-way='{_q(way)}' data-count='{n}'>"
            f"<title>{escape(part)}: {escape(way)} — {n} interview(s)</title>"
            f"<text x='{label_w - 8}' y='{cy + 4:.1f}' font-size='12' text-anchor='end'>"
            f"{escape(part)}: {escape(way)}</text>"
            f"<rect x='{label_w}' y='{cy - 7:.1f}' width='{max(length, 1):.1f}' height='14' fill='{colour}' "
            f"fill-opacity='0.8'/><text x='{label_w + length + 6:.1f}' y='{cy + 4:.1f}' font-size='12'>"
            f"{n}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _rows(report: WhatIfReport) -> str:
    out = []
    for c in report.changed:
        for i, p in enumerate(c.parts):
            why = "".join(f"<li>{escape(w)}</li>" for w in p.why)
            first = f"<td rowspan='{len(c.parts)}'><code>{escape(c.interview)}</code></td>" if i == 0 else ""
            out.append(
                f"<tr class='change' data-interview='{_q(c.interview)}' data-part='{_q(p.part)}'>{first}"
                f"<td>{escape(p.part)}</td><td class='way'>{escape(p.before)} → {escape(p.after)}</td>"
                f"<td><ul class='why'>{why}</ul></td></tr>"
            )
    return "".join(out)


def render(report: WhatIfReport, source: str) -> str:
    """The whole page."""
    policy = report.policy_version or "each interview's recorded version"
    overrides = ", ".join(f"{k}={v}" for k, v in report.thresholds.items()) or "published thresholds"
    head = "<tr><th>interview</th><th>part</th><th>recorded → alternative</th><th>why</th></tr>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>hiring-audit what-if</title>"
        f"<style>{STYLE}</style></head><body><h1>What if: policy {escape(policy)}</h1>"
        f"<p>Source: <code>{escape(source)}</code>; {escape(overrides)}. Nothing is published.</p>"
        f"<p id='summary'><b>{len(report.changed)}</b> of {report.interviews} interviews' latest verdicts "
        f"would change.</p>{transition_bars(report)}<table id='changes'>{head}{_rows(report)}</table>"
        "</body></html>"
    )


def write_html(path: Path, report: WhatIfReport, source: str) -> None:
    """Write the page to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, source), encoding="utf-8")
