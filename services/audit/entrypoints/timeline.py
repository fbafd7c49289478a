"""One line per interview event and per revision: the words of the HTML timeline."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

from schemas.decision import SideVerdict, VerdictChanged
from schemas.envelope import Event
from schemas.interview import (
    GoalAssessed,
    InterviewConcluded,
    InterviewOpened,
    QuestionAnswered,
    QuestionAsked,
    StoryTold,
)
from services.platform.privacy.sealing import Lookup, reveal


def describe(event: Event, keys: Lookup | None = None) -> str:
    """What an interview event says, in a few words; text opened with ``keys`` (else ``[sealed]``)."""
    d = event.data
    text = functools.partial(reveal, event, lookup=keys)
    if isinstance(d, InterviewOpened):
        people = ", ".join(f"{p.id} ({p.side})" for p in d.participants)
        return f"opened: {d.round} round for {d.position}; {people}; policy {d.policy_version}"
    if isinstance(d, StoryTold):
        return f"{d.teller} tells story {d.story_id} ({d.kind}): {text('title')}"
    if isinstance(d, QuestionAsked):
        about = f" about {d.about}" if d.about else ""
        return f"{d.asker} asks {d.kind} question {d.question_id}{about}: {text('text')}"
    if isinstance(d, QuestionAnswered):
        return f"{d.answerer} answers {d.question_id} ({d.answer_id}): {text('text')}"
    if isinstance(d, GoalAssessed):
        evidence = ", ".join(d.evidence)
        sure = f" ({d.confidence} confidence)" if d.confidence else ""
        return f"{d.assessor} ({d.assessor_side}) rates {d.goal} {d.rating}{sure}; evidence {evidence}"
    if isinstance(d, InterviewConcluded):
        return f"concluded by {d.concluded_by}: {d.outcome}"
    return event.attributes.type


def short_ids(events: Iterable[Event]) -> dict[str, str]:
    """Event id -> the interview's own id of what it recorded (s1, q3, a2, g4; ``opened``, ``#7`` else)."""
    out = {}
    for event in events:
        d = event.data
        own = next((getattr(d, k) for k in ("answer_id", "assessment_id", "story_id", "question_id")
                    if isinstance(getattr(d, k, None), str)), None)  # fmt: skip
        if own is None:
            own = {InterviewOpened: "opened", InterviewConcluded: "concluded"}.get(
                type(d), f"#{event.attributes.sequence}"
            )
        out[event.attributes.id] = own
    return out


def sender(event: Event) -> str:
    """Who sent the command behind an event (its Auth Context attributes), e.g.
    ``by alice (interviewer, https://idp.example)``; empty for events written before they were recorded."""
    a = event.attributes
    if a.authid is None:
        return ""
    try:
        claims = json.loads(a.authclaims or "{}")
    except ValueError:
        claims = {}
    facts = [str(claims[k]) for k in ("role", "iss") if isinstance(claims, dict) and claims.get(k)]
    kind = "" if a.authtype in ("user", None) else f"{a.authtype} "
    return f"by {kind}{a.authid}" + (f" ({', '.join(facts)})" if facts else "")


def side(verdict: SideVerdict) -> str:
    """``proceed (+1.17)`` or ``undecided, missing company.level``."""
    score = "" if verdict.score is None else f" ({verdict.score:+.2f})"
    missing = f", missing {', '.join(verdict.missing)}" if verdict.missing else ""
    return f"{verdict.decision}{score}{missing}"


def revision_line(data: VerdictChanged) -> str:
    """A revision in one line: both sides, mutual, final flag."""
    final = ", final" if data.final else ""
    return (
        f"revision {data.revision} ({data.policy_version}): company {side(data.company)}; "
        f"candidate {side(data.candidate)}; mutual {data.mutual}{final}"
    )
