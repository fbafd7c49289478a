"""One trace spans both services: HTTP request -> command -> interview event -> decision projection.

Both services run as processes exporting spans over OTLP/HTTP to a collector this test runs on
loopback; a request carrying a W3C ``traceparent`` must come back as spans of both services, all in
the caller's trace, and the interview event must carry it (the CloudEvents tracing extension).
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from schemas.codec import decode
from schemas.topics import Topics
from services.platform.broker import Broker
from services.platform.local_kafka import free_port
from services.platform.log_reader import read_all
from testkit.auth import service_headers
from testkit.processes import services

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]

Spans = list[tuple[str, str, str]]
"""(service name, span name, trace id hex) received by the collector."""


class _Collector(BaseHTTPRequestHandler):
    received: Spans = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = next(a.value.string_value for a in resource_spans.resource.attributes
                           if a.key == "service.name")  # fmt: skip
            for scope in resource_spans.scope_spans:
                self.received.extend((service, s.name, s.trace_id.hex()) for s in scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def collector() -> Iterator[tuple[str, Spans]]:
    """An OTLP/HTTP trace receiver on loopback, stopped at the end."""
    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Collector.received
    finally:
        server.shutdown()
        thread.join(5)


async def test_one_trace_spans_both_services(
    kafka: Broker, topics: Topics, tmp_path: Path, collector: tuple[str, Spans]
) -> None:
    endpoint, received = collector
    bootstrap = str(kafka.settings.bootstrap_servers)
    kids = services(bootstrap, topics.prefix, 3, tmp_path / "state", tmp_path / "logs", split=True)
    for child in kids.values():
        child.env |= {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
        child.start()
    trace_id = secrets.token_hex(16)
    try:
        for child in kids.values():
            await asyncio.to_thread(child.wait_ready, 60)
        body = {"actor_id": "alice", "expected_version": 0, "candidacy_id": "cy-1", "round": "technical",
                "position": "Backend engineer", "candidate_id": "cand-1",
                "participants": [{"id": "cand-1", "side": "candidate", "role": "candidate"},
                                 {"id": "alice", "side": "company", "role": "interviewer"}]}  # fmt: skip
        headers = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
        async with httpx.AsyncClient(timeout=30, headers=service_headers()) as http:
            url = f"{kids['interview'].base}/interviews/iv-t/open"
            opened = await http.post(url, json=body, headers=headers)
            assert opened.status_code == 201, opened.text
            deadline = time.monotonic() + 30
            while (await http.get(f"{kids['decision'].base}/interviews/iv-t/verdict")).status_code != 200:
                assert time.monotonic() < deadline, "no verdict"
                await asyncio.sleep(0.2)
            openmetrics = {"Accept": "application/openmetrics-text; version=1.0.0"}
            exposed = (await http.get(f"{kids['interview'].base}/metrics", headers=openmetrics)).text
            assert f'trace_id="{trace_id}"' in exposed  # the request's latency carries its trace as exemplar
    finally:
        for child in kids.values():
            child.stop()  # a clean exit flushes the spans still batched
    mine = {(service, name) for service, name, tid in received if tid == trace_id}
    assert ("hiring-pipeline-interview", "POST open_interview") in mine, received
    assert ("hiring-pipeline-interview", "decide open_interview") in mine, received
    assert ("hiring-pipeline-decision", "project") in mine, received
    records = await read_all(kafka.client(), topics.interview_events)
    (event,) = [decode(r.value, r.headers, r.key) for r in records]
    assert event.attributes.traceparent is not None
    assert event.attributes.traceparent.split("-")[1] == trace_id  # the CloudEvents tracing extension
