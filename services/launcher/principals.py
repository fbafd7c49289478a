"""Who may do what on Kafka: one SASL principal per service, least-privilege ACLs (the one table).

Names (consumer groups, transactional id prefixes) are computed from the services' settings exactly as
the services compute them. ``hiring-pipeline kafka up --secure`` and the secure integration test
create these ACLs on the local broker; the Helm chart's ``KafkaUser`` resources must grant the same
(``tests/deploy/test_chart.py`` renders the chart and compares).

- interview: consumes ``interview.commands`` in its group, writes events and results in transactions
  (one transactional id per partition: a prefix ACL), rebuilds from ``interview.events`` and
  ``interview.command-results``, restores its changelog, and its HTTP front produces commands and
  follows results (no group).
- decision: consumes ``interview.events`` in its group, writes ``decision.events``,
  ``decision.verdicts``, ``decision.participants``, the DLQ and its changelog in transactions, reads
  ``decision.events``, ``decision.verdicts``, ``decision.participants`` and the DLQ back (its read
  models, ADR 0015), and describes every product topic (it checks they exist at start).
- interview and decision: DescribeConfigs on the topics they describe (with topic creation off they
  verify partitions and settings at start).
  It also runs the candidacy projection (ADR 0012): reads and writes ``decision.candidacy-rounds``,
  ``decision.candidacies`` and ``decision.candidacy-state`` in its own group and transactions, and the
  notary (ADR 0026): reads the three logged topics in its groups ``<group>.notary.*`` and writes
  ``decision.checkpoints`` in its transactions.
- audit: reads ``interview.events``, ``decision.events``, ``decision.shadow``, ``decision.checkpoints``,
  the DLQ and
  ``decision.candidacies``, with no group and no writes.
"""

from __future__ import annotations

from dataclasses import replace

from schemas.topics import (
    CANDIDACY_EVENTS,
    CANDIDACY_ROUNDS,
    CANDIDACY_STATE,
    COMMAND_RESULTS,
    DECISION_CHECKPOINTS,
    DECISION_EVENTS,
    DECISION_PARTICIPANTS,
    DECISION_SHADOW,
    DECISION_STATE,
    DECISION_VERDICTS,
    DLQ,
    INTERVIEW_COMMANDS,
    INTERVIEW_EVENTS,
    PRIVACY_KEYS,
    WRITER_STATE,
    Topics,
)
from services.decision.entrypoints.settings import DecisionSettings
from services.interview.entrypoints.settings import (
    InterviewSettings,
    writer_group,
    writer_transactional_prefix,
)
from services.platform.acls import Acl, Operation, acl
from services.platform.settings import KafkaSettings

INTERVIEW, DECISION, AUDIT = "interview", "decision", "audit"
RW: tuple[Operation, ...] = ("Read", "Write", "Describe")
R: tuple[Operation, ...] = ("Read", "Describe")


def interview_group(interview: InterviewSettings, topics: Topics) -> str:
    """The interview writers' consumer group (as ``InterviewService`` builds it)."""
    return writer_group(interview, topics)


def interview_transactional_prefix(interview: InterviewSettings, topics: Topics) -> str:
    """Every transactional id of the interview writers starts with this."""
    return f"{writer_transactional_prefix(interview, topics)}."


def service_acls(
    topics: Topics,
    interview: InterviewSettings | None = None,
    decision: DecisionSettings | None = None,
) -> dict[str, list[Acl]]:
    """ACLs per component (``interview``, ``decision``, ``audit``) for topics under ``topics.prefix``."""
    interview = interview or InterviewSettings()
    decision = decision or DecisionSettings(kafka=KafkaSettings(topic_prefix=topics.prefix))
    table = _table(topics, interview, decision)
    # Both services verify their topics' partitions and settings at start when they do not create
    # them (services/platform/startup.py): DescribeConfigs on every topic they may describe.
    for component in (INTERVIEW, DECISION):
        table[component] = [_describes_configs(a) for a in table[component]]
    return table


def _describes_configs(rule: Acl) -> Acl:
    return replace(rule, operations=rule.operations | {"DescribeConfigs"}) if rule.kind == "topic" else rule


def _table(topics: Topics, interview: InterviewSettings, decision: DecisionSettings) -> dict[str, list[Acl]]:
    name = topics.name
    return {
        INTERVIEW: [
            # Consumed commands are deleted (DeleteRecords): they carry text in the clear (ADR 0011).
            acl("topic", name(INTERVIEW_COMMANDS), *RW, "Delete"),
            acl("topic", name(COMMAND_RESULTS), *RW),
            acl("topic", name(PRIVACY_KEYS), *RW),
            acl("topic", name(INTERVIEW_EVENTS), *RW),
            acl("topic", name(WRITER_STATE), *RW),
            acl("group", interview_group(interview, topics), "Read"),
            acl(
                "transactionalId",
                interview_transactional_prefix(interview, topics),
                "Write",
                "Describe",
                prefix=True,
            ),
        ],
        DECISION: [
            acl("topic", name(INTERVIEW_EVENTS), *R),
            acl("topic", name(DECISION_EVENTS), *RW),
            acl("topic", name(DECISION_VERDICTS), *RW),  # written; read by a new replica (ADR 0015)
            acl("topic", name(DECISION_SHADOW), *RW),  # a policy in shadow; read back by a rebuild (ADR 0024)
            acl("topic", name(DECISION_PARTICIPANTS), *RW),
            acl("topic", name(DLQ), *RW),
            acl("topic", name(DECISION_STATE), *RW),
            acl("topic", name(INTERVIEW_COMMANDS), "Describe"),
            acl("topic", name(COMMAND_RESULTS), "Describe"),
            acl("topic", name(WRITER_STATE), "Describe"),
            acl("topic", name(PRIVACY_KEYS), "Describe"),
            acl("group", decision.group, "Read"),
            acl("transactionalId", f"{decision.transactional_prefix}.", "Write", "Describe", prefix=True),
            # The candidacy projection (ADR 0012): its repartition, output and changelog topics.
            acl("topic", name(CANDIDACY_ROUNDS), *RW),
            acl("topic", name(CANDIDACY_EVENTS), *RW),
            acl("topic", name(CANDIDACY_STATE), *RW),
            acl("group", decision.candidacy_group, "Read"),
            acl("transactionalId", f"{decision.candidacy_group}.rounds.", "Write", "Describe", prefix=True),
            # The notary (ADR 0026): a group and transactional ids per input topic, all under one prefix.
            acl("topic", name(DECISION_CHECKPOINTS), *RW),
            acl("group", f"{decision.notary_group}.", "Read", prefix=True),
            acl("transactionalId", f"{decision.notary_group}.", "Write", "Describe", prefix=True),
        ],
        AUDIT: [
            acl("topic", name(INTERVIEW_EVENTS), *R),
            acl("topic", name(DECISION_EVENTS), *R),
            acl("topic", name(DECISION_SHADOW), *R),
            acl("topic", name(DLQ), *R),
            acl("topic", name(CANDIDACY_EVENTS), *R),
            acl("topic", name(PRIVACY_KEYS), *R),  # hiring-audit verify --reveal-text (ADR 0011)
            acl("topic", name(DECISION_CHECKPOINTS), *R),  # hiring-audit checkpoint save (ADR 0026)
        ],
    }
