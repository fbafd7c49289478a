"""Properties: interleaving does not matter, duplicates change nothing, projection is pure."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import encode
from schemas.common import GoalId, QuestionKind, Rating
from schemas.envelope import Event
from services.decision.domain.replay import project
from testkit.interviews import Script

PEOPLE = ("cand", "int1", "int2")


@st.composite
def scripts(draw: st.DrawFn, interview_id: str) -> Script:
    """A random but well-formed interview history."""
    s = Script(interview_id).opened()
    items: list[str] = []
    for n in range(draw(st.integers(0, 14))):
        action = draw(st.sampled_from(("story", "ask", "answer", "assess")))
        if action == "story":
            s.story(f"s{n}")
        elif action == "ask":
            about = draw(st.sampled_from([None, *items])) if items else None
            s.ask(
                f"q{n}", draw(st.sampled_from(QuestionKind)), asker=draw(st.sampled_from(PEOPLE)), about=about
            )
        elif action == "answer" and items:
            s.answer(f"a{n}", draw(st.sampled_from(items)))
        elif action == "assess":
            goal, rating = draw(st.sampled_from(GoalId)), draw(st.sampled_from(Rating))
            s.assess(f"g{n}", goal, rating, by=draw(st.sampled_from(PEOPLE)), evidence=(f"x{n}",))
        items.append(f"{action[0]}{n}")
    return s.conclude() if draw(st.booleans()) else s


def wire(events: list[Event]) -> dict[str, list[tuple[bytes, list[tuple[str, bytes]]]]]:
    out: dict[str, list[tuple[bytes, list[tuple[str, bytes]]]]] = {}
    for event in events:
        record = encode(event)
        out.setdefault(event.attributes.subject, []).append((record.value, record.headers))
    return out


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[Script], list[Event]]:
    """Several interviews and one arbitrary interleaving keeping each interview's order."""
    many = [draw(scripts(f"iv{i}")) for i in range(draw(st.integers(1, 4)))]
    queues = [list(s.events) for s in many]
    merged: list[Event] = []
    while any(queues):
        queue = draw(st.sampled_from([q for q in queues if q]))
        merged.append(queue.pop(0))
    return many, merged


@settings(max_examples=60, deadline=None)
@given(interleavings())
def test_interleaving_gives_the_same_revisions_per_interview(case: tuple[list[Script], list[Event]]) -> None:
    many, merged = case
    alone = {s.interview_id: wire(project(s.events)).get(s.interview_id, []) for s in many}
    assert wire(project(merged)) == {k: v for k, v in alone.items() if v}


@settings(max_examples=60, deadline=None)
@given(interleavings(), st.data())
def test_replaying_an_event_again_changes_nothing(
    case: tuple[list[Script], list[Event]], data: st.DataObject
) -> None:
    _, merged = case
    position = data.draw(st.integers(0, len(merged) - 1))
    later = data.draw(st.integers(position + 1, len(merged)))
    with_duplicate = [*merged[:later], merged[position], *merged[later:]]
    assert wire(project(with_duplicate)) == wire(project(merged))


@settings(max_examples=40, deadline=None)
@given(interleavings())
def test_projection_is_a_pure_function(case: tuple[list[Script], list[Event]]) -> None:
    _, merged = case
    before = copy.deepcopy(merged)
    first, second = project(merged), project(iter(merged))
    assert merged == before
    assert [encode(e) for e in first] == [encode(e) for e in second]
