"""The HTTP front's way to the single writer: produce a command, wait for its committed result.

Any replica may receive an HTTP request, but only the owner of the interview's partition writes. So
the front never decides anything itself: it produces the command to ``interview.commands`` (key =
interview id) and waits for the result with that command id on ``interview.command-results``, read
with ``read_committed`` from every partition, so it only ever reports committed outcomes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.commands import CommandEnvelope, CommandResult
from schemas.topics import Topics
from services.interview.adapters.wire import JSON_HEADERS, parse_result
from services.platform.log_reader import partitions_of, reader

log = structlog.get_logger("interview.gateway")


class ResultTimeoutError(TimeoutError):
    """No committed result arrived in time; retrying with the same idempotency key is safe."""


class CommandGateway:
    """Produces commands and matches committed results to waiting callers by command id."""

    def __init__(self, client: dict[str, Any], topics: Topics) -> None:
        self._client, self._topics = client, topics
        self._waiting: dict[str, asyncio.Future[CommandResult]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        """True once results are being followed from the end of every partition."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Position the results reader at the end, then start the producer."""
        partitions = await partitions_of(self._client, self._topics.command_results)
        consumer = reader(self._client, client_id="interview-gateway")
        await consumer.start()
        tps = [TopicPartition(self._topics.command_results, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve positions now: results of commands sent after start are never missed
            await consumer.position(tp)
        self._consumer = consumer
        self._producer = AIOKafkaProducer(acks="all", enable_idempotence=True, linger_ms=1, **self._client)
        await self._producer.start()
        self._task = asyncio.create_task(self._follow(consumer), name="interview-gateway-results")

    async def submit(self, command: CommandEnvelope, timeout: float) -> CommandResult:
        """Send ``command`` and return its committed result, or raise ``ResultTimeoutError``."""
        assert self._producer is not None, "gateway not started"
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._waiting[command.command_id] = future
        try:
            await self._producer.send_and_wait(
                self._topics.commands,
                command.model_dump_json(exclude_none=True).encode(),
                key=command.interview_id.encode(),
                headers=list(JSON_HEADERS),
            )
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise ResultTimeoutError(
                f"no result for command {command.command_id} within {timeout}s"
            ) from None
        finally:
            self._waiting.pop(command.command_id, None)

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            for records in batches.values():
                for record in records:
                    self._deliver(record.headers, record.value)

    def _deliver(self, headers: Any, value: bytes | None) -> None:
        command_id = next((v.decode() for k, v in headers if k == "command_id"), None)
        future = self._waiting.get(command_id or "")
        if future is None or future.done() or value is None:
            return  # another replica's command, or a caller that gave up
        try:
            future.set_result(parse_result(value))
        except ValueError as exc:
            future.set_exception(exc)

    async def stop(self) -> None:
        """Stop following results and flush the producer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        for client in (self._producer, self._consumer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()
