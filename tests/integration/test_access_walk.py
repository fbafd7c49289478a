"""The endpoint x role table of docs/security.md, walked cell by cell against both real services.

Both services run on the real broker with the test issuer's keys. A recruiter opens an interview with an
interviewer and a candidate, who act in it with their own tokens; then every declared route is called
anonymously, with each role, and (for scoped cells) by someone of that role outside the interview, and
the status must be the one the declaration documents:

* public: 200; anonymous elsewhere: 401; a role the route does not allow: 403 ``forbidden_role``;
* a write allowed to the role, in scope: past the access checks, at the domain (a deliberately stale
  ``expected_version`` gives 409 ``version_conflict``, or ``already_opened`` for ``open``); out of scope:
  403 ``not_a_participant`` naming no one and no version;
* a read allowed to the role, in scope: 200 (the candidate: the candidate's view, no other participant
  id); out of scope: 404, the same as for an interview that does not exist.

It also checks what the events record about who sent them (HTTP tokens and the Kafka intake).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from schemas.topics import Topics
from services.decision.entrypoints.access import ACCESS as DECISION_ACCESS
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.service import run_decision_service
from services.interview.entrypoints.access import ACCESS as INTERVIEW_ACCESS
from services.platform.api_docs import assets
from services.platform.auth import DOCS_ROUTES, Access, Role, Scope
from services.platform.broker import Broker
from services.platform.devkeys import DEV_ISSUER
from testkit.auth import bearer
from tests.decision_support import eventually, free_port, settings_for
from tests.integration.interview.conftest import (
    KafkaIntake,
    envelope,
    events_of,
    start_replica,
    stop_replica,
    wait_until,
)

pytestmark = pytest.mark.kafka

IID, OTHER = "iv-walk", "iv-walk-2"
PARTICIPANTS = [
    {"id": "rita", "side": "company", "role": "recruiter"},
    {"id": "alice", "side": "company", "role": "interviewer"},
    {"id": "cand-7", "side": "candidate", "role": "candidate"},
]
OPEN = {
    "candidacy_id": "cy-walk",
    "round": "technical",
    "position": "Backend engineer",
    "candidate_id": "cand-7",
    "participants": PARTICIPANTS,
}
IN_SCOPE = {
    Role.RECRUITER: "rita",
    Role.INTERVIEWER: "alice",
    Role.CANDIDATE: "cand-7",
    Role.AUDITOR: "audrey",
    Role.SERVICE: "svc-walk",
}
OUT_OF_SCOPE = {Role.RECRUITER: "rob", Role.INTERVIEWER: "mallory", Role.CANDIDATE: "cand-9"}
STALE = 999
WRITES: dict[str, dict[str, Any]] = {
    "open": OPEN,
    "stories": {"story_id": "s9", "kind": "success", "title": "T", "summary": "S", "in_reply_to": "q1"},
    "questions": {"question_id": "q9", "kind": "about_role", "text": "What would I own?"},
    "answers": {"answer_id": "a9", "question_id": "q1", "text": "An answer."},
    "assessments": {"assessment_id": "g9", "goal": "company.level", "rating": "yes", "evidence": ["s1"]},
    "conclusion": {"outcome": "completed"},
}


INVITE = {"question_id": "q1", "kind": "invite_story", "text": "Tell me a story."}
QUERIES: dict[str, str] = {}
"""Query strings of the routes that require one (the transparency proofs, ADR 0026), filled by ``apps``
from a real signed checkpoint."""


def auth(role: Role, sub: str) -> dict[str, str]:
    return bearer(role.value, sub)


@pytest.fixture
async def apps(kafka: Broker, kafka_client: dict[str, Any], topics: Topics) -> AsyncIterator[dict[str, Any]]:
    """Both services, an interview acted out by its participants with their own tokens, a verdict."""
    replica = await start_replica(kafka_client, topics)
    await wait_until(lambda: replica[0].ready, what="interview service ready")
    settings = settings_for(kafka, topics, free_port())
    runtime, stop = build_runtime(settings), asyncio.Event()
    task = asyncio.create_task(run_decision_service(settings, stop, runtime))
    decision = httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}", timeout=10)
    interview = replica[1]
    interview.headers.pop("Authorization")  # each call below says who it is
    steps: list[tuple[str, Role, str, dict[str, Any]]] = [
        ("open", Role.RECRUITER, "rita", OPEN),
        ("questions", Role.INTERVIEWER, "alice", INVITE),
        ("stories", Role.CANDIDATE, "cand-7", WRITES["stories"] | {"story_id": "s1"}),
        ("assessments", Role.INTERVIEWER, "alice", WRITES["assessments"] | {"assessment_id": "g1"}),
        ("assessments", Role.CANDIDATE, "cand-7",
         {"assessment_id": "g2", "goal": "candidate.offer", "rating": "yes", "evidence": ["q1"]}),
    ]  # fmt: skip
    for version, (route, role, sub, body) in enumerate(steps):
        answer = await interview.post(
            f"/interviews/{IID}/{route}", json=body | {"expected_version": version}, headers=auth(role, sub)
        )
        assert answer.status_code == 201, answer.text
    audit = auth(Role.AUDITOR, "audrey")

    async def verdict_after_all() -> bool:
        got = await decision.get(f"/interviews/{IID}/verdict", headers=audit)
        return got.status_code == 200 and got.json()["verdict"]["input_sequence"] == len(steps)

    async def participants_known() -> bool:  # the read scopes come from the participant store
        return runtime.participants.side(IID, "cand-7") == "candidate"

    async def candidacy_and_calibration_served() -> bool:  # their query stores caught up
        got = await decision.get(f"/candidacies/{OPEN['candidacy_id']}/verdict", headers=audit)
        calibration = await decision.get("/calibration", headers=audit)
        return got.status_code == 200 and calibration.status_code == 200

    assert await eventually(verdict_after_all, timeout=60)
    assert await eventually(participants_known, timeout=30)
    assert await eventually(candidacy_and_calibration_served, timeout=60)
    assert await eventually(lambda: proofs_served(decision, audit), timeout=90)
    yield {"interview": interview, "decision": decision, "topics": topics, "client": kafka_client}
    await decision.aclose()
    stop.set()
    await asyncio.wait_for(task, timeout=15)
    await stop_replica(replica)


async def proofs_served(decision: httpx.AsyncClient, audit: dict[str, str]) -> bool:
    """True once a checkpoint covers the interview's first event and its first verdict revision; fills
    ``QUERIES`` with the parameters of the proofs against it."""
    listed = (await decision.get("/transparency/checkpoints")).json().get("checkpoints", [])
    events = [c for c in listed if c["topic"] == "interview.events" and c["size"] > 0]
    revision = await decision.get(f"/verdicts/{IID}/revisions/1/inclusion", headers=audit)
    if not events or revision.status_code != 200:
        return False
    first = events[0]
    QUERIES["/transparency/inclusion"] = f"?topic=interview.events&partition={first['partition']}&offset=0"
    size = first["size"]
    QUERIES["/transparency/consistency"] = f"?origin={first['origin']}&old={size}&new={size}"
    path = "/transparency/inclusion"
    inclusion = await decision.get(path + QUERIES[path], headers=audit)
    return inclusion.status_code == 200


def cells() -> list[tuple[str, str, Access]]:
    rows = [("interview", k, a) for k, a in INTERVIEW_ACCESS.items()]
    return rows + [("decision", k, a) for k, a in DECISION_ACCESS.items()]


async def call(
    http: httpx.AsyncClient,
    key: str,
    headers: dict[str, str],
    interview: str = IID,
    for_participant: bool = False,
) -> httpx.Response:
    method, path = key.split()
    route = path.rsplit("/", 1)[-1]
    path = path.replace("{interview_id}", interview).replace("{candidacy_id}", str(OPEN["candidacy_id"]))
    path = path.replace("{interviewer_id}", IN_SCOPE[Role.INTERVIEWER])
    path = path.replace("{asset:path}", next(iter(assets())))  # an API page's script (ADR 0031)
    path = path.replace("{n}", "1")  # the first revision (ADR 0032)
    path += QUERIES.get(path, "")
    if method == "GET":
        return await http.get(path, headers=headers)
    body = WRITES[route] | {"expected_version": 0 if route == "open" else STALE}
    if for_participant:  # a service token names the participant it acts for
        body["actor_id"] = "rita" if route == "open" else "alice"
    return await http.post(path, json=body, headers=headers)


def in_scope_answer(service: str, key: str, response: httpx.Response) -> None:
    # Allowed, and answered by the route itself: alice has no concluded interview yet.
    if key == "GET /calibration/interviewers/{interviewer_id}":
        found = (response.status_code, response.json()["code"])
        assert found == (404, "interviewer_not_found"), response.text
        return
    if service == "decision":
        assert response.status_code == 200, (key, response.text)
        return
    expected = "already_opened" if key.endswith("/open") else "version_conflict"
    assert (response.status_code, response.json()["code"]) == (409, expected), (key, response.text)


async def test_every_cell_of_the_table(apps: dict[str, Any]) -> None:
    walked = 0
    for service, key, access in cells():
        http: httpx.AsyncClient = apps[service]
        anonymous = await call(http, key, {})
        if access.public:
            assert anonymous.status_code == 200, key
            walked += 1
            continue
        assert anonymous.status_code == 401, key
        assert anonymous.headers["www-authenticate"].startswith("Bearer ")
        for role in Role:
            response = await call(http, key, auth(role, IN_SCOPE[role]), for_participant=role is Role.SERVICE)
            scope = access.grants.get(role)
            walked += 1
            if scope is None:
                assert (response.status_code, response.json()["code"]) == (403, "forbidden_role"), (key, role)
                continue
            in_scope_answer(service, key, response)
            if scope is Scope.ALL:
                continue
            stranger = await call(
                http, key, auth(role, OUT_OF_SCOPE[role]), OTHER if key.endswith("/open") else IID
            )
            walked += 1
            body = stranger.json()
            if service == "decision":
                assert (stranger.status_code, body["code"]) == (404, "verdict_not_found"), (key, role)
                missing = await call(http, key, auth(role, OUT_OF_SCOPE[role]), "iv-does-not-exist")
                assert missing.json() == body | {"detail": body["detail"].replace(IID, "iv-does-not-exist")}
            else:
                assert (stranger.status_code, body["code"]) == (403, "not_a_participant"), (key, role)
                assert "current_version" not in body
                assert not {"rita", "alice", "cand-7"} & set(stranger.text.replace('"', " ").split())
                if not key.endswith("/open"):  # the same answer as for an interview nobody opened
                    missing = await call(http, key, auth(role, OUT_OF_SCOPE[role]), "iv-does-not-exist")
                    assert (missing.status_code, missing.json()["code"]) == (403, "not_a_participant")
                    assert missing.json()["detail"] == body["detail"].replace(IID, "iv-does-not-exist")
    documented = sum(1 for k in [*INTERVIEW_ACCESS, *DECISION_ACCESS] if k not in DOCS_ROUTES)
    assert walked >= documented * len(Role) // 2


async def test_a_recruiter_who_is_not_a_participant_learns_no_version(apps: dict[str, Any]) -> None:
    again = await call(apps["interview"], "POST /interviews/{interview_id}/open", auth(Role.RECRUITER, "rob"))
    assert (again.status_code, again.json()["code"]) == (409, "already_opened")
    assert "current_version" not in again.json()


async def test_the_candidate_reads_their_view_and_names_no_one_else(apps: dict[str, Any]) -> None:
    decision: httpx.AsyncClient = apps["decision"]
    mine = await decision.get(f"/interviews/{IID}/verdict", headers=auth(Role.CANDIDATE, "cand-7"))
    full = await decision.get(f"/interviews/{IID}/verdict", headers=auth(Role.INTERVIEWER, "alice"))
    assert (mine.json()["view"], full.json()["view"]) == ("candidate", "full")
    assert "alice" in full.text  # the panel sees who assessed
    assert "alice" not in mine.text
    assert "rita" not in mine.text
    theirs, own = mine.json()["verdict"]["company"], mine.json()["verdict"]["candidate"]
    assert theirs["decision"] == full.json()["verdict"]["company"]["decision"]
    assert [r["goal"] for r in theirs["reasons"]] == [
        r["goal"] for r in full.json()["verdict"]["company"]["reasons"]
    ]
    assert all(r["assessments"] == [] for r in theirs["reasons"])
    assert [a["assessor"] for r in own["reasons"] for a in r["assessments"]] == ["cand-7"]
    revisions = await decision.get(f"/interviews/{IID}/revisions", headers=auth(Role.CANDIDATE, "cand-7"))
    assert revisions.status_code == 200
    assert "alice" not in revisions.text


async def test_events_record_who_sent_them(apps: dict[str, Any]) -> None:
    topics, client = apps["topics"], apps["client"]
    intake = KafkaIntake(client, topics)
    await intake.producer.start()
    try:
        await intake.send(envelope(IID, 5, "alice", {"type": "conclude_interview", "outcome": "completed"}))
        assert await eventually(lambda: _count(client, topics, 6), timeout=30)
    finally:
        await intake.producer.stop()
    events = await events_of(client, topics, IID)
    who = [(e.attributes.authtype, e.attributes.authid, e.attributes.actorid) for e in events]
    assert who == [
        ("user", "rita", "rita"),
        ("user", "alice", "alice"),
        ("user", "cand-7", "cand-7"),
        ("user", "alice", "alice"),
        ("user", "cand-7", "cand-7"),
        ("service_account", "User:interview-intake", "alice"),
    ]
    claims = [json.loads(e.attributes.authclaims or "{}") for e in events]
    assert claims[0] == {"iss": DEV_ISSUER, "role": "recruiter"}
    assert claims[2] == {"iss": DEV_ISSUER, "role": "candidate"}
    assert claims[-1] == {"iss": "kafka", "role": "service"}
    assert all(e.attributes.wire()["authid"] for e in events)


async def _count(client: dict[str, Any], topics: Topics, n: int) -> bool:
    return len(await events_of(client, topics, IID)) >= n


async def test_probes_disclose_no_ids(apps: dict[str, Any]) -> None:
    for service in ("interview", "decision"):
        http: httpx.AsyncClient = apps[service]
        for probe in ("/healthz", "/readyz", "/metrics"):
            answer = await http.get(probe, headers={"Accept": "application/openmetrics-text"})
            assert answer.status_code == 200, (service, probe)
            for name in (IID, "rita", "alice", "cand-7", "cy-walk"):
                assert name not in answer.text, (service, probe, name)
    ready = (await apps["decision"].get("/readyz")).json()
    assert isinstance(ready["parked"], int)
