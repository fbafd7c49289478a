"""Every route of both apps declares who may call it; docs/security.md shows exactly those declarations."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from services.decision.entrypoints.access import ACCESS as DECISION_ACCESS
from services.interview.entrypoints.access import ACCESS as INTERVIEW_ACCESS
from services.launcher import access_doc
from services.platform.auth import routes_of, undeclared_routes
from testkit.auth import bearer
from tests.fuzz.inprocess import InProcessGateway, fuzz_decision_app, fuzz_interview_app


def apps() -> dict[str, tuple[FastAPI, dict[str, object]]]:
    return {
        "interview": (fuzz_interview_app(InProcessGateway()), dict(INTERVIEW_ACCESS)),
        "decision": (fuzz_decision_app([]), dict(DECISION_ACCESS)),
    }


@pytest.mark.parametrize("name", ["interview", "decision"])
def test_every_route_declares_its_roles(name: str) -> None:
    app, table = apps()[name]
    assert len(routes_of(app)) >= 8
    assert undeclared_routes(app, table) == []  # type: ignore[arg-type]
    stale = sorted(set(table) - set(routes_of(app)))
    assert stale == [], f"declared routes the app does not serve: {stale}"


async def test_an_undeclared_route_is_found_and_answers_nobody() -> None:
    app, table = apps()["decision"]

    @app.get("/interviews/{interview_id}/secret")
    async def secret(interview_id: str) -> dict[str, str]:
        return {"leaked": interview_id}

    assert undeclared_routes(app, table) == ["GET /interviews/{interview_id}/secret"]  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    auditor = bearer("auditor", "a")
    async with httpx.AsyncClient(transport=transport, base_url="http://d", headers=auditor) as http:
        response = await http.get("/interviews/iv-1/secret")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "leaked" not in response.text


def test_the_documented_table_is_the_declared_one() -> None:
    text = access_doc.DOC.read_text()
    assert access_doc.BEGIN in text
    assert access_doc.END in text
    assert access_doc.rewritten(text) == text, "run: python -m services.launcher.access_doc"
    for key in [*INTERVIEW_ACCESS, *DECISION_ACCESS]:
        assert f"`{key}`" in text or key.split()[1] in text


def test_the_openapi_documents_name_the_bearer_scheme_and_the_refusals() -> None:
    for name, (app, table) in apps().items():
        doc = app.openapi()
        assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        for path, operations in doc["paths"].items():
            for method, operation in operations.items():
                access = table[f"{method.upper()} {path}"]
                if access.public:  # type: ignore[attr-defined]
                    assert operation["security"] == [], (name, path)
                else:
                    assert operation["security"] == [{"bearer": []}], (name, path)
                    assert {"401", "403"} <= set(operation["responses"]), (name, path)
