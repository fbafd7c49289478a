"""The one ACL table (services/launcher/principals.py) names what the services really use."""

from __future__ import annotations

from pathlib import Path

from schemas.topics import TOPIC_SPECS, Topics
from services.decision.entrypoints.runtime import build_runtime
from services.decision.entrypoints.settings import DecisionSettings
from services.interview.entrypoints.service import InterviewService
from services.interview.entrypoints.settings import InterviewSettings
from services.launcher.principals import AUDIT, DECISION, INTERVIEW, service_acls
from services.platform.acls import Acl
from services.platform.settings import KafkaSettings


def _allowed(acls: list[Acl], kind: str, name: str, operation: str) -> bool:
    def covers(a: Acl) -> bool:
        return name.startswith(a.name) if a.prefix else name == a.name

    return any(a.kind == kind and operation in a.operations and covers(a) for a in acls)


def test_groups_and_transactional_ids_are_the_ones_the_services_use(tmp_path: Path) -> None:
    topics = Topics("p.")
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:9", topic_prefix=topics.prefix)
    interview = InterviewService({}, topics, InterviewSettings(), partitions=3)._processor(3)
    decision = build_runtime(DecisionSettings(kafka=kafka, state_dir=tmp_path)).processor
    table = service_acls(topics, InterviewSettings(), DecisionSettings(kafka=kafka))
    for component, processor in ((INTERVIEW, interview), (DECISION, decision)):
        acls = table[component]
        assert _allowed(acls, "group", processor._group, "Read")
        for partition in range(3):
            assert _allowed(acls, "transactionalId", f"{processor._prefix}.{partition}", "Write")
        assert _allowed(acls, "topic", processor._topic, "Read")
    # Neither may use the other's consumer group or transactional ids.
    assert not _allowed(table[DECISION], "group", interview._group, "Read")
    assert not _allowed(table[DECISION], "transactionalId", f"{interview._prefix}.0", "Write")
    assert not _allowed(table[INTERVIEW], "transactionalId", f"{decision._prefix}.0", "Write")


def test_every_group_and_transactional_id_starts_with_the_topic_prefix(tmp_path: Path) -> None:
    """One prefix ACL per resource type (``prod.``) covers an install: no name puts the prefix inside."""
    topics = Topics("prod.")
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:9", topic_prefix=topics.prefix)
    interview = InterviewService({}, topics, InterviewSettings(), partitions=3)._processor(3)
    decision = build_runtime(DecisionSettings(kafka=kafka, state_dir=tmp_path))
    processors = (interview, decision.processor, decision.candidacy.processor)
    assert interview._group == "prod.interview-service.interview.commands"
    assert f"{interview._prefix}.0" == "prod.interview-service.interview.commands.0"
    for processor in processors:
        assert processor._group.startswith("prod.")
        assert processor._prefix.startswith("prod.")
    for acls in service_acls(topics, InterviewSettings(), DecisionSettings(kafka=kafka)).values():
        assert all(a.name.startswith("prod.") for a in acls if a.kind != "cluster"), acls


def test_least_privilege() -> None:
    topics = Topics()
    table = service_acls(topics)
    writers = {c for c, acls in table.items() if _allowed(acls, "topic", topics.interview_events, "Write")}
    assert writers == {INTERVIEW}
    verdict_writers = {c for c, acls in table.items() if _allowed(acls, "topic", topics.verdicts, "Write")}
    assert verdict_writers == {DECISION}
    assert all(a.operations <= {"Read", "Describe"} and a.kind == "topic" for a in table[AUDIT])
    assert not any("Create" in a.operations for acls in table.values() for a in acls)
    # Every declared topic is covered for the service that must see it at start (decision checks all).
    assert {topics.name(spec.name) for spec in TOPIC_SPECS} == {a.name for a in table[DECISION]
                                                                 if a.kind == "topic"}  # fmt: skip
