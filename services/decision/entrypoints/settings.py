"""Settings of the decision service: ``DECISION_*`` environment variables (Kafka from ``KAFKA_*``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.decision.domain.policy import versions
from services.platform.auth import AuthSettings
from services.platform.settings import KafkaSettings


class Role(StrEnum):
    """What a decision process runs (ADR 0016): one role, or all of them (``serve``, for development)."""

    PROJECTOR = "projector"
    CANDIDACY = "candidacy"
    QUERY = "query"
    NOTARY = "notary"
    SERVE = "serve"


DEFAULT_PORTS = {
    Role.QUERY: 8082, Role.SERVE: 8082, Role.PROJECTOR: 8083, Role.CANDIDACY: 8084, Role.NOTARY: 8085
}
"""Each role's HTTP port when ``DECISION_PORT`` is unset (the projectors serve probes and metrics only)."""


class DecisionSettings(BaseSettings):
    """How the decision service runs; ``kafka`` is read from ``KAFKA_*``."""

    model_config = SettingsConfigDict(env_prefix="DECISION_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="HTTP listen address.")
    port: int | None = Field(
        default=None, ge=0, le=65535,
        description="HTTP port; unset: the role's own (query, serve 8082; projector 8083; candidacy 8084).",
    )  # fmt: skip
    group_id: str = Field(default="decision-service", description="Consumer group (prefixed like topics).")
    policy_version: str | None = Field(
        default=None,
        description="Unset: each interview is evaluated under the policy version it was opened with. "
        "Set (e.g. v2): every interview is evaluated under that version, e.g. to run it side by side.",
    )
    shadow_policy: str | None = Field(
        default=None,
        description="A verdict policy version (e.g. v2) the projector also applies, in shadow, to interviews "
        "opened under another: its revisions go to decision.shadow only (docs/decisions/0024). Unset: none.",
    )
    candidacy_policy: Literal["candidacy-v1", "candidacy-v2"] = Field(
        default="candidacy-v1",
        description="Candidacy policy of new candidacies (docs/decisions/0022); a candidacy keeps the policy "
        "of its first revision for good.",
    )
    candidacy_policy_since: AwareDatetime | None = Field(
        default=None,
        description="New candidacies whose first round revision is earlier than this keep candidacy-v1; set "
        "it when switching, so a state rebuilt from the round records chooses as before.",
    )
    create_topics: bool = Field(
        default=True,
        description="Create missing topics at start-up; false (the chart, where the Topic Operator owns "
        "them): verify they exist with their partitions and settings, and exit naming what is wrong.",
    )
    max_records: int = Field(default=500, ge=1, description="Records per transaction at most.")
    shutdown_grace_s: float = Field(default=7.0, gt=0, description="Time the open batch gets on SIGTERM.")
    max_request_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest HTTP request body (the API reads none); larger: 413."
    )
    state_dir: Path | None = Field(
        default=None,
        description="Local directory of the partition stores and the query store (SQLite, restored from "
        "Kafka when missing); unset: $XDG_STATE_HOME/hiring-pipeline/state.",
    )
    tlog_key_file: Path | None = Field(
        default=None,
        description="The notary's signing keys (docs/decisions/0026): a file of PRIVATE+KEY lines (Go "
        "sumdb/note format), every checkpoint signed by each (two during a rotation). Unset: a local "
        "development key, loudly named; never for production.",
    )
    tlog_insecure_dev_key: bool = Field(
        default=False,
        description="Development only (the chart's decision.tlog.insecureDevKey): sign with, and accept, a "
        "fixed development key whose private half is public, so pods agree without a Secret.",
    )
    tlog_verifier_keys: str = Field(
        default="",
        description="Verifier keys (name+hexid+base64, comma or newline separated) the query role serves "
        "at /transparency/key and checks each checkpoint against; unset: those of the signing keys.",
    )
    tlog_interval_s: float = Field(
        default=10.0, gt=0, description="Seconds between checkpoints (at the next transaction boundary)."
    )
    tlog_origin: str = Field(
        default="", description="Checkpoint origin base; unset: hiring-pipeline.local/<prefix or default>."
    )
    log_level: str = Field(default="INFO")
    log_json: bool = Field(default=True)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, exclude=True)
    auth: AuthSettings = Field(default_factory=AuthSettings, exclude=True)

    @field_validator("shadow_policy")
    @classmethod
    def _known_shadow(cls, value: str | None) -> str | None:
        if value and value not in versions():  # empty: no shadow
            raise ValueError(f"unknown policy version {value!r}; known: {', '.join(versions())}")
        return value or None

    def port_of(self, role: Role) -> int:
        """The HTTP port ``role`` listens on."""
        return DEFAULT_PORTS[role] if self.port is None else self.port

    @property
    def group(self) -> str:
        """Consumer group id under the topic prefix (tests share one broker)."""
        return f"{self.kafka.topic_prefix}{self.group_id}"

    @property
    def transactional_prefix(self) -> str:
        """Prefix of the per-partition transactional ids ``<prefix>.<partition>``."""
        return f"{self.group}.interview-events"

    @property
    def notary_group(self) -> str:
        """Consumer group prefix of the notary (ADR 0026): ``<group>.notary.<input>``, one per input topic."""
        return f"{self.group}.notary"

    @property
    def candidacy_group(self) -> str:
        """Consumer group of the candidacy processor (ADR 0012): ``<group>.candidacy``."""
        return f"{self.group}.candidacy"
