"""``verify``: chain and sequence checks plus recompute-and-compare, over every interview."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from schemas.envelope import Event
from services.audit.domain.chain import check_chain, finding
from services.audit.domain.compare import compare, published_by_version, recompute
from services.audit.domain.history import InterviewLog, decode_log, split
from services.audit.domain.records import LogRecord
from services.audit.domain.report import Counts, Discrepancy, Kind, VerifyReport
from services.decision.domain.policy import versions

Progress = Callable[[int], None]


@dataclass
class InterviewAudit:
    """One interview's log, its recomputed revisions per policy version, and the findings."""

    log: InterviewLog
    expected: dict[str, list[Event]] = field(default_factory=dict)
    findings: list[Discrepancy] = field(default_factory=list)
    matched: int = 0


@dataclass
class Audit:
    """Everything ``verify`` found; ``report`` is what gets printed."""

    interviews: list[InterviewAudit]
    report: VerifyReport


def audit_interview(log: InterviewLog) -> InterviewAudit:
    """Check one interview's chain, recompute its revisions and compare them with the published ones."""
    audit = InterviewAudit(log, findings=check_chain(log))
    published, problems = published_by_version(log)
    audit.findings.extend(problems)
    for version in dict.fromkeys([log.policy_version(), *published]):
        if version not in versions():
            audit.findings.append(_unknown_policy(log, version))
            continue
        audit.expected[version] = recompute(log, version)
        found, matched = compare(log, audit.expected[version], published.get(version, []))
        audit.findings.extend(found)
        audit.matched += matched
    return audit


def _unknown_policy(log: InterviewLog, version: str) -> Discrepancy:
    detail = f"policy {version} is unknown to this build (known: {', '.join(versions())}); not recomputed"
    where = log.entries[0] if log.entries else log.published[0]
    return finding(Kind.UNKNOWN_POLICY, where, detail, policy_version=version)


def verify(
    interview_records: Iterable[LogRecord],
    decision_records: Iterable[LogRecord],
    source: str = "",
    progress: Progress | None = None,
) -> Audit:
    """Verify a whole history; ``progress`` is told how many records each interview held."""
    audits = []
    for raw in split(interview_records, decision_records):
        audits.append(audit_interview(decode_log(raw)))
        if progress is not None:
            progress(raw.size())
    return Audit(audits, build_report(audits, source))


def build_report(audits: list[InterviewAudit], source: str) -> VerifyReport:
    """The verify report of a list of interview audits."""
    findings = [f for a in audits for f in a.findings]
    counts = Counts(
        interview_events=sum(len(a.log.entries) for a in audits),
        interviews=sum(1 for a in audits if a.log.entries),
        decision_events=sum(len(a.log.published) for a in audits),
        revisions_recomputed=sum(len(v) for a in audits for v in a.expected.values()),
        revisions_matched=sum(a.matched for a in audits),
    )
    by_kind = dict(sorted(Counter(str(f.kind) for f in findings).items()))
    return VerifyReport(ok=not findings, source=source, counts=counts, by_kind=by_kind,
                        discrepancies=tuple(findings))  # fmt: skip
