"""Settings of the interview service: ``INTERVIEW_*`` environment variables (Kafka: ``KAFKA_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.common import POLICY_VERSIONS
from schemas.topics import INTERVIEW_COMMANDS, Topics
from services.platform.auth import AuthSettings


class InterviewSettings(BaseSettings):
    """How one interview-service process runs; every field is ``INTERVIEW_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="INTERVIEW_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="HTTP listen address.")
    port: int = Field(default=8080, ge=0, le=65535, description="HTTP listen port (0: any free port).")
    http: bool = Field(default=True, description="Serve the HTTP API (false: Kafka intake only).")
    writer: bool = Field(default=True, description="Run the command writer (false: HTTP front only).")
    group_id: str = Field(
        default="interview-service",
        description="Consumer group of the writers: <topic prefix><this>.interview.commands.",
    )
    transactional_prefix: str = Field(
        default="interview-service",
        description="Transactional ids are <topic prefix><this>.interview.commands.<partition>.",
    )
    max_records: int = Field(default=500, ge=1, description="Commands per transaction at most.")
    result_timeout_s: float = Field(
        default=10.0, gt=0, description="HTTP wait for a command to be produced and its result to come."
    )
    max_request_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest HTTP request body; larger ones get 413."
    )
    create_topics: bool = Field(
        default=True,
        description="Create missing topics at start-up; false (the chart, where the Topic Operator owns "
        "them): verify they exist with their partitions and settings, and exit naming what is wrong.",
    )
    shutdown_grace_s: float = Field(default=6.0, gt=0, description="Time allowed to finish the open txn.")
    state_dir: Path | None = Field(
        default=None,
        description="Local directory of the partition stores (SQLite, restored from the changelog when "
        "missing); unset: $XDG_STATE_HOME/hiring-pipeline/state.",
    )
    commands_keep_s: float = Field(
        default=600.0,
        gt=0,
        description="Consumed command records (they carry clear text) older than this are deleted from "
        "interview.commands (deleteRecords), checked every minute (docs/decisions/0011).",
    )
    roll_tick_s: float = Field(
        default=600.0,
        gt=0,
        description="Every this long the writers append a roll tick to privacy.keys and to their "
        "interview.commands partitions, so erased keys and deleted commands leave the broker's disks "
        "within the bound of docs/security.md even on a quiet topic (docs/decisions/0030).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = Field(default=True, description="JSON log lines (false: console rendering).")
    intake_principal: str = Field(
        default="User:interview-intake",
        min_length=1,
        max_length=256,
        description="Principal recorded on events of commands that arrive over Kafka without one (the "
        "Kafka principal the intake producers authenticate as).",
    )
    policy_version: str = Field(
        default="v1",
        description="Verdict policy new interviews open under when the open command names none "
        f"(one of {', '.join(POLICY_VERSIONS)}); interviews already open keep theirs (docs/decisions/0023).",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings, exclude=True)

    @field_validator("policy_version")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        if value not in POLICY_VERSIONS:
            raise ValueError(f"unknown verdict policy {value!r}; known: {', '.join(POLICY_VERSIONS)}")
        return value


# Every Kafka name of the service starts with the topic prefix, so one prefix ACL per resource type
# (e.g. ``prod.``) covers an install; the base name of the commands topic keeps writers of different
# command topics apart. (Before issue 19 the prefix sat in the middle: docs/operations.md, upgrades.)
def writer_group(settings: InterviewSettings, topics: Topics) -> str:
    """The writers' consumer group: ``<topic prefix><group_id>.interview.commands``."""
    return f"{topics.prefix}{settings.group_id}.{INTERVIEW_COMMANDS}"


def writer_transactional_prefix(settings: InterviewSettings, topics: Topics) -> str:
    """Start of the writers' transactional ids (``<this>.<partition>``): prefix first, like the group."""
    return f"{topics.prefix}{settings.transactional_prefix}.{INTERVIEW_COMMANDS}"
