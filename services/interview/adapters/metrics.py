"""Prometheus metrics of the interview service (default registry, served on ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from services.platform.http_metrics import HttpMetrics

COMMANDS = Counter(
    "interview_commands_total",
    "Commands answered, counted once their transaction committed; status accepted (events appended), "
    "rejected, or replayed (a retried idempotency key answered with its first result, nothing appended).",
    ["status", "code", "type"],
)
BATCH_SECONDS = Histogram(
    "interview_batch_seconds",
    "Time to decide one batch of commands (before the commit).",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
APPEND_SECONDS = Histogram(
    "interview_append_seconds",
    "HTTP command round trip: produce the command, wait for its committed result.",
    ["status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REBUILD_SECONDS = Histogram(
    "interview_rebuild_seconds",
    "Time to rebuild one partition's state after it was assigned.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60),
)
INTERVIEWS = Gauge("interview_interviews_in_memory", "Interviews whose state this replica holds.")
TRANSACTIONS_ABORTED = Counter(
    "interview_transactions_aborted",
    "Command batch transactions aborted, by reason: fenced (another replica took the partition) or failed.",
    ["reason"],
)
PARTITIONS = Gauge("interview_partitions_assigned", "Command partitions this replica owns.")
HTTP = HttpMetrics()
"""HTTP requests by method, route template and status, and their latency."""
