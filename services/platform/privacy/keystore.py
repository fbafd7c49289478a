"""Where data keys live: a ``KeyStore`` protocol, a compacted Kafka topic by default.

The Kafka store keeps one record per data key on ``privacy.keys`` (compacted), keyed
``<candidate id>/<key id>``, its value the key wrapped by the KEK. Every process that shows or
writes text reads the whole topic at start (it is small: one record per candidate) and then follows
it, so a tombstone written by ``hiring-pipeline privacy erase`` drops the key from every running
cache within moments. A KMS (AWS KMS, GCP KMS, Vault transit) fits the same protocol: ``data_key``
asks it to generate and wrap, ``erase`` schedules the key's destruction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from services.platform.log_reader import partitions_of
from services.platform.privacy.crypto import DataKey, Kek, SealError, new_data_key
from services.platform.privacy.tail import ROLL_TICK_HEADER, ROLL_TICK_KEY

log = structlog.get_logger("privacy.keystore")


class KeyStoreUnavailableError(RuntimeError):
    """The key store cannot give or create a data key now: nothing is written in the clear instead."""


class KeyStore(Protocol):
    """Data keys per candidate: create on first need, look up by key id, destroy on erasure."""

    async def data_key(self, candidate_id: str) -> DataKey:
        """The candidate's live data key, created (and stored durably) when there is none."""
        ...

    def lookup(self, kid: str) -> DataKey | None:
        """The data key with this id, or None when it was erased (or never existed)."""
        ...

    async def erase(self, candidate_id: str) -> list[str]:
        """Destroy every data key of the candidate; returns the key ids destroyed."""
        ...


def record_key(candidate_id: str, kid: str) -> bytes:
    """Key of a data key's record: ``<candidate id>/<key id>`` (ids never contain ``/``)."""
    return f"{candidate_id}/{kid}".encode()


class MemoryKeyStore:
    """A key store in memory (unit tests; one process)."""

    def __init__(self) -> None:
        self.by_kid: dict[str, DataKey] = {}
        self.available = True

    async def data_key(self, candidate_id: str) -> DataKey:
        if not self.available:
            raise KeyStoreUnavailableError("the in-memory key store is switched off")
        for key in self.by_kid.values():
            if key.candidate_id == candidate_id:
                return key
        key = new_data_key(candidate_id)
        self.by_kid[key.kid] = key
        return key

    def lookup(self, kid: str) -> DataKey | None:
        return self.by_kid.get(kid)

    async def erase(self, candidate_id: str) -> list[str]:
        kids = [kid for kid, key in self.by_kid.items() if key.candidate_id == candidate_id]
        for kid in kids:
            del self.by_kid[kid]
        return kids


class KafkaKeyStore:
    """Data keys on a compacted topic, wrapped by the KEK; a local cache that follows the topic."""

    def __init__(self, client: dict[str, Any], topic: str, kek: Kek, timeout_s: float = 10.0) -> None:
        self._client, self.topic, self._kek, self._timeout = client, topic, kek, timeout_s
        self._by_kid: dict[str, DataKey] = {}
        self._by_candidate: dict[str, list[str]] = {}
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._follow: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Read the whole topic (restore), then follow it in the background."""
        try:
            parts = await partitions_of(self._client, self.topic)
        except KafkaError as exc:
            raise KeyStoreUnavailableError(f"cannot describe the key topic {self.topic}: {exc}") from None
        if not parts:
            raise KeyStoreUnavailableError(f"the key topic {self.topic} does not exist; create the topics")
        self._producer = AIOKafkaProducer(**self._client, acks="all", enable_idempotence=True)
        await self._producer.start()
        consumer = AIOKafkaConsumer(**self._client, enable_auto_commit=False, group_id=None,
                                    isolation_level="read_committed")  # fmt: skip
        await consumer.start()
        self._consumer = consumer
        tps = [TopicPartition(self.topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= ends[tp] for pos, tp in zip(positions, tps, strict=True)):
                break
            await self._poll(consumer)
        self._follow = asyncio.create_task(self._follow_topic(consumer), name="privacy-keys")
        log.info("key store restored", topic=self.topic, keys=len(self._by_kid), kek_id=self._kek.kek_id)

    async def stop(self) -> None:
        """Stop following and close the clients."""
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(BaseException):
                await self._follow
        for client in (self._consumer, self._producer):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()

    async def _follow_topic(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                await self._poll(consumer)
            except KafkaError as exc:  # keep following; the cache only misses new keys meanwhile
                log.warning("key topic read failed", error=type(exc).__name__)
                await asyncio.sleep(1)

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=200, max_records=1000)
        for records in batches.values():
            for record in records:
                self._apply(record.key, record.value)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None or key == ROLL_TICK_KEY:  # a roll tick (privacy/tail.py): no data key
            return
        candidate_id, _, kid = key.decode("utf-8", errors="replace").partition("/")
        if value is None:  # tombstone: the key is destroyed; drop it from this cache
            self._forget(candidate_id, kid)
            return
        try:
            doc = json.loads(value)
            data_key = self._kek.unwrap(candidate_id, kid, doc["wrapped"])
        except (ValueError, KeyError, SealError) as exc:
            log.warning("data key not usable", kid=kid, error=type(exc).__name__)
            return
        self._remember(data_key)

    def _remember(self, key: DataKey) -> None:
        self._by_kid[key.kid] = key
        kids = self._by_candidate.setdefault(key.candidate_id, [])
        if key.kid not in kids:
            kids.append(key.kid)

    def _forget(self, candidate_id: str, kid: str) -> None:
        self._by_kid.pop(kid, None)
        kids = self._by_candidate.get(candidate_id, [])
        if kid in kids:
            kids.remove(kid)
        if not kids:
            self._by_candidate.pop(candidate_id, None)

    def kids_of(self, candidate_id: str) -> list[str]:
        """Key ids of the candidate's live data keys (as this cache knows them)."""
        return list(self._by_candidate.get(candidate_id, ()))

    async def data_key(self, candidate_id: str) -> DataKey:
        async with self._lock:
            kids = self._by_candidate.get(candidate_id)
            if kids:
                return self._by_kid[kids[0]]
            key = new_data_key(candidate_id)
            value = json.dumps({
                "candidate": candidate_id, "kid": key.kid, "alg": "A256GCM", "kek": self._kek.kek_id,
                "wrapped": self._kek.wrap(key), "created": datetime.now(UTC).isoformat(),
            }).encode()  # fmt: skip
            await self._send(record_key(candidate_id, key.kid), value)
            self._remember(key)
            log.info("data key created", kid=key.kid)
            return key

    def lookup(self, kid: str) -> DataKey | None:
        return self._by_kid.get(kid)

    async def roll_tick(self) -> None:
        """Append a roll tick, so a quiet key topic still rolls and compacts (ADR 0030)."""
        if self._producer is None:
            raise KeyStoreUnavailableError("the key store is not started")
        headers = [(ROLL_TICK_HEADER, b"")]
        await asyncio.wait_for(
            self._producer.send_and_wait(self.topic, None, key=ROLL_TICK_KEY, headers=headers), self._timeout
        )

    def snapshot(self) -> dict[str, DataKey]:
        """The live data keys by key id, as this cache holds them now."""
        return dict(self._by_kid)

    async def erase(self, candidate_id: str) -> list[str]:
        async with self._lock:
            kids = self.kids_of(candidate_id)
            for kid in kids:
                await self._send(record_key(candidate_id, kid), None)
                self._forget(candidate_id, kid)
            log.info("data keys destroyed", kids=kids)
            return kids

    async def _send(self, key: bytes, value: bytes | None) -> None:
        if self._producer is None:
            raise KeyStoreUnavailableError("the key store is not started")
        try:
            await asyncio.wait_for(self._producer.send_and_wait(self.topic, value, key=key), self._timeout)
        except (KafkaError, TimeoutError) as exc:
            raise KeyStoreUnavailableError(
                f"cannot write to the key topic {self.topic}: {type(exc).__name__}"
            ) from None
