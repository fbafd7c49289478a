"""Prometheus metrics of the decision service (own registry, so tests can run several in one process)."""

from __future__ import annotations

from collections import Counter as Counts

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class DecisionMetrics:
    """Events projected, revisions emitted, DLQ records, parked interviews, lag per partition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.projected = Counter(
            "decision_events_projected",
            "Interview events projected (committed batches).",
            registry=self.registry,
        )
        self.revisions = Counter(
            "decision_revisions_emitted", "Verdict revisions published (committed).", registry=self.registry
        )
        self.dlq = Counter(
            "decision_dlq_records", "Records dead-lettered (committed).", registry=self.registry
        )
        self.parked = Gauge(
            "decision_parked_interviews", "Interviews waiting behind a DLQ record.", registry=self.registry
        )
        lag_help = "Committed records of interview.events not yet projected."
        self.lag = Gauge("decision_consumer_lag", lag_help, ["partition"], registry=self.registry)

    def committed(self, counts: Counts[str]) -> None:
        """Count one committed batch."""
        self.projected.inc(counts["projected"])
        self.revisions.inc(counts["revisions"])
        self.dlq.inc(counts["dlq"])

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
