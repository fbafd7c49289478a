"""HTTP habits of both APIs: hand-chosen operationIds, Location on 201, 422 naming its field, ETag and
304, immutable revisions, request metrics by route template."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from schemas.decision import GoalId, Rating
from testkit.auth import service_headers
from testkit.interviews import Script
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app
from tests.unit.platform.test_auth import OPEN_BODY

OPERATION_ID = re.compile(r"[a-z][A-Za-z]+")


def _decision() -> FastAPI:
    script = Script("iv-1").opened().story("s1").assess("a1", GoalId.COMPANY_LEVEL, Rating.YES)
    return fuzz_decision_app(script.events)


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers=service_headers())


@pytest.fixture
async def decision() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_decision()) as http:
        yield http


@pytest.mark.parametrize("make", [_decision, lambda: fuzz_interview_app(InProcessGateway())])
def test_every_operation_has_a_hand_chosen_camel_case_id(make: Callable[[], FastAPI]) -> None:
    paths = make().openapi()["paths"]
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert ids
    assert [i for i in ids if not OPERATION_ID.fullmatch(i)] == []
    assert len(ids) == len(set(ids))


def test_the_decision_document_names_the_habits() -> None:
    paths = _decision().openapi()["paths"]
    one = paths["/interviews/{interview_id}/revisions/{n}"]["get"]
    assert one["operationId"] == "getVerdictRevision"
    assert "immutable" in one["responses"]["200"]["headers"]["Cache-Control"]["description"]
    assert "304" in one["responses"]
    assert "If-None-Match" in [p["name"] for p in one["parameters"]]
    assert paths["/interviews/{interview_id}/revisions"]["get"]["operationId"] == "listVerdictRevisions"


async def test_a_201_says_where_the_verdict_is_read() -> None:
    async with _client(fuzz_interview_app(InProcessGateway())) as http:
        response = await http.post("/interviews/iv-9/open", json=OPEN_BODY | {"actor_id": "rita"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "/interviews/iv-9/verdict"
    document = fuzz_interview_app(InProcessGateway()).openapi()
    assert (
        "Location"
        in document["paths"]["/interviews/{interview_id}/open"]["post"]["responses"]["201"]["headers"]
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/interviews/iv-1/verdict?as_of_sequence=abc", "query.as_of_sequence"),
        ("/interviews/bad%20id/verdict", "path.interview_id"),
        ("/interviews/iv-1/revisions/0", "path.n"),
    ],
)
async def test_a_422_names_its_field(decision: httpx.AsyncClient, path: str, field: str) -> None:
    response = await decision.get(path)
    assert response.status_code == 422
    assert response.json()["field"] == field


async def test_a_revision_is_immutable_and_answers_304(decision: httpx.AsyncClient) -> None:
    listed = (await decision.get("/interviews/iv-1/revisions")).json()["items"]
    assert len(listed) >= 2
    first = await decision.get("/interviews/iv-1/revisions/1")
    assert first.json() == listed[0]
    assert first.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert first.headers["Vary"] == "Authorization"
    again = await decision.get(
        "/interviews/iv-1/revisions/1", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", first.headers["ETag"])
    second = await decision.get(
        "/interviews/iv-1/revisions/2", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert second.status_code == 200
    assert second.json() == listed[1]
    missing = await decision.get(f"/interviews/iv-1/revisions/{len(listed) + 1}")
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/interviews/iv-1/verdict", "/interviews/iv-1/revisions"])
async def test_changing_reads_revalidate(decision: httpx.AsyncClient, path: str) -> None:
    first = await decision.get(path)
    assert first.headers["Cache-Control"] == "private, no-cache"
    tag = first.headers["ETag"]
    assert (await decision.get(path, headers={"If-None-Match": f'W/"x", W/{tag}'})).status_code == 304
    assert (await decision.get(path, headers={"If-None-Match": '"other"'})).status_code == 200


async def test_decision_requests_are_counted_by_route_template() -> None:
    app = _decision()
    async with _client(app) as http:
        await http.get("/interviews/iv-1/revisions/1")
        await http.get("/interviews/nobody/verdict")
        await http.get("/no/such/route")
        text = (await http.get("/metrics")).text
    route = 'route="/interviews/{interview_id}/revisions/{n}"'
    assert f'http_requests_total{{method="GET",role="query",{route},status="200"}} 1.0' in text
    assert 'role="query",route="/interviews/{interview_id}/verdict",status="404"} 1.0' in text
    assert 'route="(unmatched)",status="404"} 1.0' in text
    assert f'http_request_duration_seconds_count{{method="GET",role="query",{route}}} 1.0' in text
    assert "iv-1" not in text
    assert "nobody" not in text


async def test_interview_commands_are_counted_on_the_fast_lane_too() -> None:
    labels = {"method": "POST", "route": "/interviews/{interview_id}/open", "status": "201"}
    before = REGISTRY.get_sample_value("http_requests_total", labels) or 0.0
    async with _client(fuzz_interview_app(InProcessGateway())) as http:
        assert (
            await http.post("/interviews/iv-m/open", json=OPEN_BODY | {"actor_id": "rita"})
        ).status_code == 201
        text = (await http.get("/metrics")).text
    assert REGISTRY.get_sample_value("http_requests_total", labels) == before + 1
    assert "http_request_duration_seconds_bucket" in text


async def test_revisions_come_a_page_at_a_time(decision: httpx.AsyncClient) -> None:
    everything = (await decision.get("/interviews/iv-1/revisions")).json()
    assert everything["next"] is None
    held, url, pages = [], "/interviews/iv-1/revisions?limit=1", 0
    while url is not None:
        response = await decision.get(url)
        page = response.json()
        assert len(page["items"]) == 1
        held += page["items"]
        pages += 1
        if page["next"] is not None:
            assert response.headers["Link"] == f'<{page["next"]}>; rel="next"'
            assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"  # full: fixed
        else:
            assert "Link" not in response.headers
            assert response.headers["Cache-Control"] == "private, no-cache"  # the last page grows
        url = page["next"]
    assert held == everything["items"]
    assert pages == len(held) >= 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "query.limit"), ("limit=1001", "query.limit"), ("cursor=bm90LWEtY3Vyc29y", "query.cursor"),
     ("cursor=%2F%2F", "query.cursor")],
)  # fmt: skip
async def test_a_bad_page_request_names_its_field(
    decision: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await decision.get(f"/interviews/iv-1/revisions?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_the_document_states_the_paging() -> None:
    listed = _decision().openapi()["paths"]["/candidacies/{candidacy_id}/revisions"]["get"]
    assert {"limit", "cursor", "If-None-Match"} <= {p["name"] for p in listed["parameters"]}
    assert {"ETag", "Cache-Control", "Link"} <= set(listed["responses"]["200"]["headers"])
