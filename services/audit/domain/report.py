"""The reports' stable JSON shape (documented in docs/audit.md; ``hiring-audit schema`` prints it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Base of the report models: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Kind(StrEnum):
    """What is wrong; stable codes."""

    UNDECODABLE = "undecodable"
    SEQUENCE_GAP = "sequence_gap"
    OUT_OF_ORDER = "out_of_order"
    DUPLICATE_SEQUENCE = "duplicate_sequence"
    CHAIN_BROKEN = "chain_broken"
    MISSING_REVISION = "missing_revision"
    EXTRA_REVISION = "extra_revision"
    REVISION_DIFFERS = "revision_differs"
    DUPLICATE_REVISION = "duplicate_revision"
    REVISION_OUT_OF_ORDER = "revision_out_of_order"
    UNKNOWN_POLICY = "unknown_policy"
    INPUT_HASH_MISMATCH = "input_hash_mismatch"
    # Candidacy revisions (ADR 0012); ``interview`` then holds the candidacy id.
    CANDIDACY_REVISION_DIFFERS = "candidacy_revision_differs"
    CANDIDACY_SEQUENCE = "candidacy_sequence"
    CANDIDACY_CHAIN_BROKEN = "candidacy_chain_broken"
    CANDIDACY_ROUND_MISMATCH = "candidacy_round_mismatch"
    # The transparency log (ADR 0025): the history read no longer extends a checkpoint the auditor kept.
    CHECKPOINT_DIVERGED = "checkpoint_diverged"
    # Informational (``VerifyReport.info``): operators' DLQ decisions the replay applied, as the service does.
    DLQ_SKIPPED = "dlq_skipped"
    DLQ_RETRIED = "dlq_retried"
    DLQ_PARKED = "dlq_parked"


class FieldDiff(Model):
    """One field that differs between the recomputed (expected) and the published (actual) event."""

    path: str = Field(description="attributes.<name> or data.<path>, e.g. data.company.decision.")
    change: Literal["changed", "added", "removed"] = Field(
        description="changed: both have it; added: only published; removed: only recomputed."
    )
    expected: Any = Field(default=None, description="Recomputed value (null when absent).")
    actual: Any = Field(default=None, description="Published value (null when absent).")


class Discrepancy(Model):
    """One finding, located as precisely as the evidence allows."""

    kind: Kind
    interview: str | None = Field(description="Interview id (ce_subject or key).")
    topic: str | None = Field(default=None, description="Base topic name of the record concerned.")
    partition: int | None = None
    offset: int | None = None
    sequence: int | None = Field(default=None, description="Interview event sequence concerned.")
    revision: int | None = Field(default=None, description="Decision revision concerned.")
    policy_version: str | None = None
    detail: str = Field(description="Human-readable explanation.")
    diff: tuple[FieldDiff, ...] = Field(default=(), description="Field-level diff (revision_differs).")


class Counts(Model):
    """What was read and checked."""

    interview_events: int
    interviews: int
    decision_events: int
    revisions_recomputed: int
    revisions_matched: int
    dlq_records: int = Field(default=0, description="Records read from interview.events.dlq.")
    candidacy_events: int = Field(default=0, description="Records read from decision.candidacies.")
    candidacy_revisions_matched: int = Field(
        default=0, description="Candidacy revisions replayed and reproduced byte for byte."
    )


class VerifyReport(Model):
    """Result of ``verify``: ok only when there is no discrepancy."""

    report: Literal["hiring-audit.verify/1"] = "hiring-audit.verify/1"
    ok: bool
    source: str = Field(description="Where the records came from (topics or export directory).")
    counts: Counts
    by_kind: dict[str, int] = Field(description="Number of discrepancies per kind.")
    discrepancies: tuple[Discrepancy, ...]
    info: tuple[Discrepancy, ...] = Field(
        default=(),
        description="Informational findings (dlq_skipped, dlq_retried, dlq_parked): they do not affect ok.",
    )


PublishedState = Literal["match", "differs", "missing"]


class AsOfVerdict(Model):
    """The verdict in force for one interview at the requested point of its history."""

    interview: str
    policy_version: str
    input_sequence: int | None = Field(description="Last interview event taken into account.")
    revision: int | None = Field(description="Revision in force (null: no verdict yet).")
    time: str | None = Field(description="CloudEvents time of that revision (its causing event).")
    event_id: str | None = Field(description="CloudEvents id of that revision.")
    published: PublishedState | None = Field(
        description="How the published revision compares (null when decision events were not read)."
    )
    verdict: dict[str, Any] | None = Field(
        description="The revision's data: the hiring.decision.verdict_changed.v1 JSON Schema."
    )


class AsOfReport(Model):
    """Result of ``as-of``."""

    report: Literal["hiring-audit.as-of/1"] = "hiring-audit.as-of/1"
    at_time: str | None
    at_sequence: int | None
    verdicts: tuple[AsOfVerdict, ...]


class Outcome(Model):
    """The latest verdict of an interview, summarised for comparison."""

    revision: int | None
    company: str
    company_score: float | None
    candidate: str
    candidate_score: float | None
    mutual: str
    signals: tuple[str, ...]
    final: bool


class Change(Model):
    """An interview whose latest verdict differs under the alternative policy."""

    interview: str
    fields: tuple[str, ...] = Field(description="Which of company, candidate, mutual, signals differ.")
    baseline: Outcome
    alternative: Outcome


class WhatIfReport(Model):
    """Result of ``what-if``: nothing is published."""

    report: Literal["hiring-audit.what-if/1"] = "hiring-audit.what-if/1"
    policy_version: str | None = Field(description="Alternative version (null: each recorded one).")
    thresholds: dict[str, Any] = Field(description="Threshold overrides applied.")
    interviews: int
    changed: tuple[Change, ...]


class TransferReport(Model):
    """Result of ``export`` and ``import``."""

    report: Literal["hiring-audit.export/1", "hiring-audit.import/1"]
    directory: str = Field(description="The export directory.")
    topics: dict[str, str] = Field(description="Base topic name -> topic name on the cluster.")
    interviews: int = Field(description="Interviews written.")
    records: dict[str, int] = Field(description="Records written per base topic name.")
