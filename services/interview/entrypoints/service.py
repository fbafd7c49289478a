"""Composition root: the writer (exactly-once engine + handler) and the HTTP gateway of one process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

from schemas.topics import (
    COMMAND_RESULTS,
    INTERVIEW_COMMANDS,
    INTERVIEW_EVENTS,
    PRIVACY_KEYS,
    WRITER_STATE,
    Topics,
)
from services.interview.adapters import metrics
from services.interview.adapters.gateway import CommandGateway
from services.interview.adapters.handler import InterviewHandler
from services.interview.entrypoints.settings import (
    InterviewSettings,
    writer_group,
    writer_transactional_prefix,
)
from services.platform.eos import TransactionalProcessor
from services.platform.log_reader import partitions_of
from services.platform.privacy.erase import delete_consumed_commands
from services.platform.privacy.keystore import KafkaKeyStore
from services.platform.privacy.settings import PrivacySettings
from services.platform.privacy.tail import ROLL_TICK_HEADER, ROLL_TICK_KEY
from services.platform.serving import HTTP_DRAIN_S
from services.platform.startup import prepare_topics

log = structlog.get_logger("interview.service")
TOPICS_USED = (INTERVIEW_COMMANDS, COMMAND_RESULTS, INTERVIEW_EVENTS, WRITER_STATE, PRIVACY_KEYS)
"""The topics the service reads or writes: verified at start when it does not create them."""


class TopologyError(RuntimeError):
    """The topics break co-partitioning (commands and events must have the same partition count)."""


class InterviewService:
    """Starts and stops the parts of one interview-service process (run by ``run_service``)."""

    name = "interview"

    def __init__(
        self, client: dict[str, Any], topics: Topics, settings: InterviewSettings, partitions: int = 6,
        *, replication_factor: int = 1, startup_wait_s: float = 120.0,
    ):  # fmt: skip
        self.client, self.topics, self.settings = client, topics, settings
        self._new_topic_partitions, self._replication = partitions, replication_factor
        self._startup_wait_s = startup_wait_s
        self.gateway = CommandGateway(client, topics) if settings.http else None
        self.processor: TransactionalProcessor | None = None
        self.keys: KafkaKeyStore | None = None
        self._purge: asyncio.Task[None] | None = None
        self._ticks: asyncio.Task[None] | None = None
        self.failed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """Ready: partitions assigned and rebuilt (writer) and results followed (HTTP front)."""
        writer_ok = self.processor is None or self.processor.ready
        front_ok = self.gateway is None or self.gateway.ready
        return writer_ok and front_ok and not self.failed.is_set()

    async def start(self) -> None:
        """Wait for Kafka, create or verify the topics, check co-partitioning, start writer and gateway."""
        await prepare_topics(
            self.client, self.topics, create=self.settings.create_topics,
            partitions=self._new_topic_partitions, replication_factor=self._replication,
            limit_s=self._startup_wait_s, service=self.name, bases=list(TOPICS_USED),
        )  # fmt: skip
        partitions = await self._check_topology()
        if self.settings.writer:
            self.processor = self._processor(partitions)
            assert self.keys is not None
            await self.keys.start()
            self._task = asyncio.create_task(self.processor.run(), name="interview-writer")
            self._task.add_done_callback(self._writer_ended)
            self._purge = asyncio.create_task(self._purge_commands(), name="interview-commands-purge")
            self._ticks = asyncio.create_task(self._roll_ticks(), name="interview-roll-ticks")
        if self.gateway is not None:
            await self.gateway.start()
        log.info("interview service started", partitions=partitions, writer=self.settings.writer)

    def _key_store(self) -> KafkaKeyStore:
        """The data keys that seal personal text (ADR 0011); the KEK from PRIVACY_KEK(_FILE)."""
        privacy = PrivacySettings()
        if privacy.uses_dev_kek:
            log.warning("using the local development KEK; set PRIVACY_KEK_FILE in production")
        return KafkaKeyStore(self.client, self.topics.privacy_keys, privacy.load_kek(), privacy.key_timeout_s)

    def _processor(self, partitions: int) -> TransactionalProcessor:
        self.keys = self.keys or self._key_store()
        handler = InterviewHandler(
            self.client, self.topics, partitions, state_dir=self.settings.state_dir, keys=self.keys,
            intake_principal=self.settings.intake_principal, policy_version=self.settings.policy_version,
        )
        return TransactionalProcessor(
            self.client,
            input_topic=self.topics.commands,
            group_id=writer_group(self.settings, self.topics),
            transactional_prefix=writer_transactional_prefix(self.settings, self.topics),
            handler=handler,
            max_records=self.settings.max_records,
            on_aborted=lambda reason: metrics.TRANSACTIONS_ABORTED.labels(reason).inc(),
        )

    async def _purge_commands(self, every_s: float = 60.0) -> None:
        """Delete consumed commands older than ``commands_keep_s``: clear text does not linger there."""
        group = writer_group(self.settings, self.topics)
        while True:
            await asyncio.sleep(min(every_s, self.settings.commands_keep_s))
            before = int((time.time() - self.settings.commands_keep_s) * 1000)
            try:
                deleted = await delete_consumed_commands(self.client, self.topics, group, before)
            except Exception as exc:  # the next round tries again; commands are kept meanwhile
                log.warning("consumed commands not deleted", error=type(exc).__name__)
                continue
            if deleted:
                log.info("consumed commands deleted", up_to=deleted)

    async def _roll_ticks(self) -> None:
        """Append a roll tick to privacy.keys and to each owned command partition (ADR 0030)."""
        producer = AIOKafkaProducer(**self.client, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            while True:
                await asyncio.sleep(self.settings.roll_tick_s)
                owned = sorted(self.processor.assigned) if self.processor is not None else []
                try:
                    for partition in owned:
                        await producer.send_and_wait(
                            self.topics.commands, None, key=ROLL_TICK_KEY, partition=partition,
                            headers=[(ROLL_TICK_HEADER, b"")],
                        )  # fmt: skip
                    if self.keys is not None:
                        await self.keys.roll_tick()
                except Exception as exc:  # the next tick tries again; the tail is longer meanwhile
                    log.warning("roll tick not written", error=type(exc).__name__)
        finally:
            await producer.stop()

    async def _check_topology(self) -> int:
        names = (self.topics.commands, self.topics.interview_events, self.topics.command_results)
        counts = [len(await partitions_of(self.client, name)) for name in names]
        if 0 in counts or len(set(counts)) != 1:
            detail = ", ".join(f"{n}={c}" for n, c in zip(names, counts, strict=True))
            raise TopologyError(f"topics must exist with one partition count (co-partitioning): {detail}")
        return counts[0]

    def _writer_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        log.error("writer stopped on an error", error=repr(task.exception()))
        self.failed.set()

    async def stop(self) -> None:
        """Answer every command in flight, finish or abort the open transaction, leave the group, stop
        the gateway.

        The gateway drains while the writer does: a command in flight gets its result if it is committed
        within ``HTTP_DRAIN_S`` (the writer's last transaction included), else 503 ``stopping``, always
        before the HTTP server's own drain time ends (it would cancel the request: a 500).
        """
        draining = None
        if self.gateway is not None:
            draining = asyncio.create_task(self.gateway.drain(HTTP_DRAIN_S), name="interview-gateway-drain")
        for task in (self._purge, self._ticks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if self.processor is not None and self._task is not None:
            await self.processor.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.settings.shutdown_grace_s)
            except (TimeoutError, Exception):
                self._task.cancel()
                with contextlib.suppress(BaseException):
                    await self._task
        if self.gateway is not None and draining is not None:
            await draining
            await self.gateway.stop()
        if self.keys is not None:
            await self.keys.stop()
        log.info("interview service stopped")
