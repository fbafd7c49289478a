"""Candidacy revisions (ADR 0012) replayed and proved byte for byte from the interview and decision logs.

Each ``hiring.decision.candidacy_verdict_changed`` revision names the round verdict revision that caused
it (``cause``, ``causationid``) and every round it rests on (interview, round, revision, revision hash).
The audit rebuilds each round's input from ``decision.events`` (the verdict revision, whose stored hash
must equal the cited one) and ``interview.events`` (the round from ``interview.opened``, the outcome from
``interview.concluded`` at or before the revision's input sequence), replays the candidacy's revisions in
order with the decision domain's own fold and policy, and compares each recomputed record with the
published one byte for byte, checking sequences and the hash chain on the way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from schemas.chain import GENESIS_HASH, HASH_HEADER
from schemas.codec import decode, encode
from schemas.common import Outcome
from schemas.decision import CandidacyVerdictChanged, VerdictChanged
from schemas.envelope import Event
from schemas.interview import InterviewConcluded, InterviewOpened
from services.audit.domain.history import InterviewLog, RawLog
from services.audit.domain.records import LogRecord
from services.audit.domain.report import Discrepancy, Kind, VerifyReport
from services.decision.domain.candidacy import policy, versions
from services.decision.domain.candidacy.revisions import (
    CandidacyPublished,
    build_revision,
    verdict_of,
    with_round,
)
from services.decision.domain.candidacy.rounds import RoundInput, round_verdict


@dataclass
class CandidacyRevision:
    """One published candidacy revision: its record and, when it decodes, its event."""

    record: LogRecord
    event: Event | None
    problem: str | None = None


@dataclass
class CandidacyAudit:
    """One candidacy's published revisions (the history model's candidacy timeline) and the findings."""

    candidacy_id: str
    revisions: list[CandidacyRevision] = field(default_factory=list)
    findings: list[Discrepancy] = field(default_factory=list)
    matched: int = 0


@dataclass
class _Rounds:
    """What the logs say about the cited interviews: verdict revisions, rounds, conclusions."""

    revisions: dict[tuple[str, str, int], Event] = field(default_factory=dict)
    rounds: dict[str, str] = field(default_factory=dict)
    concluded: dict[str, tuple[int, Outcome]] = field(default_factory=dict)

    def input_for(self, interview: str, policy_version: str, revision: int) -> RoundInput | str:
        """The round input the candidacy projection received, or why it cannot be rebuilt."""
        event = self.revisions.get((interview, policy_version, revision))
        if event is None or not isinstance(event.data, VerdictChanged):
            return f"verdict revision {revision} ({policy_version}) of {interview} is not on decision.events"
        if interview not in self.rounds:
            return f"interview {interview} has no interview.opened on interview.events"
        ended = self.concluded.get(interview)
        outcome = ended[1] if ended and ended[0] <= event.data.input_sequence else None
        a = event.attributes
        return RoundInput(interview, self.rounds[interview], outcome, a.id, event.chain_hash, a.time,
                          a.correlationid, round_verdict(event.data))  # fmt: skip


def same_headers(expected: list[tuple[str, bytes]], stored: list[tuple[str, bytes]]) -> bool:
    """The published headers, in order; a ``chainhash`` header is optional (records written before it
    existed have none) but when present must be the recomputed one (ADR 0017)."""
    published = [h for h in stored if h[0] != HASH_HEADER]
    carried = [h for h in stored if h[0] == HASH_HEADER]
    return published == [h for h in expected if h[0] != HASH_HEADER] and all(h in expected for h in carried)


def _decoded(record: LogRecord) -> Event | str:
    try:
        key = record.key.encode() if record.key is not None else None
        return decode(record.value, record.wire_headers(), key)
    except Exception as exc:  # any decoding failure is a finding, never a crash of the audit
        return str(exc)


def _finding(kind: Kind, record: LogRecord, detail: str, revision: int | None = None) -> Discrepancy:
    return Discrepancy(kind=kind, interview=record.subject(), topic=record.topic, partition=record.partition,
                       offset=record.offset, revision=revision, policy_version=policy.VERSION,
                       detail=detail)  # fmt: skip


def group(candidacy_records: Iterable[LogRecord]) -> list[CandidacyAudit]:
    """Published candidacy revisions per candidacy, in log order (the history model's candidacy part)."""
    out: dict[str, CandidacyAudit] = {}
    for record in sorted(candidacy_records, key=lambda r: (r.partition, r.offset)):
        decoded = _decoded(record)
        event = decoded if isinstance(decoded, Event) else None
        audit = out.setdefault(record.subject(), CandidacyAudit(record.subject()))
        audit.revisions.append(CandidacyRevision(record, event, None if event else str(decoded)))
    return list(out.values())


def _cited(audits: list[CandidacyAudit]) -> set[str]:
    return {
        r.interview_id
        for a in audits
        for rev in a.revisions
        if rev.event is not None and isinstance(rev.event.data, CandidacyVerdictChanged)
        for r in rev.event.data.rounds
    }


def _collect(
    found: _Rounds,
    cited: set[str],
    interview_records: Iterable[LogRecord],
    decision_records: Iterable[LogRecord],
) -> None:
    _keep(found, cited, interview_records, decision_records, _decoded)


def _keep(
    found: _Rounds,
    cited: set[str],
    interview_records: Iterable[LogRecord],
    decision_records: Iterable[LogRecord],
    decoded: Callable[[LogRecord], Event | str | None],
) -> None:
    for record in decision_records:
        event = decoded(record) if record.subject() in cited else None
        if isinstance(event, Event) and isinstance(event.data, VerdictChanged):
            found.revisions[(record.subject(), event.data.policy_version, event.data.revision)] = event
    for record in interview_records:
        if record.subject() in cited and isinstance(event := decoded(record), Event):
            if isinstance(event.data, InterviewOpened):
                found.rounds.setdefault(record.subject(), event.data.round)
            elif isinstance(event.data, InterviewConcluded):
                found.concluded.setdefault(record.subject(), (event.attributes.sequence, event.data.outcome))


def replay(audit: CandidacyAudit, found: _Rounds) -> None:
    """Check the candidacy's revisions in order: sequence, chain, cited rounds, bytes."""
    rounds: tuple[RoundInput, ...] = ()
    previous: CandidacyPublished | None = None
    version = policy.VERSION
    for n, rev in enumerate(audit.revisions, 1):
        record, event = rev.record, rev.event
        if event is None or not isinstance(event.data, CandidacyVerdictChanged):
            audit.findings.append(_finding(Kind.UNDECODABLE, record, f"{record.where()}: {rev.problem}"))
            return
        data = event.data
        if event.attributes.sequence != n:
            detail = (
                f"{record.where()} is revision {event.attributes.sequence}, expected {n} (gap or duplicate)"
            )
            audit.findings.append(_finding(Kind.CANDIDACY_SEQUENCE, record, detail, data.revision))
        expected_prev = previous.chain_hash if previous else GENESIS_HASH
        if event.attributes.prevhash != expected_prev:
            detail = f"{record.where()} prevhash {event.attributes.prevhash[:12]}… does not chain to {n - 1}"
            audit.findings.append(_finding(Kind.CANDIDACY_CHAIN_BROKEN, record, detail, data.revision))
        cause = next((r for r in data.rounds if r.interview_id == data.cause), None)
        item = found.input_for(cause.interview_id, cause.policy_version, cause.revision) if cause else (
            f"cause {data.cause} is not among the cited rounds")  # fmt: skip
        if isinstance(item, str) or item.chain_hash != (cause.revision_hash if cause else ""):
            why = (
                item
                if isinstance(item, str)
                else f"{item.interview_id} revision {item.revision} hashes differently"
            )
            audit.findings.append(_finding(Kind.CANDIDACY_ROUND_MISMATCH, record, f"{record.where()}: {why}",
                                           data.revision))  # fmt: skip
            return
        following = with_round(rounds, item)
        if following is None:
            detail = f"{record.where()}: cause {item.interview_id} r{item.revision} is not newer than before"
            audit.findings.append(_finding(Kind.CANDIDACY_ROUND_MISMATCH, record, detail, data.revision))
            return
        # The candidacy's policy is its first revision's, for good: a switch mid-chain differs here.
        version = data.policy_version if previous is None else version
        if version not in versions.EVALUATE:
            detail = f"{record.where()}: unknown candidacy policy {version!r}"
            audit.findings.append(_finding(Kind.CANDIDACY_REVISION_DIFFERS, record, detail, data.revision))
            return
        expected = encode(build_revision(item, versions.evaluate(version, following), previous, version))
        if expected.value == record.value and same_headers(expected.headers, record.wire_headers()):
            audit.matched += 1
        else:
            detail = f"{record.where()}: recomputed candidacy revision {n} differs from the published one"
            audit.findings.append(_finding(Kind.CANDIDACY_REVISION_DIFFERS, record, detail, data.revision))
        rounds = following
        previous = CandidacyPublished(
            data.revision, event.chain_hash, verdict_of(data), event.attributes.time
        )


class CandidacyStream:
    """The candidacy audit beside a streaming verify: the candidacy revisions are read first, then each
    interview's records are offered as the interview history streams past, and only what the cited
    rounds need (their round, outcome and verdict revisions) is kept; ``finish`` replays them all.

    Memory grows with the candidacy history (its revisions and the round revisions they cite), not with
    the interview history.
    """

    def __init__(self, candidacy_records: Iterable[LogRecord]) -> None:
        self.audits = group(candidacy_records)
        self._cited = _cited(self.audits)
        self._found = _Rounds()

    def wants(self, interview_id: str) -> bool:
        """Whether any candidacy revision cites this interview as a round."""
        return interview_id in self._cited

    def add(self, interview_records: Iterable[LogRecord], decision_records: Iterable[LogRecord]) -> None:
        """Keep what the cited rounds need from these records (others are passed over)."""
        _collect(self._found, self._cited, interview_records, decision_records)

    def add_audited(self, raw: RawLog, log: InterviewLog) -> None:
        """``add`` with the events the interview's audit already decoded (each record decoded once)."""
        events = {id(e.record): e.event for e in (*log.entries, *log.skipped, *log.published)}
        _keep(self._found, self._cited, raw.interview, raw.decision, lambda record: events.get(id(record)))

    def finish(self) -> list[CandidacyAudit]:
        """Replay every candidacy against the rounds collected."""
        for audit in self.audits:
            replay(audit, self._found)
        return self.audits


def with_candidacies(report: VerifyReport, audits: list[CandidacyAudit]) -> VerifyReport:
    """The verify report with the candidacy findings and counts added."""
    if not audits:
        return report
    findings = (*report.discrepancies, *(f for a in audits for f in a.findings))
    counts = report.counts.model_copy(update={
        "candidacy_events": sum(len(a.revisions) for a in audits),
        "candidacy_revisions_matched": sum(a.matched for a in audits),
    })  # fmt: skip
    by_kind = dict(sorted(Counter(str(f.kind) for f in findings).items()))
    return report.model_copy(update={"ok": not findings, "discrepancies": findings, "counts": counts,
                                     "by_kind": by_kind})  # fmt: skip
