"""Rejections: errors as values with a stable code, a human message and the offending field."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    """Stable rejection codes (part of the contract: clients branch on them)."""

    INVALID_COMMAND = "invalid_command"
    NOT_OPENED = "not_opened"
    ALREADY_OPENED = "already_opened"
    CONCLUDED = "concluded"
    VERSION_CONFLICT = "version_conflict"
    NOT_A_PARTICIPANT = "not_a_participant"
    WRONG_SIDE = "wrong_side"
    INVALID_PARTICIPANTS = "invalid_participants"
    UNKNOWN_POLICY = "unknown_policy"
    DUPLICATE_ID = "duplicate_id"
    MISSING_REFERENCE = "missing_reference"
    UNKNOWN_REFERENCE = "unknown_reference"
    INVALID_EVIDENCE = "invalid_evidence"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    WRONG_PARTITION = "wrong_partition"
    TOO_MANY_ITEMS = "too_many_items"
    OUTPUT_TOO_LARGE = "output_too_large"
    HISTORY_UNREADABLE = "history_unreadable"
    KEY_STORE_UNAVAILABLE = "key_store_unavailable"  # transient: binds no idempotency key (HTTP 503)


@dataclass(frozen=True)
class Rejection:
    """Why a command was refused; nothing is appended."""

    code: Code
    message: str
    field: str | None = None
    current_version: int | None = None


class RejectedError(Exception):
    """Raised inside ``decide``'s rules and turned into a ``Rejection`` value at its edge."""

    def __init__(self, code: Code, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
