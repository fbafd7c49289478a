"""Schemathesis over both services' OpenAPI documents: no 5xx, every response as documented.

Half of the interview commands are aimed at an interview opened first, by one of its participants
at its current version, so the accepted paths run too (opened, told, asked, answered, assessed,
concluded, replayed); the rest go wherever the generator sends them. Each operation gets
``FUZZ_EXAMPLES`` generated requests, positive and negative (schema-violating) alike.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import structlog
from hypothesis import HealthCheck, settings

from schemas.common import QuestionKind
from testkit.auth import service_headers
from testkit.interviews import Script
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1200"))
"""Generated requests per operation (fewer where a schema has fewer values): over 10,000 in all."""
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,  # CI runs the same requests each time; a failure replays
    suppress_health_check=list(HealthCheck),
    database=None,
)
CHECKS = {"excluded_checks": [schemathesis.checks.positive_data_acceptance]}
"""Every built-in check but one: a schema-valid command the domain refuses (an unknown reference: 422)
is a correct answer, not a failure. A schema-invalid one must be refused (negative_data_rejection)."""
TALLY: Counter[str] = Counter()
"""Requests sent and statuses seen, per app (reported by ``test_fuzzing_covered_enough``)."""

GATEWAY = InProcessGateway()
INTERVIEW_APP = fuzz_interview_app(GATEWAY)
INTERVIEW = schemathesis.openapi.from_asgi("/openapi.json", INTERVIEW_APP)

SCRIPT = Script("iv-fuzz").opened().ask("q1", QuestionKind.INVITE_STORY)
DECISION = schemathesis.openapi.from_asgi("/openapi.json", fuzz_decision_app(SCRIPT.events))
UNREADY = schemathesis.openapi.from_asgi("/openapi.json", fuzz_decision_app(SCRIPT.events, ready=False))
"""The decision app before its read models are restored (ADR 0029): no data route may say 404."""
NOT_FOUND = {"verdict_not_found", "candidacy_not_found", "interviewer_not_found"}
UNREADY_CHECKS = {"excluded_checks": [*CHECKS["excluded_checks"], schemathesis.checks.not_a_server_error]}
"""A 503 is its answer (documented, with Retry-After): the test itself allows no other 5xx."""


@INTERVIEW.auth()
@DECISION.auth()
@UNREADY.auth()
class ServiceToken:
    """A service token on every request (it acts for any participant and reads every verdict; the access
    tests cover the roles). Schemathesis knows it is the credential: it also sends requests without it or
    with a broken one and checks that they are refused (401)."""

    def get(self, case: Any, context: Any) -> str:
        return service_headers()["Authorization"].removeprefix("Bearer ")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


class Arena:
    """The open interview that aimed commands go to; a new one once it is concluded."""

    PEOPLE = {"cand": "candidate", "ana": "company", "ben": "company"}

    def __init__(self) -> None:
        self.count = itertools.count()
        self.rng = random.Random(7)
        self.version = 0
        self.interview_id = ""
        self.reopen()

    def reopen(self) -> None:
        """Open a fresh interview through the app's own gateway."""
        import asyncio

        from schemas.commands import CommandEnvelope

        self.interview_id = f"arena-{next(self.count)}"
        participants = [{"id": p, "side": s, "role": "r"} for p, s in self.PEOPLE.items()]
        command = CommandEnvelope.model_validate(
            {
                "command_id": "00000000-0000-4000-8000-" + f"{next(self.count):012d}",
                "interview_id": self.interview_id,
                "expected_version": 0,
                "actor_id": "ana",
                "correlation_id": "arena",
                "payload": {
                    "type": "open_interview", "candidacy_id": "cy", "round": "technical",
                    "position": "p", "candidate_id": "cand", "participants": participants,
                },
            }
        )  # fmt: skip
        result = asyncio.run(GATEWAY.submit(command, 1.0))
        assert result.status == "accepted", result
        self.version = 1

    def aim(self, case: Any) -> None:
        """Point a command at the open interview, as a participant at its current version."""
        negative = case.meta is not None and case.meta.generation.mode.is_negative
        if negative or self.rng.random() < 0.4 or not isinstance(case.body, dict):
            return  # a schema-violating request stays as generated: it must be refused
        case.path_parameters["interview_id"] = self.interview_id
        case.body["actor_id"] = self._actor(case.body)
        case.body["expected_version"] = self.version
        for name in ("story_id", "question_id", "answer_id", "assessment_id"):
            if name in case.body:  # generated ids repeat ("0", "0", ...): a fresh one gets past duplicate_id
                case.body[name] = f"{name[0]}{next(self.count)}"
        if self.rng.random() < 0.7:
            self._cite(case.body)

    def _actor(self, body: dict[str, Any]) -> str:
        """Mostly someone whose side may send this command (stories are the candidate's, ...)."""
        candidate = "story_id" in body or body.get("kind") in ("about_company", "about_role")
        company = body.get("kind") in ("invite_story", "scripted", "challenge") or "outcome" in body
        if self.rng.random() < 0.2 or not (candidate or company):
            return self.rng.choice(list(self.PEOPLE))
        return "cand" if candidate else self.rng.choice(["ana", "ben"])

    def _cite(self, body: dict[str, Any]) -> None:
        """Refer to items that exist, so answers, clarifying questions and assessments can pass."""
        items = sorted(GATEWAY.interviews[self.interview_id].item_ids) or ["none"]
        for name in ("question_id", "about", "in_reply_to"):
            if name in body and body[name] is not None:
                body[name] = self.rng.choice(items)
        if "evidence" in body:
            body["evidence"] = sorted(set(self.rng.sample(items, min(len(items), 3))))

    def after(self, response: Any) -> None:
        """Follow the interview's version; reopen once concluded."""
        if response.status_code != 201:
            return
        body = response.json()
        if body["interview_id"] == self.interview_id:
            self.version = body["version"]
            if any(t.endswith("concluded.v1") for t in body["event_types"]):
                self.reopen()


ARENA = Arena()
AIM = random.Random(11)
"""Hypothesis reseeds the global ``random`` for every example: aiming uses its own generator."""


@pytest.fixture(autouse=True, scope="module")
def quiet() -> Iterator[None]:
    """Ten thousand requests need no info lines (a warning or an error still shows)."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    yield
    structlog.configure(**saved)


@INTERVIEW.parametrize()
@FUZZ
def test_interview_api(case: Any) -> None:
    if case.method == "POST":
        ARENA.aim(case)
    response = case.call_and_validate(**CHECKS)
    ARENA.after(response)
    TALLY["interview"] += 1
    TALLY[f"interview {response.status_code}"] += 1
    if response.status_code >= 400:
        TALLY[f"interview code {response.json()['code']}"] += 1
    assert response.status_code < 500


@DECISION.parametrize()
@FUZZ
def test_decision_api(case: Any) -> None:
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if case.path_parameters and not negative and AIM.random() < 0.7:
        case.path_parameters["interview_id"] = "iv-fuzz"
        if AIM.random() < 0.5:
            case.query = {}  # the current verdict, not one as of a generated point
    response = case.call_and_validate(**CHECKS)
    TALLY["decision"] += 1
    TALLY[f"decision {response.status_code}"] += 1
    assert response.status_code < 500


@UNREADY.parametrize()
@settings(FUZZ, max_examples=max(FUZZ_EXAMPLES // 6, 20))
def test_unready_decision_api(case: Any) -> None:
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    if case.path_parameters and not negative and AIM.random() < 0.7:
        case.path_parameters["interview_id"] = "iv-fuzz"  # an interview that exists
    response = case.call_and_validate(**UNREADY_CHECKS)
    TALLY[f"unready {response.status_code}"] += 1
    assert response.status_code < 500 or response.status_code == 503
    if response.status_code >= 400:
        assert response.json()["code"] not in NOT_FOUND, response.text
    if response.status_code == 503:
        retry = {k.lower(): v for k, v in response.headers.items()}.get("retry-after")
        assert retry in ("1", ["1"]), response.headers


def test_fuzzing_covered_enough() -> None:
    """The figures docs/reliability.md quotes (printed with -s); accepted paths ran."""
    print(dict(sorted(TALLY.items())), "records measured:", GATEWAY.records, "largest:", GATEWAY.largest)
    if FUZZ_EXAMPLES >= 1200:
        assert TALLY["interview"] + TALLY["decision"] >= 10_000
    assert TALLY["interview 201"] > 0
    assert TALLY["decision 200"] > 0
    assert TALLY["unready 503"] > 0
