"""A story-first interview as (actor, payload) steps, and how each maps to an HTTP route."""

from __future__ import annotations

from typing import Any

from tests.unit.interview.given import (
    ALICE,
    BOB,
    CANDIDATE,
    answer,
    assess,
    conclude,
    open_payload,
    question,
    story,
)

ROUTES = {
    "open_interview": "open",
    "tell_story": "stories",
    "ask_question": "questions",
    "answer_question": "answers",
    "assess_goal": "assessments",
    "conclude_interview": "conclusion",
}

STORY_FIRST: list[tuple[str, dict[str, Any]]] = [
    (ALICE, open_payload()),
    (ALICE, question("q1", "invite_story")),
    (CANDIDATE, story("s1", in_reply_to="q1", skills=["kafka", "python"])),
    (BOB, question("q2", "clarifying", "s1")),
    (CANDIDATE, answer("a1", "q2")),
    (ALICE, question("q3", "clarifying", "a1")),
    (CANDIDATE, answer("a2", "q3")),
    (CANDIDATE, question("q4", "about_company")),
    (BOB, answer("a3", "q4")),
    (ALICE, assess("g1", "company.level", ["s1", "a1"], "strong_yes")),
    (CANDIDATE, assess("g2", "company.attract", ["a3"])),
    (ALICE, assess("g3", "company.level", ["s1", "a2"])),
    (ALICE, conclude()),
]


def http_request(
    interview_id: str, version: int, actor: str, payload: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) of one step on the HTTP API."""
    body = {k: v for k, v in payload.items() if k != "type"} | {
        "actor_id": actor,
        "expected_version": version,
    }
    return f"/interviews/{interview_id}/{ROUTES[payload['type']]}", body
