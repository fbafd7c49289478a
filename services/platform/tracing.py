"""OpenTelemetry tracing: off unless an OTLP endpoint is configured; W3C trace context across Kafka.

A request's trace goes from the HTTP front through the command record (a ``traceparent`` header), the
writer's decision and the interview event it appends (the CloudEvents distributed-tracing extension:
``ce_traceparent``/``ce_tracestate``) to the decision service's projection of that event. Configure
with the standard variables (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``, ...); unset, no
span is recorded and nothing is propagated. Log lines carry the trace and span ids of the span in force.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER = trace.get_tracer("hiring-pipeline")
_PROPAGATOR = TraceContextTextMapPropagator()
_ON = [False]
"""Set by ``configure_tracing``: hot loops open a span per record only when spans are recorded."""


def tracing_on() -> bool:
    """True once ``configure_tracing`` turned exporting on in this process."""
    return _ON[0]


def configure_tracing(service: str) -> bool:
    """Export spans over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; True when tracing is on."""
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not any(os.environ.get(name) for name in endpoints):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or f"hiring-pipeline-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _ON[0] = True
    return True


def current_trace() -> tuple[str, str | None] | None:
    """(traceparent, tracestate) of the span in force, or None when nothing is traced."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return (carrier["traceparent"], carrier.get("tracestate")) if "traceparent" in carrier else None


def trace_headers() -> list[tuple[str, bytes]]:
    """The span in force as Kafka headers (``traceparent``, ``tracestate``); none when not traced."""
    found = current_trace()
    if found is None:
        return []
    parent, state = found
    return [("traceparent", parent.encode()), *([("tracestate", state.encode())] if state else [])]


def context_of(carrier: Mapping[str, str]) -> context.Context:
    """The trace context in ``carrier`` (``traceparent``/``tracestate`` keys); empty when absent."""
    return _PROPAGATOR.extract(carrier)


def context_of_headers(headers: Sequence[tuple[str, bytes]] | None) -> context.Context:
    """The trace context in Kafka headers: ``traceparent`` or ``ce_traceparent`` (and tracestate)."""
    carrier: dict[str, str] = {}
    for name, value in headers or ():
        key = name.removeprefix("ce_")
        if key in ("traceparent", "tracestate") and value is not None:
            carrier[key] = value.decode("ascii", "replace")
    return context_of(carrier)


def add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the trace and span ids of the span in force, when there is one."""
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event.setdefault("trace_id", format(span.trace_id, "032x"))
        event.setdefault("span_id", format(span.span_id, "016x"))
    return event


def exemplar() -> dict[str, str] | None:
    """The trace id of the span in force, as a Prometheus exemplar (None when nothing is traced)."""
    span = trace.get_current_span().get_span_context()
    return {"trace_id": format(span.trace_id, "032x")} if span.is_valid else None
