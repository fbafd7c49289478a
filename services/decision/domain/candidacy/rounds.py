"""One round as the candidacy projection receives it: an interview verdict revision, its round and outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.common import Outcome
from schemas.decision import VerdictChanged


@dataclass(frozen=True)
class RoundInput:
    """An interview verdict revision of one round of a candidacy, as published on ``decision.events``.

    ``round`` comes from the interview's ``interview.opened`` and ``outcome`` from its
    ``interview.concluded`` (None while the interview is open): both are facts of the interview's history
    at the revision's ``input_sequence``, so the audit can find them again.
    """

    interview_id: str
    round: str
    outcome: Outcome | None
    event_id: str
    chain_hash: str
    time: datetime
    correlationid: str
    verdict: VerdictChanged

    @property
    def candidacy_id(self) -> str:
        """The candidacy the round belongs to."""
        return self.verdict.candidacy_id

    @property
    def revision(self) -> int:
        """The interview verdict revision."""
        return self.verdict.revision
