"""HTTP request count and latency (Prometheus naming), by route template, for both services' APIs.

``http_requests_total{method,route,status}`` and ``http_request_duration_seconds{method,route}``: the
route is the template the request matched (``/interviews/{interview_id}/verdict``), never the raw path,
so an id in a path adds no series; a request no route matched is counted under ``(unmatched)``.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "(unmatched)"
"""The route label of a request no route matched (a 404, a body refused before routing)."""
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class HttpMetrics:
    """The two HTTP metrics, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.requests = Counter(
            "http_requests", "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"], registry=registry,
        )  # fmt: skip
        self.seconds = Histogram(
            "http_request_duration_seconds", "Time to answer an HTTP request (until the body is sent), by "
            "method and route template.", ["method", "route"], buckets=BUCKETS, registry=registry,
        )  # fmt: skip


class _Measured:
    """ASGI middleware counting and timing every HTTP request of the app inside it."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, status = time.perf_counter(), 500  # 500: the app raised before it answered

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # the router (and the command lane) put the matched route into the scope it was given
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.seconds.labels(method, route).observe(time.perf_counter() - began)


def measure_http(app: FastAPI, metrics: HttpMetrics) -> None:
    """Count and time every request of ``app``; call it last, so it wraps every other middleware."""
    app.add_middleware(_Measured, metrics=metrics)
