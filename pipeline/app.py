"""Kafka wiring: the faust app, its topics and its agents. The only faust import.

    news.articles.raw        --normalize_articles-->  news.articles.dedupe (MinHash-keyed)
    news.articles.dedupe     --dedupe_articles----->  news.articles.normalized (+duplicate_of)
    news.articles.normalized --tag_and_flag-------->  news.articles.tagged
                                                 +->  news.alerts.candidates (actor-keyed)
    news.alerts.candidates   --route_alerts-------->  news.alerts.sanctions (+ .kp, .ru, ...)
    any stage, bad input     ---------------------->  news.deadletter

With NEWSFLOW_STAGE_LAYOUT=chained, tag_and_flag is two agents: tag_entities
(normalized -> tagged) and flag_events (tagged -> candidates).

Topics carry raw bytes; decoding happens in our code (codec.py), so a record that does
not decode is dead-lettered with its original bytes instead of being skipped by faust.
Each output is acknowledged by the broker before the input's offset can be committed
(at-least-once; outputs are keyed by the article or alert id so repeats are recognisable).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import itertools
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import faust
import msgspec
import orjson
from aiokafka.errors import KafkaError
from faust.transport.drivers import aiokafka as faust_aiokafka

from pipeline import logs, metrics
from pipeline.chain import run_normalize
from pipeline.codec import decode_alert, decode_normalized, decode_tagged, dumps
from pipeline.dedupe_index import DedupeIndex
from pipeline.errors import RejectedMessage, SchemaViolation
from pipeline.kafka import LagProbe, follow_from_start
from pipeline.models import DeadLetter, NormalizedArticle, TaggedArticle
from pipeline.models import replace as replace_message
from pipeline.resources import LiveWatchlist, Stages
from pipeline.security import ssl_context
from pipeline.settings import Settings
from pipeline.stages.alerts import actor_key, merge
from pipeline.stages.dedupe import from_hex, signature, to_hex
from pipeline.stages.entities import tag_article
from pipeline.stages.sanctions import flag

log = logs.get("newsflow.app")


@dataclass(frozen=True, slots=True)
class Output:
    """What a stage step produced for one input: a record for the stage's topic, records
    for other topics, and an outcome."""

    key: bytes | None
    value: bytes | None
    outcome: str
    article_id: str
    # records for other topics, (topic, key, value): the fused step's candidate alert,
    # the routed alert's copies on the per-country topics
    extra: tuple[tuple[str, bytes | None, bytes], ...] = ()


StageStep = Callable[[bytes, Any], Output]


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
        consumer._fetch_max_wait_ms = int(cast("_App", self.app).fetch_wait_ms)
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> Any:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _IdempotentTransport(faust_aiokafka.Transport):
    Producer = _IdempotentProducer
    Consumer = _Consumer


class _App(faust.App):
    fetch_wait_ms: float = 50.0  # set from the settings in _new_app

    def _new_transport(self) -> Any:
        return _IdempotentTransport(self.conf.broker_consumer, self)

    def _new_producer_transport(self) -> Any:
        return _IdempotentTransport(self.conf.broker_producer, self)


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


def _new_app(settings: Settings) -> faust.App:
    """A faust app with the worker's transport settings (no agents yet)."""
    app = _App(
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
        store="rocksdb://",
        table_standby_replicas=0,
    )
    app.fetch_wait_ms = settings.consumer_fetch_wait_ms
    return app


class _Worker(faust.Worker):
    """faust's worker with a bound on shutdown. Stopping waits for the broker (commits,
    leaving the group); with the broker gone it waited forever and SIGTERM never ended
    the process. After ``shutdown_timeout`` seconds it exits with status 1: inputs not yet
    committed are replayed by the next worker (at-least-once), nothing is lost."""

    shutdown_timeout: float = 30.0

    def _on_sigterm(self) -> None:
        self._arm_deadline("SIGTERM")
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._arm_deadline("SIGINT")
        super()._on_sigint()

    def _arm_deadline(self, signal_name: str) -> None:
        def give_up() -> None:
            log.error(
                "shutdown did not finish in time; exiting without it (uncommitted input "
                "will be replayed)",
                signal=signal_name,
                timeout_seconds=self.shutdown_timeout,
            )
            os._exit(1)

        timer = threading.Timer(self.shutdown_timeout, give_up)
        timer.daemon = True
        timer.start()


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run ``app`` until SIGINT/SIGTERM (at most NEWSFLOW_SHUTDOWN_TIMEOUT s of shutdown)."""
    worker = _Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.shutdown_timeout = settings.shutdown_timeout
    worker.execute_from_commandline()


def _raw_topic(app: faust.App, settings: Settings, name: str) -> faust.TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions_of(name),
    )


def create_passthrough_app(
    settings: Settings, source: str, target: str, hops: int = 1
) -> faust.App:
    """The benchmark's yardstick: no-op agents copying ``source`` to ``target`` with the
    worker's transport settings and delivery tracking, so the pipeline's throughput can be
    set against what faust itself costs on the same broker. With ``hops`` > 1 the agents
    are chained through intermediate topics (``<target>.hop1``, ...), as the pipeline's
    stages are: what the pipeline's topology costs with no work in its stages."""
    app = _new_app(settings)
    names = [source, *(f"{target}.hop{i}" for i in range(1, hops)), target]
    for hop, (src_name, dst_name) in enumerate(itertools.pairwise(names), start=1):
        _forward(
            app,
            _raw_topic(app, settings, src_name),
            _raw_topic(app, settings, dst_name),
            "passthrough" if hop == 1 else f"passthrough_{hop}",
        )
    return app


def _forward(app: faust.App, src: Any, dst: Any, name: str) -> None:
    async def passthrough(stream: faust.StreamT[bytes]) -> None:
        delivery = _Delivery()
        async for event in _unacked(stream).events():
            message = event.message
            ts = getattr(message, "timestamp", None) or None
            fut = await dst.send(key=message.key, value=event.value, timestamp=ts)
            await delivery.track(event, [fut], name)

    passthrough.__name__ = passthrough.__qualname__ = name
    app.agent(src, name=name)(passthrough)


def create_app(settings: Settings, stages: Stages) -> faust.App:
    """Build the faust app: the stage agents (see the module docstring), the dedupe and alert
    tables, the watchlist and lag tasks."""
    app = _new_app(settings)

    @functools.cache
    def topic(name: str) -> faust.TopicT:
        # cached: steps name extra topics per record (candidates, per-country alerts)
        return _raw_topic(app, settings, name)

    raw, normalized, tagged = (
        topic(settings.topic_raw),
        topic(settings.topic_normalized),
        topic(settings.topic_tagged),
    )
    alerts, deadletter = topic(settings.topic_alerts), topic(settings.topic_deadletter)
    dedupe = topic(settings.topic_dedupe)
    candidates = topic(settings.topic_alert_candidates)
    alert_index = app.Table(
        "alert-index",
        partitions=settings.topic_partitions,
        key_type=bytes,
        value_type=bytes,
    )
    table = app.Table(
        "dedupe-index",
        partitions=settings.dedupe_partitions,
        key_type=bytes,
        value_type=bytes,
    )
    index = DedupeIndex(
        table,
        window_seconds=settings.dedupe_window_hours * 3600,
        threshold=settings.dedupe_threshold,
    )
    steps = _Steps(settings, stages, index, alert_index)
    live = steps.live

    def stage_agent(source: Any, name: str, stage: str, step: StageStep, out: Any) -> None:
        """One agent: every record of ``source`` through ``step``; outputs to ``out`` (and
        to the topics a step names), bad input to the dead-letter topic."""

        async def run(stream: faust.StreamT[bytes]) -> None:
            delivery = _Delivery()
            async for event in _unacked(stream).events():
                await _handle(
                    event, stage, step, out, deadletter, delivery=delivery, topic_named=topic
                )

        run.__name__ = run.__qualname__ = name  # what faust's logs call the agent
        app.agent(source, name=name)(run)

    # raw input bytes -> {"article": NormalizedArticle, "sig": MinHash hex} on the dedupe topic
    stage_agent(raw, "normalize_articles", "normalize", steps.normalize, dedupe)
    # {"article", "sig"} -> NormalizedArticle JSON, duplicate_of set for syndicated copies
    stage_agent(dedupe, "dedupe_articles", "dedupe", steps.dedupe, normalized)
    if settings.stage_layout == "fused":
        # NormalizedArticle JSON -> TaggedArticle JSON on the tagged topic, and the
        # candidate Alert (if any) on the candidates topic: one hop, no re-decoding
        stage_agent(normalized, "tag_and_flag", "tag", steps.tag_and_flag, tagged)
    else:
        # NormalizedArticle JSON -> TaggedArticle JSON (article + entities)
        stage_agent(normalized, "tag_entities", "tag", steps.tag, tagged)
        # TaggedArticle JSON -> candidate Alert JSON keyed by its sanctioned actors
        stage_agent(tagged, "flag_events", "flag", steps.flag, candidates)
    # candidate Alert -> new or updated Alert on the alerts topic and per-country topics
    stage_agent(candidates, "route_alerts", "route", steps.route, alerts)

    # news.watchlist (compacted; key = entity id, empty value = delete) -> a new tagger
    @app.task  # type: ignore[untyped-decorator]  # faust's task decorator is untyped
    async def follow_watchlist() -> None:
        await _follow_watchlist(settings, live)

    # every lag_interval seconds: committed and end offsets of this worker's partitions
    @app.task  # type: ignore[untyped-decorator]  # faust's task decorator is untyped
    async def measure_lag() -> None:
        sources = {
            settings.topic_raw,
            settings.topic_dedupe,
            settings.topic_normalized,
            settings.topic_tagged,
            settings.topic_alert_candidates,
        }
        await _measure_lag(app, settings, sources)

    metrics.initialise()
    metrics.WATCHLIST_SIZE.set(stages.watchlist_size)
    metrics.WATCHLIST_UPDATED.set(_newest_mtime(settings.watchlists))
    metrics.WATCHLIST_MAX_AGE.set(settings.watchlist_max_age)
    return app


async def _follow_watchlist(settings: Settings, live: LiveWatchlist) -> None:
    async for batch in follow_from_start(settings, settings.topic_watchlist):
        changes = Counter(live.apply(r.key, r.value) for r in batch)
        if changes["upsert"] or changes["delete"]:
            tagger = await asyncio.to_thread(live.rebuild)
            metrics.WATCHLIST_SIZE.set(tagger.watchlist_size)
            metrics.WATCHLIST_UPDATED.set(time.time())
            log.info("watchlist updated", entries=tagger.watchlist_size, **changes)
        if changes["invalid"]:
            log.warning(
                "watchlist records ignored: not FollowTheMoney entities",
                count=changes["invalid"],
                topic=settings.topic_watchlist,
            )


async def _measure_lag(app: faust.App, settings: Settings, sources: set[str]) -> None:
    probe = LagProbe(settings, settings.app_id)
    await probe.start()
    reported: set[tuple[str, int]] = set()
    gauges = (metrics.CONSUMER_LAG, metrics.COMMITTED_OFFSET, metrics.END_OFFSET)
    try:
        while True:
            await asyncio.sleep(settings.lag_interval)
            assigned = {
                (tp.topic, tp.partition) for tp in app.consumer.assignment() if tp.topic in sources
            }
            try:
                lags = await probe.read(sorted(assigned))
            except KafkaError as exc:
                log.warning("could not read consumer lag", error=repr(exc))
                continue
            for topic, partition in reported - assigned:
                for gauge in gauges:
                    with contextlib.suppress(KeyError):
                        gauge.remove(topic, str(partition))
            for lag in lags:
                labels = (lag.topic, str(lag.partition))
                metrics.CONSUMER_LAG.labels(*labels).set(lag.lag)
                metrics.END_OFFSET.labels(*labels).set(lag.end)
                metrics.COMMITTED_OFFSET.labels(*labels).set(lag.committed or 0)
            reported = assigned
    finally:
        await probe.stop()


_SWEEP_SECONDS = 600.0
# A dead letter keeps the original bytes up to this size; a larger original (an input
# refused as too large) keeps its first part, its size and its SHA-256.
MAX_DEADLETTER_ORIGINAL = 512 * 1024


def _newest_mtime(paths: tuple[Path, ...]) -> float:
    return max((p.stat().st_mtime for p in paths if p.exists()), default=time.time())


class _Steps:
    """The stage steps: decode a record, run the pure stage, encode the output."""

    def __init__(
        self,
        settings: Settings,
        stages: Stages,
        index: DedupeIndex,
        alert_index: MutableMapping[bytes, bytes],
    ) -> None:
        self.settings = settings
        self.rules = stages.rules
        self.alert_index = alert_index
        self.country_topics = {
            c: settings.country_topic(c) for c in settings.alert_countries(stages.rules.sanctioned)
        }
        self.live = LiveWatchlist(stages)
        self.index = index
        self.last_sweep: dict[int, float] = {}

    def normalize(self, value: bytes, message: Any) -> Output:
        metrics.BYTES_IN.inc(len(value))
        if self.settings.fault_marker and self.settings.fault_marker.encode() in value:
            # Fault drills only (NEWSFLOW_FAULT_MARKER, off by default): a stage that
            # raises unexpectedly, to show such input is dead-lettered and work goes on.
            raise RuntimeError("fault injection: input carries the configured fault marker")
        article = run_normalize(value, self.settings, _timestamp_ms(message))
        sig = signature(article.body)
        # Keyed by the first min-hash: near-duplicates meet in one partition with a
        # probability equal to their similarity (always, with one dedupe partition).
        key = str(int(sig[0])).encode() if sig is not None else article.id.encode()
        record = {"article": article, "sig": to_hex(sig) if sig is not None else None}
        return Output(key, dumps(record), "ok", article.id)

    def dedupe(self, value: bytes, message: Any) -> Output:
        try:
            doc = orjson.loads(value)
            article = msgspec.convert(doc["article"], NormalizedArticle)
            sig = from_hex(doc["sig"]) if doc.get("sig") else None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise SchemaViolation("root", f"not a dedupe record: {exc!r}"[:300]) from exc
        if sig is None:
            return Output(article.id.encode(), dumps(article), "ok", article.id)
        ts = (_timestamp_ms(message) or int(time.time() * 1000)) / 1000
        partition = int(message.partition)
        verdict = self.index.check_and_add(article.id, sig, ts, partition)
        outcome = "ok"
        if verdict.duplicate_of is not None:
            article = replace_message(
                article, duplicate_of=verdict.duplicate_of, similarity=verdict.similarity
            )
            outcome = "duplicate"
        if ts - self.last_sweep.setdefault(partition, ts) > _SWEEP_SECONDS:
            self.last_sweep[partition] = ts
            removed = self.index.sweep(ts, partition)
            log.info("dedupe index swept", partition=partition, removed=removed)
        return Output(article.id.encode(), dumps(article), outcome, article.id)

    def _tag(self, value: bytes) -> tuple[TaggedArticle, Output]:
        tagged = tag_article(self.live.tagger, decode_normalized(value))
        for label, count in Counter(e.label for e in tagged.entities).items():
            metrics.ENTITIES.labels(label).inc(count)
        return tagged, Output(tagged.article.id.encode(), dumps(tagged), "ok", tagged.article.id)

    def tag(self, value: bytes, message: Any) -> Output:
        return self._tag(value)[1]

    def flag(self, value: bytes, message: Any) -> Output:
        return self._flag(decode_tagged(value))

    def tag_and_flag(self, value: bytes, message: Any) -> Output:
        """The fused layout's step: the tagged record, plus the candidate alert as an
        extra record for the candidates topic. Counted under both stages."""
        tagged, output = self._tag(value)
        started = time.perf_counter()
        candidate = self._flag(tagged)
        metrics.STAGE_SECONDS.labels("flag").observe(time.perf_counter() - started)
        metrics.MESSAGES.labels("flag", candidate.outcome).inc()
        if candidate.value is None:
            return output
        topic = self.settings.topic_alert_candidates
        return replace(output, extra=((topic, candidate.key, candidate.value),))

    def _flag(self, tagged: TaggedArticle) -> Output:
        alert = flag(tagged, self.rules)
        if alert is None:
            return Output(None, None, "no_alert", tagged.article.id)
        key = actor_key(alert, self.rules.sanctioned).encode()
        return Output(key, dumps(alert), "alert", alert.article_id)

    def route(self, value: bytes, message: Any) -> Output:
        candidate = decode_alert(value)
        key = actor_key(candidate, self.rules.sanctioned).encode()
        raw = self.alert_index.get(key)
        open_alerts = orjson.loads(raw) if raw else []
        ts = (_timestamp_ms(message) or int(time.time() * 1000)) / 1000
        alert, open_alerts = merge(
            open_alerts,
            candidate,
            now=ts,
            window_seconds=self.settings.alert_update_window_hours * 3600,
            severity_thresholds=self.rules.severity,
        )
        self.alert_index[key] = orjson.dumps(open_alerts)
        if alert.status == "new" and alert.revision == 1:
            for event_type in alert.event_types:
                metrics.ALERTS.labels(event_type, alert.severity).inc()
            for country in alert.countries:
                metrics.ALERT_COUNTRIES.labels(country).inc()
        key, value = alert.alert_id.encode(), dumps(alert)
        copies = tuple(
            (self.country_topics[c], key, value)
            for c in alert.countries
            if c in self.country_topics
        )
        return Output(key, value, alert.status, alert.article_id, copies)


def _unacked(stream: Any) -> Any:
    """The stream with faust's automatic acknowledgement off: ``_Delivery`` acks."""
    return stream.noack()


class _Delivery:
    """Acknowledges each input event once every record it produced is on the broker.

    Stages do not wait for the broker per message: a step's outputs are handed to the
    producer and the next event is processed at once; a done-callback acknowledges the
    input when all its outputs are delivered. faust commits only up to the first
    unacknowledged offset of a partition, so a crash replays, never skips. At most
    ``limit`` events wait for delivery at a time (back-pressure).
    """

    def __init__(self, limit: int = 2000) -> None:
        self.limit = limit
        self.waiting: deque[asyncio.Future[Any]] = deque()

    async def track(
        self,
        event: Any,
        futures: list[asyncio.Future[Any]],
        stage: str,
        on_delivered: Callable[[], None] | None = None,
    ) -> None:
        if not futures:
            event.ack()
            return
        remaining = [len(futures)]
        failed: list[BaseException] = []

        def done(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled():
                failed.append(asyncio.CancelledError())
            elif fut.exception() is not None:
                failed.append(fut.exception())  # type: ignore[arg-type]
            remaining[0] -= 1
            if remaining[0]:
                return
            if failed:
                # Not acknowledged: the offset stays uncommitted, so a restart replays it.
                metrics.DELIVERY_FAILURES.labels(stage).inc()
                log.error(
                    "output not delivered; input left unacknowledged",
                    stage=stage,
                    error=repr(failed[0])[:300],
                    topic=event.message.topic,
                    partition=event.message.partition,
                    offset=event.message.offset,
                )
                return
            event.ack()
            if on_delivered is not None:
                on_delivered()

        for fut in futures:
            fut.add_done_callback(done)
            self.waiting.append(fut)
        while len(self.waiting) > self.limit:
            oldest = self.waiting.popleft()
            with contextlib.suppress(Exception):
                await oldest
        while self.waiting and self.waiting[0].done():
            self.waiting.popleft()


async def _handle(
    event: Any,
    stage: str,
    step: StageStep,
    out: Any,
    deadletter: Any,
    *,
    delivery: _Delivery,
    topic_named: Callable[[str], Any],
) -> None:
    message = event.message
    value: bytes = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
    where = {
        "stage": stage,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    }
    started = time.perf_counter()
    try:
        result = step(value, message)
    except RejectedMessage as exc:
        fut = await _dead_letter(
            deadletter, stage, exc.reason, str(exc), message=message, value=value
        )
        log.warning("dead-lettered", reason=exc.reason, error=str(exc)[:300], **where)
        metrics.MESSAGES.labels(stage, "deadletter").inc()
        await delivery.track(event, [fut], stage)
        return
    except Exception as exc:  # a bug in a stage: keep the partition flowing, keep the input
        reason = f"bug.{type(exc).__name__}"
        fut = await _dead_letter(
            deadletter, stage, reason, repr(exc)[:1000], message=message, value=value
        )
        log.exception("stage raised unexpectedly; dead-lettered", reason=reason, **where)
        metrics.MESSAGES.labels(stage, "deadletter").inc()
        await delivery.track(event, [fut], stage)
        return
    futures: list[asyncio.Future[Any]] = []
    if result.value is not None:
        # Every derived record keeps the input's Kafka timestamp, so the routed alert's
        # timestamp is the time the article was published to the input topic.
        ts = getattr(message, "timestamp", None) or None
        futures.append(await out.send(key=result.key, value=result.value, timestamp=ts))
        for name, key, value in result.extra:
            futures.append(await topic_named(name).send(key=key, value=value, timestamp=ts))
    metrics.STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)
    metrics.MESSAGES.labels(stage, result.outcome).inc()
    log.debug("processed", article_id=result.article_id, outcome=result.outcome, **where)
    on_delivered = None
    if stage == "route":
        input_ms = _timestamp_ms(message)
        if input_ms:

            def on_delivered() -> None:
                metrics.END_TO_END_SECONDS.observe(max(0.0, time.time() - input_ms / 1000))

    await delivery.track(event, futures, stage, on_delivered)


async def _dead_letter(
    deadletter: Any, stage: str, reason: str, error: str, *, message: Any, value: bytes
) -> asyncio.Future[Any]:
    key = message.key if isinstance(message.key, bytes) else None
    digest = hashlib.sha256(value).hexdigest()
    truncated = len(value) > MAX_DEADLETTER_ORIGINAL
    record = DeadLetter(
        stage=stage,
        reason=reason,
        error=error,
        source_topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=_timestamp_ms(message),
        key_b64=base64.b64encode(key).decode() if key is not None else None,
        original_b64=base64.b64encode(value[:MAX_DEADLETTER_ORIGINAL]).decode(),
        original_size=len(value),
        original_sha256=digest,
        original_truncated=truncated,
        failed_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
    )
    metrics.DEADLETTERS.labels(stage, reason).inc()
    fut: asyncio.Future[Any] = await deadletter.send(key=key, value=dumps(record))
    return fut


def _timestamp_ms(message: Any) -> int | None:
    ts = getattr(message, "timestamp", None)
    if not ts:
        return None
    return int(float(ts) * 1000)
