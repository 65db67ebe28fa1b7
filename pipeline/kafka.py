"""Plain aiokafka clients for the CLI: topic admin, publishing, tailing.

The streaming worker lives in ``pipeline/worker`` (faust); this module is everything else that
talks to the broker, with the same settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
    for_code,
)
from aiokafka.structs import TopicPartition

from pipeline.errors import FatalError
from pipeline.records import Record
from pipeline.security import aiokafka_security
from pipeline.settings import Settings

# The broker's "this principal may not": the ACLs, not the input, have to change.
AUTHORIZATION_ERRORS = (
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
)


class _RefusedLogins(logging.Handler):
    """What aiokafka logs when a broker refuses the SASL credentials (its bootstrap
    error only says that no broker could be reached)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reasons: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "SaslAuthenticationFailed" in message or "Authentication failed" in message:
            self.reasons.append(message.split(": ", 1)[-1])


async def start_admin(settings: Settings) -> AIOKafkaAdminClient:
    """An admin client connected to the brokers of ``settings``.

    Raises:
        FatalError: the brokers refused the credentials (no retry can mend that), or no
            broker answered.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **aiokafka_security(settings)
    )
    refused = _RefusedLogins()
    aiokafka_log = logging.getLogger("aiokafka")
    aiokafka_log.addHandler(refused)
    try:
        await admin.start()
    except KafkaConnectionError as exc:
        await admin.close()
        if refused.reasons:
            raise FatalError(
                f"the Kafka brokers at {settings.kafka_bootstrap} refused the credentials of "
                f"{settings.kafka_sasl_username!r} ({settings.kafka_sasl_mechanism}): "
                f"{refused.reasons[0]}; check NEWSFLOW_KAFKA_SASL_USERNAME and _PASSWORD"
            ) from exc
        raise FatalError(f"no Kafka broker answered at {settings.kafka_bootstrap}: {exc}") from exc
    finally:
        aiokafka_log.removeHandler(refused)
    return admin


async def create_topics(settings: Settings, names: Iterable[str]) -> dict[str, str]:
    """Create the topics that do not exist yet; returns ``{name: "created"|"exists"}``.

    Raises:
        FatalError: the brokers refused the credentials, or the principal may not
            describe or create these topics (its ACLs).
    """
    admin = await start_admin(settings)
    try:
        return await _create_topics(admin, settings, names)
    except AUTHORIZATION_ERRORS as exc:
        raise FatalError(
            f"Kafka principal {settings.kafka_sasl_username or '(anonymous)'!r} is not "
            f"allowed to describe or create the pipeline's topics: {exc!r}; see its ACLs"
        ) from exc
    finally:
        await admin.close()


async def _create_topics(
    admin: AIOKafkaAdminClient, settings: Settings, names: Iterable[str]
) -> dict[str, str]:
    existing = set(await admin.list_topics())
    wanted = list(dict.fromkeys(names))
    missing = [n for n in wanted if n not in existing]
    result = {n: "exists" for n in wanted if n in existing}
    if missing:
        new = [
            NewTopic(
                n,
                settings.partitions_of(n),
                settings.topic_replication,
                topic_configs=settings.topic_config(n) or None,
            )
            for n in missing
        ]
        # Created concurrently by another process is what we wanted too.
        with contextlib.suppress(TopicAlreadyExistsError):
            response = await admin.create_topics(new)
            _raise_refusal(response.topic_errors)
        result.update(dict.fromkeys(missing, "created"))
    await _wait_for_metadata(admin, missing)
    return result


def _raise_refusal(topic_errors: Iterable[tuple[Any, ...]]) -> None:
    """Raise the authorization error a CreateTopics response carries, if any (the
    client returns the response; it raises nothing by itself)."""
    for topic, code, *_ in topic_errors:
        error = for_code(code)
        if issubclass(error, AUTHORIZATION_ERRORS):
            raise error(f"creating {topic}")


async def _wait_for_metadata(
    admin: AIOKafkaAdminClient, names: list[str], within: float = 30
) -> None:
    """Until every topic in ``names`` has a leader for each partition.

    Raises:
        TimeoutError: not so after ``timeout`` seconds.
    """
    deadline = time.monotonic() + within
    pending = list(names)
    while pending:
        if set(pending) <= set(await admin.list_topics()):
            described = await admin.describe_topics(pending)
            pending = [
                str(t["topic"])
                for t in described
                if t.get("error_code") or any(p.get("leader", -1) < 0 for p in t["partitions"])
            ]
            if not pending:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics without a leader after {within:.0f} s: {pending}")
        await asyncio.sleep(0.1)


def producer(settings: Settings) -> AIOKafkaProducer:
    """An idempotent producer waiting for all in-sync replicas (acks=all)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        **aiokafka_security(settings),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=max(settings.max_input_bytes * 2, 1024 * 1024),
    )


async def publish(
    settings: Settings,
    records: Iterable[tuple[bytes | None, bytes | None]],
    topic: str | None = None,
) -> int:
    """Send ``(key, value)`` records and wait until the broker has every one."""
    prod = producer(settings)
    await prod.start()
    sent = 0
    try:
        futures = []
        for key, value in records:
            futures.append(await prod.send(topic or settings.topic_raw, value=value, key=key))
            sent += 1
        await asyncio.gather(*futures)
    finally:
        await prod.stop()
    return sent


@dataclass(frozen=True, slots=True)
class Batch:
    """Records read by :func:`follow_from_start`; ``caught_up`` once every record that
    was on the topic when following began has been read."""

    records: list[Record]
    caught_up: bool


async def follow_from_start(
    settings: Settings,
    topic: str,
    *,
    batch_timeout_ms: int = 1000,
    start: Mapping[int, int] | None = None,
) -> AsyncGenerator[Batch, None]:
    """Every record of ``topic`` from the beginning (or from the ``start`` offset of each
    partition named there), then new ones, in batches, forever.

    Reads all partitions without a consumer group, so every worker sees everything (the
    watchlist). A ``Record`` with an empty value is a deletion (tombstone). An empty batch
    is yielded when nothing arrived within ``batch_timeout_ms``.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        **aiokafka_security(settings),
        group_id=None,
        enable_auto_commit=False,
        metadata_max_age_ms=5000,
    )
    await consumer.start()
    try:
        tps = await _partitions(consumer, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        for tp in tps:
            if start is not None and tp.partition in start:
                consumer.seek(tp, start[tp.partition])
        ends = await consumer.end_offsets(tps)
        behind = {tp for tp in tps if ends[tp] > (start or {}).get(tp.partition, 0)}
        if not behind:
            yield Batch([], True)  # nothing to catch up on: say so now, not after a wait
        while True:
            batch = await consumer.getmany(timeout_ms=batch_timeout_ms, max_records=10_000)
            records = [
                Record(m.topic, m.partition, m.offset, m.timestamp, m.key, m.value or b"")
                for messages in batch.values()
                for m in messages
            ]
            for tp in list(behind):
                if await consumer.position(tp) >= ends[tp]:
                    behind.discard(tp)
            yield Batch(records, not behind)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        await consumer._client.force_metadata_update()  # a topic just created
        partitions = consumer.partitions_for_topic(topic) or set()
    return [TopicPartition(topic, p) for p in sorted(partitions)]


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


class LagProbe:
    """Committed and end offsets of a consumer group, read from the broker."""

    def __init__(self, settings: Settings, group: str) -> None:
        self._settings = settings
        self._group = group
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self._settings.kafka_bootstrap, **aiokafka_security(self._settings)
        )
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            **aiokafka_security(self._settings),
            group_id=None,
            enable_auto_commit=False,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def read(self, partitions: Iterable[tuple[str, int]]) -> list[PartitionLag]:
        if self._admin is None or self._consumer is None:
            raise RuntimeError("LagProbe.read() before start()")
        tps = [TopicPartition(t, p) for t, p in partitions]
        if not tps:
            return []
        committed = await self._admin.list_consumer_group_offsets(self._group, partitions=tps)
        ends = await self._consumer.end_offsets(tps)
        out = []
        for tp in tps:
            meta = committed.get(tp)
            offset = meta.offset if meta is not None and meta.offset >= 0 else None
            out.append(PartitionLag(tp.topic, tp.partition, offset, ends.get(tp, 0)))
        return out


async def read_to_end(
    settings: Settings,
    topic: str,
    *,
    within: float = 120,
    isolation_level: str = "read_uncommitted",
) -> list[Record]:
    """Every record of ``topic`` from its beginning up to its end at the time of the call.
    With ``isolation_level="read_committed"`` only committed records (and aborted
    transactions' none), up to the last stable offset.

    Raises:
        TimeoutError: the end was not reached within ``within`` seconds.
    """
    read = await read_topics_to_end(
        settings, [topic], within=within, isolation_level=isolation_level
    )
    return read[topic]


async def read_topics_to_end(
    settings: Settings,
    topics: Iterable[str],
    *,
    within: float = 120,
    isolation_level: str = "read_uncommitted",
) -> dict[str, list[Record]]:
    """:func:`read_to_end` for several topics at once, with one consumer.

    Raises:
        TimeoutError: the end was not reached within ``within`` seconds.
    """
    names = list(dict.fromkeys(topics))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level=isolation_level,
        **aiokafka_security(settings),
    )
    records: dict[str, list[Record]] = {name: [] for name in names}
    await consumer.start()
    try:
        tps = [tp for name in names for tp in await _partitions(consumer, name)]
        if not tps:
            return records
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        deadline = time.monotonic() + within
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{names}: end offsets not reached in {within:.0f} s")
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                for m in messages:
                    if m.offset < ends[tp]:
                        records[m.topic].append(
                            Record(
                                m.topic, m.partition, m.offset, m.timestamp, m.key, m.value or b""
                            )
                        )
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()


async def tail(
    settings: Settings,
    topic: str,
    *,
    from_beginning: bool = False,
    idle_timeout: float | None = None,
) -> AsyncIterator[Record]:
    """Follow a topic without joining a group (nothing is committed).

    Stops after ``idle_timeout`` seconds without a record, when given.
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        **aiokafka_security(settings),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
    )
    await consumer.start()
    try:
        last = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            for messages in batch.values():
                for m in messages:
                    last = time.monotonic()
                    yield Record(m.topic, m.partition, m.offset, m.timestamp, m.key, m.value or b"")
            if idle_timeout is not None and time.monotonic() - last > idle_timeout:
                return
    finally:
        await consumer.stop()
