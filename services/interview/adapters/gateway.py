"""The HTTP front's way to the single writer: produce a command, wait for its committed result.

Any replica may receive an HTTP request, but only the owner of the interview's partition writes. So
the front never decides anything itself: it produces the command to ``interview.commands`` (key =
interview id) and waits for the result with that command id on ``interview.command-results``, read
with ``read_committed`` from every partition, so it only ever reports committed outcomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from schemas.commands import CommandEnvelope, CommandResult
from schemas.topics import Topics
from services.interview.adapters.spans import tracing_on
from services.interview.adapters.wire import JSON_HEADERS, parse_result
from services.platform.log_reader import partitions_of, reader
from services.platform.tracing import trace_headers

log = structlog.get_logger("interview.gateway")


STALE_AFTER_S = 3.0
"""The broker is taken as unavailable when the results reader has not heard from it for this long
(it long-polls every 0.5 s), or a produce failed this recently."""


class ResultTimeoutError(TimeoutError):
    """No committed result arrived in time; retrying with the same idempotency key is safe."""


class BrokerUnavailableError(ConnectionError):
    """The broker does not answer: the command may or may not be applied; retry later, same key."""


class StoppingError(ConnectionError):
    """This replica is stopping: the command was not sent, or its result did not arrive before the drain
    ended (it may or may not be applied); retry with the same key, another replica answers."""


class CommandTooLargeError(ValueError):
    """The command record exceeds what the producer may send (the contract's bounds prevent it)."""


class CommandGateway:
    """Produces commands and matches committed results to waiting callers by command id."""

    def __init__(self, client: dict[str, Any], topics: Topics) -> None:
        self._client, self._topics = client, topics
        self._waiting: dict[str, asyncio.Future[CommandResult]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._followed: list[TopicPartition] = []
        self._started_at = 0.0
        self._produce_failed_at = 0.0
        self._stopping = False

    @property
    def ready(self) -> bool:
        """True once results are being followed from the end of every partition, until the drain."""
        return self._task is not None and not self._task.done() and not self._stopping

    async def drain(self, within: float) -> int:
        """Take no new command; give the commands in flight ``within`` seconds for their results, then
        answer the rest ``StoppingError`` (returns how many). Results are followed until ``stop``."""
        self._stopping = True  # no command is added from here on: the ones in flight are all there are
        pending = [f for f in self._waiting.values() if not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=within)
        late = [f for f in self._waiting.values() if not f.done()]
        for future in late:
            future.set_exception(StoppingError("this replica stopped before the result arrived"))
        if late:
            log.warning("gateway.drained", unanswered=len(late))
        return len(late)

    @property
    def healthy(self) -> bool:
        """Ready, the results reader heard from the broker lately and no produce failed lately."""
        now = time.time()
        return (
            self.ready
            and self._heard_since(now - STALE_AFTER_S)
            and self._produce_failed_at < now - STALE_AFTER_S
        )

    def _heard_since(self, since: float) -> bool:
        """Every followed partition got a fetch answer (even an empty one) after ``since``."""
        if self._consumer is None:
            return False
        for tp in self._followed:
            polled_ms = self._consumer.last_poll_timestamp(tp)
            if (polled_ms / 1000 if polled_ms is not None else self._started_at) < since:
                return False
        return True

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
        self._consumer, self._followed, self._started_at = consumer, tps, time.time()
        self._producer = AIOKafkaProducer(acks="all", enable_idempotence=True, linger_ms=1, **self._client)
        await self._producer.start()
        self._task = asyncio.create_task(self._follow(consumer), name="interview-gateway-results")

    async def submit(self, command: CommandEnvelope, timeout: float) -> CommandResult:
        """Send ``command`` and return its committed result, all within ``timeout`` seconds.

        Raises ``BrokerUnavailableError`` at once while the broker is unavailable, or when the produce
        does not complete in time; ``ResultTimeoutError`` when the result does not.
        """
        if self._stopping:
            raise StoppingError("this replica is stopping; nothing was sent")
        if not self.healthy:
            raise BrokerUnavailableError("the broker is unavailable; nothing was sent")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        future: asyncio.Future[CommandResult] = loop.create_future()
        self._waiting[command.command_id] = future
        try:
            await self._produce(command, timeout)
            async with asyncio.timeout(max(deadline - loop.time(), 0.0)):
                return await asyncio.shield(future)
        except TimeoutError:
            if not self.healthy:
                raise BrokerUnavailableError(
                    f"the broker became unavailable; command {command.command_id} may or may not be applied"
                ) from None
            raise ResultTimeoutError(
                f"no result for command {command.command_id} within {timeout}s"
            ) from None
        finally:
            left = self._waiting.pop(command.command_id, None)
            if left is not None and left.done() and not left.cancelled():
                left.exception()  # a drain's StoppingError for a caller that left on another error: seen

    async def _produce(self, command: CommandEnvelope, timeout: float) -> None:
        """Produce the command record within ``timeout`` (aiokafka alone may wait far longer)."""
        assert self._producer is not None, "gateway not started"
        send = self._producer.send_and_wait(
            self._topics.commands,
            command.model_dump_json(exclude_none=True).encode(),
            key=command.interview_id.encode(),
            # the writer continues the request's trace
            headers=[*JSON_HEADERS, *trace_headers()] if tracing_on() else list(JSON_HEADERS),
        )
        try:
            async with asyncio.timeout(timeout):  # (not wait_for: no task of its own per command)
                await send
        except MessageSizeTooLargeError as exc:
            raise CommandTooLargeError(str(exc)) from None
        except (TimeoutError, KafkaError) as exc:
            self._produce_failed_at = time.time()
            log.warning("gateway.produce_failed", command_id=command.command_id, error=repr(exc))
            raise BrokerUnavailableError(
                f"the broker did not take command {command.command_id} within {timeout}s; "
                "it may or may not be applied"
            ) from None

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
