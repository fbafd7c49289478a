"""A policy's answer for one interview at one point of its history (no revision bookkeeping)."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.decision import Agreement, Mutual, SideVerdict, Signal, VerdictChanged, VerdictChangedV2


@dataclass(frozen=True)
class Verdict:
    """Company, candidate and mutual verdicts, signals and agreement; compared to decide a revision."""

    company: SideVerdict
    candidate: SideVerdict
    mutual: Mutual
    signals: tuple[Signal, ...]
    agreement: Agreement
    final: bool
    another_round: bool | None = None
    """Policy v2 and later (``VerdictChangedV2``); None for v1, whose revisions have no such field."""

    @classmethod
    def of(cls, data: VerdictChanged) -> Verdict:
        """The verdict carried by a published revision."""
        another = data.another_round if isinstance(data, VerdictChangedV2) else None
        return cls(
            data.company, data.candidate, data.mutual, data.signals, data.agreement, data.final, another
        )
