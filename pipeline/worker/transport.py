"""The faust app and its Kafka transport, set up from the settings.

faust's aiokafka driver is subclassed where faust offers no setting: the producer's
idempotence, the consumer's broker-side fetch wait, the consumer's read offsets (a
start-up race in faust lost records; see :class:`_ReadOffsets`), and, for exactly-once,
the transaction manager and a commit that holds the app's ``gate``
(pipeline/worker/transactions.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from pipeline.security import ssl_context
from pipeline.settings import Settings
from pipeline.worker.transactions import TransactionManager


class _IdempotentProducer(faust_aiokafka.Producer):
    """faust's aiokafka producer with idempotence on (faust enables it only inside
    transactions): broker-side deduplication of retried sends, acks=all."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {"acks": "all", "enable_idempotence": True}


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """faust's consumer thread with a shorter broker-side fetch wait. aiokafka keeps one
    fetch in flight per broker; partitions whose buffered records drain meanwhile wait
    for it to return, and faust's fixed 1,500 ms wait stalled one stage at a time under
    steady load (p99 publish -> alert 6.7 s at 300 articles/s; 0.3 s with 20-100 ms)."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads these when the consumer starts (no public setter after creation)
        consumer._fetch_max_wait_ms = int(cast("App", self.app).fetch_wait_ms)
        return consumer


class _ReadOffsets(dict[Any, int | None]):
    """The read offsets faust keeps per partition, which always read as "none yet".

    faust drops a fetched record whose offset is below the last one it handed to a
    stream, to skip re-reads. At start-up with tables, recovery resumes the stream
    partitions before it seeks them to their committed offsets, and its final
    ``flow_control.resume()`` empties the stream queues: records fetched in that window
    moved the read offset on, were thrown away with the queues, and their re-fetch from
    the committed offset was then dropped as already read. A restarted worker lost them
    (or, when the first was lost, stalled its partition's commits for good): the SIGKILL
    fault test failed in about one run in four. With no read offset every record is
    handed on; a re-read is processed again, which at-least-once delivery allows and the
    idempotent keys make recognisable. (faust's gap bookkeeping, for offsets that
    compaction or transaction markers leave out, also reads these offsets; the stream
    topics have neither.)
    """

    def __getitem__(self, tp: Any) -> int | None:
        return None


class _Consumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = _ReadOffsets()
        # Exactly-once: stream partitions assigned but not yet sought to their committed
        # offsets, kept out of the fetch until then (transactions.py, point 4); None
        # when none is held.
        self._held: set[Any] | None = None

    async def on_partitions_assigned(self, assigned: Any, generation_id: int = 0) -> None:
        if self.in_transaction:
            self._held = set()
        await super().on_partitions_assigned(assigned, generation_id)

    def _hold(self, tps: Any) -> set[Any]:
        """The stream partitions of ``tps``, held back while a seek is due."""
        if self._held is None:
            return set()
        streams = {tp for tp in tps if not self._is_changelog_tp(tp)}
        self._held.update(streams)
        return streams

    def _set_active_tps(self, tps: Any) -> Any:
        active = super()._set_active_tps(tps)
        active.difference_update(self._hold(active))
        return active

    def resume_partitions(self, tps: Any) -> None:
        held = self._hold(tps)
        self._paused_partitions.difference_update(held)
        super().resume_partitions([tp for tp in tps if tp not in held])

    def pause_partitions(self, tps: Any) -> None:
        super().pause_partitions(tps)
        if self._held is not None:
            self._held.difference_update(tps)

    async def perform_seek(self) -> None:
        await super().perform_seek()
        held, self._held = self._held, None
        if held:
            super().resume_partitions(held)

    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _commit_tps(self, tps: Iterable[Any], start_new_transaction: bool) -> bool:
        if not self.in_transaction:
            return await super()._commit_tps(tps, start_new_transaction)
        # Exactly-once: the offsets are chosen and committed with no agent sending
        # meanwhile (pipeline/worker/transactions.py, point 2).
        async with cast("App", self.app).gate:
            return await super()._commit_tps(tps, start_new_transaction)


class _Transport(faust_aiokafka.Transport):
    Producer = _IdempotentProducer
    Consumer = _Consumer
    TransactionManager = TransactionManager


class App(faust.App):
    """faust's app with the transport above."""

    fetch_wait_ms: float = 50.0  # set from the settings in new_app

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Exactly-once: held while an input's outputs are sent and it is acknowledged,
        # and across a commit (pipeline/worker/transactions.py).
        self.gate = asyncio.Lock()

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> Any:
        return _Transport(self.conf.broker_producer, self)


def faust_credentials(settings: Settings) -> Any:
    """The ``broker_credentials`` for faust from the security settings; ``None`` if plain."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=settings.kafka_sasl_password.reveal(),
        ssl_context=context,
        mechanism=settings.kafka_sasl_mechanism,
    )


def new_app(settings: Settings) -> App:
    """A faust app with the worker's transport settings (no agents yet)."""
    app = App(
        settings.app_id,
        broker_credentials=faust_credentials(settings),
        broker=settings.broker_url,
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        datadir=str(settings.data_dir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        consumer_auto_offset_reset="earliest",
        consumer_metadata_max_age_ms=settings.metadata_max_age_ms,
        producer_metadata_max_age_ms=settings.metadata_max_age_ms,
        producer_acks=-1,
        # Batch sends: with idempotence one request is in flight per broker, so without
        # linger every record would wait a round trip of its own.
        producer_linger=settings.producer_linger_ms / 1000,
        producer_max_batch_size=1024 * 1024,
        producer_max_request_size=4 * 1024 * 1024,
        # Records fetched per partition per request. faust's default (1 MiB, ~200 of our
        # records) held a worker at ~150 articles/s, waiting on fetches, not computing.
        consumer_max_fetch_size=settings.consumer_fetch_bytes,
        broker_commit_every=100,
        broker_commit_interval=1.0,
        broker_session_timeout=settings.consumer_session_timeout,
        broker_heartbeat_interval=settings.consumer_heartbeat_interval,
        store="rocksdb://",
        table_standby_replicas=0,
        processing_guarantee=settings.processing_guarantee,
    )
    app.fetch_wait_ms = settings.consumer_fetch_wait_ms
    return app


def raw_topic(app: faust.App, settings: Settings, name: str) -> faust.TopicT:
    """A topic of raw bytes (decoding is ours: a record that does not decode is
    dead-lettered with its bytes instead of being skipped by faust)."""
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions_of(name),
    )
