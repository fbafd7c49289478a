"""Spans only when tracing is on: with no tracer provider configured a span still costs a context attach."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from services.platform.tracing import TRACER


@functools.cache
def tracing_on() -> bool:
    """Whether a tracer provider was configured (``configure_tracing`` found an OTLP endpoint).

    Decided once: ``configure_tracing`` runs at start, before the first request or record (asking the
    API each time costs an environment lookup per call).
    """
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def span(
    name: str, parent: Callable[[], Context], kind: SpanKind, attributes: Mapping[str, str]
) -> contextlib.AbstractContextManager[Any]:
    """``TRACER.start_as_current_span`` under ``parent()`` when tracing is on, else nothing.

    With tracing off nothing is recorded and no trace context is propagated (docs/design.md).
    """
    if not tracing_on():
        return contextlib.nullcontext()
    return TRACER.start_as_current_span(name, context=parent(), kind=kind, attributes=dict(attributes))
