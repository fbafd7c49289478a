"""Each verdict's confidence and its reasons in the verify HTML report (policy v2 and later).

A side verdict that carries a confidence (``SideVerdictV2``) shows its level, the decision it leans
to and every reason looked at, with its effect and evidence; a v1 verdict carries none and shows none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

from schemas.decision import SideVerdict, SideVerdictV2, VerdictChanged, VerdictChangedV2

Evidence = Callable[[Iterable[str]], str]
"""Renders evidence event ids (the report's own short ids, the event id on hover)."""

EFFECT_WORDS = {"supports": "supports", "neutral": "neutral", "lowers": "lowers", "forces_low": "forces low"}


def _side(name: str, side: SideVerdict, policy: str, evidence: Evidence) -> str:
    if not isinstance(side, SideVerdictV2):
        return ""
    c = side.confidence
    reasons = "".join(
        f"<li class='confidence-reason' data-code='{escape(r.code, quote=True)}' data-effect='{r.effect}'>"
        f"<b>{escape(EFFECT_WORDS[r.effect])}</b>: {escape(r.text)}"
        f"{' — ' + evidence(r.evidence) if r.evidence else ''}</li>"
        for r in c.reasons
    )
    held = f", leaning {side.leaning}" if side.leaning != side.decision else ""
    return (
        f"<div class='confidence' data-policy='{escape(policy, quote=True)}' data-side='{name}' "
        f"data-level='{c.level}' data-decision='{side.decision}' data-leaning='{side.leaning}'>"
        f"{name}: <b>{side.decision}</b>{held} — confidence <b class='level'>{c.level}</b>"
        f"<ul>{reasons}</ul></div>"
    )


def confidence_block(data: VerdictChanged, evidence: Evidence) -> str:
    """Both sides' confidence and reasons, and whether another round is needed; empty for v1."""
    sides = _side("company", data.company, data.policy_version, evidence) + _side(
        "candidate", data.candidate, data.policy_version, evidence
    )
    if not sides:
        return ""
    again = isinstance(data, VerdictChangedV2) and data.another_round
    note = "<p class='another-round'>Another round is needed to decide.</p>" if again else ""
    return f"{sides}{note}"


def latest_confidence(version: str, data: list[VerdictChanged], evidence: Evidence) -> str:
    """The latest verdict's confidence under ``version`` (above its chart); empty for v1."""
    if not data:
        return ""
    block = confidence_block(data[-1], evidence)
    if not block:
        return ""
    return (
        f"<section class='latest-confidence' data-policy='{escape(version, quote=True)}'>"
        f"<b>Latest verdict ({escape(version)}, revision {data[-1].revision})</b>{block}</section>"
    )
