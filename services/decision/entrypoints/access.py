"""Who may call each route of the decision service's query API: one line per route (docs/security.md).

A route missing here is refused to everyone (and fails ``tests/unit/platform/test_access_table.py``).
Scopes on reads: ``participant`` = interviews the token's subject takes part in (an interviewer: on the
company side, the full verdict; a candidate: on the candidate side, the candidate's view, see
``views.candidate_view``); ``opened`` = interviews the subject opened. Anything else is 404, the same
answer as for an interview that does not exist.
"""

from __future__ import annotations

from services.platform.auth import DOCS_ROUTES, PUBLIC, Access, Scope, allow

_READ = allow(
    "interviewer: company-side participant, full verdict; candidate: own interview, candidate's view; "
    "recruiter: interviews they opened",
    auditor=Scope.ALL,
    service=Scope.ALL,
    recruiter=Scope.OPENED,
    interviewer=Scope.PARTICIPANT,
    candidate=Scope.PARTICIPANT,
)

_CANDIDACY = allow(
    "candidacies span interviews opened by several people: recruiters, auditors and services read them; "
    "interviewers and candidates read their interviews' verdicts instead",
    auditor=Scope.ALL,
    service=Scope.ALL,
    recruiter=Scope.ALL,
)
_CALIBRATION = allow(
    "informs the people who interview and hire (ADR 0013); never candidates",
    auditor=Scope.ALL,
    service=Scope.ALL,
    recruiter=Scope.ALL,
    interviewer=Scope.ALL,
)

_PROOF = allow(
    "an inclusion proof names a record by its place in the log: whoever may read every record (ADR 0026)",
    auditor=Scope.ALL,
    service=Scope.ALL,
)

ACCESS: dict[str, Access] = {
    **DOCS_ROUTES,
    "GET /interviews/{interview_id}/verdict": _READ,
    "GET /interviews/{interview_id}/revisions": _READ,
    "GET /interviews/{interview_id}/revisions/{n}": _READ,
    "GET /candidacies/{candidacy_id}/verdict": _CANDIDACY,
    "GET /candidacies/{candidacy_id}/revisions": _CANDIDACY,
    "GET /candidacies/{candidacy_id}/revisions/{n}": _CANDIDACY,
    "GET /calibration": _CALIBRATION,
    "GET /calibration/interviewers/{interviewer_id}": _CALIBRATION,
    # Checkpoints, keys and consistency proofs hold only hashes: public, so anyone can witness (ADR 0026).
    "GET /transparency/checkpoints": PUBLIC,
    "GET /transparency/key": PUBLIC,
    "GET /transparency/consistency": PUBLIC,
    "GET /transparency/inclusion": _PROOF,
    "GET /verdicts/{interview_id}/revisions/{n}/inclusion": _READ,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
}
