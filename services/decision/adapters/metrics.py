"""Prometheus metrics of the decision roles (own registry per role, so tests can run several in one process).

Every sample carries the role that exposes it (``role="projector"``, ``candidacy`` or ``query``; ADR
0016): the roles run as separate processes behind separate scrape targets, and a dashboard summing a
metric over pods must not mix them.
"""

from __future__ import annotations

from collections import Counter as Counts
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.metrics_core import Metric

from services.platform.http_metrics import HttpMetrics


class RoleRegistry(CollectorRegistry):
    """A registry whose every sample is labelled with the role of the process."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def collect(self) -> Iterable[Metric]:
        """The registered metrics, each sample with ``role`` added."""
        for metric in super().collect():
            labelled = Metric(metric.name, metric.documentation, metric.type, metric.unit)
            labelled.samples = [s._replace(labels={**s.labels, "role": self.role}) for s in metric.samples]
            yield labelled


class RoleMetrics:
    """A role's registry and its text exposition."""

    def __init__(self, role: str) -> None:
        self.registry = RoleRegistry(role)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)

    def aborts(self) -> Counter:
        """Batch transactions that did not commit, by reason (fenced, failed): a projector role's."""
        return Counter(
            "decision_transactions_aborted", "Batch transactions aborted, by reason: fenced or failed.",
            ["reason"], registry=self.registry,
        )  # fmt: skip


class DecisionMetrics(RoleMetrics):
    """The verdict projector: events projected, revisions emitted, DLQ records, parked interviews, lag."""

    def __init__(self, role: str = "projector") -> None:
        super().__init__(role)
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
        self.aborted = self.aborts()

    def committed(self, counts: Counts[str]) -> None:
        """Count one committed batch."""
        self.projected.inc(counts["projected"])
        self.revisions.inc(counts["revisions"])
        self.dlq.inc(counts["dlq"])


class CandidacyMetrics(RoleMetrics):
    """The candidacy projector: round verdict revisions combined (committed batches)."""

    def __init__(self) -> None:
        super().__init__("candidacy")
        self.projected = Counter(
            "decision_candidacy_rounds_projected",
            "Records of decision.candidacy-rounds projected (committed batches).",
            registry=self.registry,
        )
        self.aborted = self.aborts()


class QueryMetrics(RoleMetrics):
    """The query service: records each read model's feed read, whether each store has caught up, and
    its HTTP requests (count and latency by route template)."""

    def __init__(self) -> None:
        super().__init__("query")
        self.http = HttpMetrics(self.registry)
        self.read = Gauge(
            "decision_read_model_records", "Records read since start, per topic tailed.", ["topic"],
            registry=self.registry,
        )  # fmt: skip
        self.caught_up = Gauge(
            "decision_read_model_caught_up", "1 once the store has read its topic's end at start.",
            ["store"], registry=self.registry,
        )  # fmt: skip


class NotaryMetrics(RoleMetrics):
    """The notary (ADR 0026): leaves appended and checkpoints published (committed), per logged topic."""

    def __init__(self) -> None:
        super().__init__("notary")
        self.leaves = Counter(
            "decision_tlog_leaves", "Records appended to a transparency-log tree (committed batches).",
            ["topic"], registry=self.registry,
        )  # fmt: skip
        self.checkpoints = Counter(
            "decision_tlog_checkpoints", "Signed checkpoints published (committed).", ["topic"],
            registry=self.registry,
        )  # fmt: skip
