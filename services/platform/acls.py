"""Kafka ACLs as data, and their creation with the Kafka admin API (kafka-python's admin client).

aiokafka's admin client has no ``create_acls``; kafka-python's ``KafkaAdminClient`` speaks the same
CreateAcls/DescribeAcls protocol with the same SASL/TLS settings (``KafkaSettings.admin_kwargs``).
The per-service table lives with the services' names (``services.launcher.principals``); the Helm
chart's ``KafkaUser`` ACLs are checked against it (``tests/deploy/test_chart.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ResourceKind = Literal["topic", "group", "transactionalId", "cluster"]
Operation = Literal["Read", "Write", "Describe", "Delete", "Create", "DescribeConfigs", "IdempotentWrite"]


@dataclass(frozen=True)
class Acl:
    """Allow ``operations`` on one resource (literal name, or every name starting with ``name``)."""

    kind: ResourceKind
    name: str
    operations: frozenset[Operation]
    prefix: bool = False

    @property
    def pattern(self) -> str:
        """``literal`` or ``prefix``, as Strimzi's ``KafkaUser`` spells it."""
        return "prefix" if self.prefix else "literal"


def acl(kind: ResourceKind, name: str, *operations: Operation, prefix: bool = False) -> Acl:
    """Shorthand: ``acl("topic", "interview.events", "Read", "Describe")``."""
    return Acl(kind, name, frozenset(operations), prefix)


def _kafka_python_acls(principals: Mapping[str, Iterable[Acl]]) -> list[Any]:
    from kafka.admin import (
        ACL,
        ACLOperation,
        ACLPermissionType,
        ACLResourcePatternType,
        ResourcePattern,
        ResourceType,
    )

    kinds = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.CLUSTER,
             "transactionalId": ResourceType.TRANSACTIONAL_ID}  # fmt: skip
    operations = {"Read": ACLOperation.READ, "Write": ACLOperation.WRITE, "Describe": ACLOperation.DESCRIBE,
                  "Delete": ACLOperation.DELETE,
                  "Create": ACLOperation.CREATE, "DescribeConfigs": ACLOperation.DESCRIBE_CONFIGS,
                  "IdempotentWrite": ACLOperation.IDEMPOTENT_WRITE}  # fmt: skip
    out = []
    for user, acls in principals.items():
        for rule in acls:
            pattern = ResourcePattern(
                kinds[rule.kind],
                rule.name,
                ACLResourcePatternType.PREFIXED if rule.prefix else ACLResourcePatternType.LITERAL,
            )
            for operation in sorted(rule.operations):
                out.append(ACL(f"User:{user}", "*", operations[operation], ACLPermissionType.ALLOW, pattern))
    return out


def create_acls_sync(admin_kwargs: Mapping[str, Any], principals: Mapping[str, Iterable[Acl]]) -> int:
    """Create the ACLs of every principal (idempotent: an existing ACL is left as it is); how many."""
    from kafka.admin import KafkaAdminClient

    wanted = _kafka_python_acls(principals)
    admin = KafkaAdminClient(client_id="hiring-pipeline-acls", **admin_kwargs)
    try:
        result = admin.create_acls(wanted)
    finally:
        admin.close()
    failed = result.get("failed", [])
    if failed:
        names = sorted({getattr(error, "__name__", str(error)) for error in failed})
        raise RuntimeError(f"creating {len(failed)} of {len(wanted)} ACLs failed: {', '.join(names)}")
    return len(wanted)


async def create_acls(admin_kwargs: Mapping[str, Any], principals: Mapping[str, Iterable[Acl]]) -> int:
    """``create_acls_sync`` off the event loop (kafka-python's client blocks)."""
    return await asyncio.to_thread(create_acls_sync, admin_kwargs, principals)
