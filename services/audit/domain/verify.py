"""``verify``: chain and sequence checks plus recompute-and-compare, over every interview."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from schemas.envelope import Event
from schemas.topics import DLQ
from services.audit.domain.candidacy import CandidacyAudit, CandidacyStream, with_candidacies
from services.audit.domain.chain import check_chain, finding
from services.audit.domain.compare import compare, published_by_version, recompute, revision_diff, revision_of
from services.audit.domain.dlq import POISON, RETRY, DlqWords, dlq_words
from services.audit.domain.history import Entry, InterviewLog, RawLog, decode_log, revision_data, split
from services.audit.domain.published import settle
from services.audit.domain.records import LogRecord
from services.audit.domain.report import Counts, Discrepancy, Kind, VerifyReport
from services.audit.domain.shadow import is_shadow, misplaced, stopped
from services.decision.domain.policy import versions

Progress = Callable[[int], None]


@dataclass
class InterviewAudit:
    """One interview's log, its recomputed revisions per policy version, and the findings."""

    log: InterviewLog
    expected: dict[str, list[Event]] = field(default_factory=dict)
    findings: list[Discrepancy] = field(default_factory=list)
    matched: int = 0
    info: list[Discrepancy] = field(default_factory=list)


COLLECT_EVERY = 100
"""Interviews between young collections of the cyclic GC (see ``verify_logs``)."""

KEEP = 500
"""Interview audits kept for the HTML report (of those with findings, and of the others, the first
``KEEP`` each): the rest are folded into the report and dropped, so memory does not grow with history."""


@dataclass
class Audit:
    """Everything ``verify`` found; ``report`` is what gets printed.

    ``interviews`` holds the interviews with findings first, then the others (the first ``KEEP`` of
    each, in stream order); ``total`` counts every interview audited.
    """

    interviews: list[InterviewAudit]
    report: VerifyReport
    total: int = 0
    candidacies: list[CandidacyAudit] = field(default_factory=list)


def audit_interview(log: InterviewLog) -> InterviewAudit:
    """Check one interview's chain, recompute its revisions and compare them with the published ones.

    Published records left pending by a lazy ``decode_log`` are resolved first: one byte-identical to
    its recomputation is that event, any other is decoded in full (``published.settle``).
    """
    recomputation = Recomputation(log)
    settle(log, recomputation.by_revision, lambda event, record: revision_diff(event, record) is None)
    audit = InterviewAudit(log, findings=check_chain(log), info=dlq_info(log))
    published, problems = published_by_version(log)
    audit.findings.extend(problems)
    audit.findings.extend(check_input_hashes(log))
    audit.findings.extend(misplaced(log, published))  # ADR 0024
    # Each published revision is recomputed under the policy version it records (a shadow's too); an
    # interview with nothing published under the version it was opened with.
    for version in list(published) or [log.policy_version()]:
        entries = published.get(version, [])
        if version not in versions():
            audit.findings.append(_unknown_policy(log, version, entries))
            continue
        audit.expected[version] = recomputation.events(version)
        found, matched = compare(log, audit.expected[version], entries)
        if is_shadow(entries):
            found, note = stopped(found, entries)
            audit.info.extend(note)
        audit.findings.extend(found)
        audit.matched += matched
    return audit


@dataclass
class Recomputation:
    """An interview's recomputed revisions per policy version, each version replayed once."""

    log: InterviewLog
    done: dict[str, list[Event]] = field(default_factory=dict)
    indexed: dict[str, dict[int, Event] | None] = field(default_factory=dict)

    def events(self, version: str) -> list[Event]:
        """Every revision the decision service publishes for this log under ``version``."""
        if version not in self.done:
            self.done[version] = recompute(self.log, version)
        return self.done[version]

    def by_revision(self, version: str) -> dict[int, Event] | None:
        """``events`` by revision number; None for a version this build does not know."""
        if version not in self.indexed:
            known = version in versions()
            events = self.events(version) if known else []
            self.indexed[version] = {revision_of(e).revision: e for e in events} if known else None
        return self.indexed[version]


def _unknown_policy(log: InterviewLog, version: str, published: list[Entry]) -> Discrepancy:
    detail = f"policy {version} is unknown to this build (known: {', '.join(versions())}); not recomputed"
    where = published[0] if published else log.entries[0] if log.entries else log.published[0]
    return finding(Kind.UNKNOWN_POLICY, where, detail, policy_version=version)


def check_input_hashes(log: InterviewLog) -> list[Discrepancy]:
    """Each published revision's ``input_hash`` is the hash of the interview event at its ``input_sequence``.

    This anchors the head of the chain: the last event of an interview has no successor whose
    ``prevhash`` would expose an edit, but the revision that applied it recorded its hash.
    """
    by_sequence: dict[int, Entry] = {}
    for entry in log.entries:
        if entry.sequence is not None:
            by_sequence.setdefault(entry.sequence, entry)
    out = []
    for published in log.published:
        data = revision_data(published)
        event = by_sequence.get(data.input_sequence) if data is not None else None
        if data is None or event is None:
            continue  # undecodable revision / absent event: reported as undecodable, gap or extra revision
        if data.input_hash == event.hash or data.input_hash == _exact_hash(event):
            continue  # the stored form's hash: spliced (fast), else from the value re-canonicalised
        detail = (
            f"revision {data.revision} ({data.policy_version}) at {published.record.where()} recorded "
            f"input_hash {data.input_hash[:12]}… for sequence {data.input_sequence}, but the event at "
            f"{event.record.where()} hashes to {(_exact_hash(event) or event.hash or '?')[:12]}…: "
            "that event was altered after the decision service applied it"
        )
        out.append(finding(Kind.INPUT_HASH_MISMATCH, event, detail, sequence=data.input_sequence,
                           revision=data.revision, policy_version=data.policy_version))  # fmt: skip
    return out


def _exact_hash(entry: Entry) -> str | None:
    """The stored record's chain hash (what the decision service recorded as ``input_hash``)."""
    return entry.event.chain_hash if entry.event is not None else None


def dlq_info(log: InterviewLog) -> list[Discrepancy]:
    """Operators' DLQ decisions about this interview's records, applied as the decision service does."""
    out = []
    for entry in [*log.entries, *log.skipped]:
        word = entry.word
        if word is None:
            continue
        r = entry.record
        dlq = f"{DLQ}[{r.partition}]@{word.dlq_offset}"
        if word.kind == POISON:
            kind, detail = (
                Kind.DLQ_PARKED,
                (
                    f"{r.where()} is parked ({dlq}: {word.code}); the decision service applies nothing of "
                    "this interview from it on until an operator releases it"
                ),
            )
        elif word.kind == RETRY:
            kind, detail = (
                Kind.DLQ_RETRIED,
                (
                    f"{r.where()} was released for a retry ({dlq}, parked as {word.code}); re-read as the "
                    "decision service does"
                ),
            )
        else:
            kind, detail = (
                Kind.DLQ_SKIPPED,
                (
                    f"{r.where()} was released with skip ({dlq}, parked as {word.code}): not an interview "
                    "fact; left out of the history, its sequence and hash chain, as the decision service does"
                ),
            )
        out.append(finding(kind, entry, detail))
    return sorted(out, key=lambda d: d.offset or 0)


def verify(
    interview_records: Iterable[LogRecord],
    decision_records: Iterable[LogRecord],
    source: str = "",
    progress: Progress | None = None,
    dlq_records: Iterable[LogRecord] = (),
    candidacy_records: Iterable[LogRecord] = (),
) -> Audit:
    """Verify a whole history held in memory; ``progress`` is told how many records each interview held.

    ``dlq_records`` (``interview.events.dlq``) are applied as the decision service applies them:
    a record released with ``skip`` is left out, a parked one parks its interview. A history too large
    for memory goes through ``verify_logs`` with its records grouped elsewhere (the audit's spool).
    """
    logs = split(interview_records, decision_records)
    return verify_logs(logs, dlq_words(dlq_records), source, progress, candidacy_records=candidacy_records)


def verify_logs(
    logs: Iterable[RawLog],
    words: DlqWords,
    source: str = "",
    progress: Progress | None = None,
    keep: int = KEEP,
    collect_every: int = COLLECT_EVERY,
    candidacy_records: Iterable[LogRecord] = (),
) -> Audit:
    """Verify interviews one at a time as ``logs`` yields them, holding only the report's running figures.

    Each interview is decoded, audited, folded into the report and dropped (but for the few kept for
    the HTML report), so memory is bounded by the largest interview, the findings and the DLQ, not by
    the length of the history. The CLI pauses the cyclic GC (a full collection over a large heap is
    costly); the little cyclic garbage an interview leaves is collected every ``collect_every``
    interviews by a collection of the young generations, whose cost is that of those interviews' objects.
    ``candidacy_records`` (``decision.candidacies``, ADR 0012) are held; of each interview streaming past
    only what the rounds they cite need is kept, and every candidacy is replayed at the end.
    """
    report = ReportBuilder(source, words.records)
    stream = CandidacyStream(candidacy_records)
    flagged: list[InterviewAudit] = []
    clean: list[InterviewAudit] = []
    for count, raw in enumerate(logs, 1):
        if count % collect_every == 0:
            gc.collect(1)
        audit = audit_interview(decode_log(raw, words, lazy=True))
        report.add(audit)
        if stream.wants(raw.interview_id):
            stream.add_audited(raw, audit.log)
        kept = flagged if audit.findings else clean
        if len(kept) < keep:
            kept.append(audit)
        if progress is not None:
            progress(raw.size())
    candidacies = stream.finish()  # ADR 0012
    built = with_candidacies(report.build(), candidacies)
    return Audit([*flagged, *clean], built, report.interviews_audited, candidacies)


@dataclass
class ReportBuilder:
    """The verify report's figures, accumulated one interview audit at a time."""

    source: str
    dlq_records: int = 0
    interviews_audited: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    findings: list[Discrepancy] = field(default_factory=list)
    info: list[Discrepancy] = field(default_factory=list)

    def add(self, audit: InterviewAudit) -> None:
        """Fold one interview's audit into the figures."""
        self.interviews_audited += 1
        self.findings.extend(audit.findings)
        self.info.extend(audit.info)
        self.counts.update(
            interview_events=len(audit.log.entries),
            interviews=1 if audit.log.entries else 0,
            decision_events=len(audit.log.published),
            revisions_recomputed=sum(len(v) for v in audit.expected.values()),
            revisions_matched=audit.matched,
        )

    def build(self) -> VerifyReport:
        """The report of everything added so far."""
        c = self.counts
        counts = Counts(
            interview_events=c["interview_events"], interviews=c["interviews"],
            decision_events=c["decision_events"], revisions_recomputed=c["revisions_recomputed"],
            revisions_matched=c["revisions_matched"], dlq_records=self.dlq_records,
        )  # fmt: skip
        by_kind = dict(sorted(Counter(str(f.kind) for f in self.findings).items()))
        return VerifyReport(ok=not self.findings, source=self.source, counts=counts, by_kind=by_kind,
                            discrepancies=tuple(self.findings), info=tuple(self.info))  # fmt: skip
