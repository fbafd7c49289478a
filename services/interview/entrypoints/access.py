"""Who may call each route of the interview service's HTTP API: one line per route (docs/security.md).

A route missing here is refused to everyone (and fails ``tests/unit/platform/test_access_table.py``).
``participant``: the domain admits only a participant of the interview, acting for their own side; the
token's subject is the actor and the role fixes the side (interviewer: company, candidate: candidate).
"""

from __future__ import annotations

from services.platform.auth import DOCS_ROUTES, PUBLIC, Access, Scope, allow

_ACT = "as the token's subject, only in interviews they take part in, for their role's side"
_IN_INTERVIEW = allow(_ACT, interviewer=Scope.PARTICIPANT, candidate=Scope.PARTICIPANT, service=Scope.ALL)

ACCESS: dict[str, Access] = {
    **DOCS_ROUTES,
    "POST /interviews/{interview_id}/open": allow(
        "a recruiter opens as the token's subject, named among the company-side participants",
        recruiter=Scope.PARTICIPANT,
        service=Scope.ALL,
    ),
    "POST /interviews/{interview_id}/stories": _IN_INTERVIEW,
    "POST /interviews/{interview_id}/questions": _IN_INTERVIEW,
    "POST /interviews/{interview_id}/answers": _IN_INTERVIEW,
    "POST /interviews/{interview_id}/assessments": _IN_INTERVIEW,
    "POST /interviews/{interview_id}/conclusion": _IN_INTERVIEW,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
}
