"""``what-if``: the latest verdicts under another policy version or thresholds; publishes nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

from schemas.envelope import Event
from services.audit.domain.compare import recompute, revision_of
from services.audit.domain.history import InterviewLog
from services.audit.domain.report import Change, Outcome, WhatIfReport
from services.audit.domain.whatif_diff import diff, transitions
from services.decision.domain.policy import policy_for


class ThresholdError(ValueError):
    """A ``name=value`` threshold override that the policy version does not accept."""


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b=-0.5"]`` -> ``{"a": "1", "b": "-0.5"}``."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ThresholdError(f"threshold {pair!r} is not NAME=VALUE, e.g. decline_goal_mean=-0.5")
        out[name.strip()] = value.strip()
    return out


def thresholds_for(version: str, overrides: dict[str, str]) -> Any:
    """The published thresholds of ``version`` with ``overrides`` applied (typed like the defaults)."""
    defaults = policy_for(version).thresholds
    known = {f.name: getattr(defaults, f.name) for f in dataclasses.fields(defaults)}
    changes = {}
    for name, text in overrides.items():
        if name not in known:
            raise ThresholdError(f"policy {version} has no threshold {name!r}; known: {', '.join(known)}")
        changes[name] = _typed(name, text, known[name])
    return dataclasses.replace(defaults, **changes)


def _typed(name: str, text: str, default: Any) -> Any:
    try:
        return type(default)(text)
    except ValueError:
        raise ThresholdError(f"threshold {name}={text!r} is not a {type(default).__name__}") from None


def outcome(revisions: list[Event]) -> Outcome:
    """The latest verdict of a revision list, summarised."""
    if not revisions:
        return Outcome(revision=None, company="undecided", company_score=None, candidate="undecided",
                       candidate_score=None, mutual="undecided", signals=(), final=False)  # fmt: skip
    d = revision_of(revisions[-1])
    return Outcome(
        revision=d.revision, company=d.company.decision, company_score=d.company.score,
        candidate=d.candidate.decision, candidate_score=d.candidate.score, mutual=d.mutual,
        signals=tuple(s.code for s in d.signals), final=d.final,
    )  # fmt: skip


COMPARED = ("company", "candidate", "mutual", "signals")


def what_if(logs: list[InterviewLog], version: str | None, overrides: dict[str, str]) -> WhatIfReport:
    """Interviews whose latest verdict (decisions, mutual, signals) would differ."""
    changed = []
    applied: dict[str, Any] = {}
    for log in logs:
        if not log.entries:
            continue
        recorded = log.policy_version()
        alternative = version or recorded
        baseline = recompute(log, recorded)
        thresholds = thresholds_for(alternative, overrides)
        applied = applied or {name: getattr(thresholds, name) for name in overrides}
        alternate = recompute(log, alternative, thresholds)
        before, after = outcome(baseline), outcome(alternate)
        fields = tuple(f for f in COMPARED if getattr(before, f) != getattr(after, f))
        if fields:
            parts = diff(_last(baseline), _last(alternate), _rules(alternative, thresholds, overrides))
            changed.append(Change(interview=log.interview_id, fields=fields, baseline=before,
                                  alternative=after, parts=parts))  # fmt: skip
    return WhatIfReport(policy_version=version, thresholds=applied,
                        interviews=sum(1 for log in logs if log.entries), changed=tuple(changed),
                        transitions=transitions(changed))  # fmt: skip


def _rules(version: str, thresholds: Any, overrides: dict[str, str]) -> tuple[str, ...]:
    """The overridden thresholds against the published ones: part of why a decision moves."""
    published = policy_for(version).thresholds
    return tuple(f"{name} = {getattr(thresholds, name)} (published {getattr(published, name)})"
                 for name in overrides)  # fmt: skip


def _last(revisions: list[Event]) -> Any:
    """The latest revision's data (any policy version's), or None before the first."""
    return revisions[-1].data if revisions else None
