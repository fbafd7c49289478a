"""Both services serve the event contract they implement: the AsyncAPI document, as YAML, JSON and HTML."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI

from services.platform.asyncapi_http import mount_asyncapi

COMMITTED = Path(__file__).resolve().parents[3] / "schemas" / "asyncapi.yaml"


async def test_the_document_is_served_byte_for_byte_and_viewable() -> None:
    app = FastAPI()
    mount_asyncapi(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as http:
        served = await http.get("/asyncapi.yaml")
        as_json = (await http.get("/asyncapi.json")).json()
        page = await http.get("/asyncapi")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/yaml")
    assert served.text == COMMITTED.read_text(encoding="utf-8")
    assert as_json == yaml.safe_load(served.text)
    assert as_json["asyncapi"] == "3.0.0"
    assert "hiring.interview.goal_assessed.v2" in as_json["components"]["messages"]
    assert page.status_code == 200
    assert "AsyncApiStandalone.render" in page.text
    assert f"<title>{as_json['info']['title']} AsyncAPI</title>" in page.text
