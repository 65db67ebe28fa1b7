"""The worker's faust app: one agent per topology node, one table per table spec.

Every agent reads raw bytes, runs its node's steps through
:func:`pipeline.topology.process` (which makes bad input a dead letter), sends what
came out, and hands the input to :class:`~pipeline.worker.delivery.Delivery`, which
acknowledges it once the broker has every output (at-least-once; outputs are keyed by
the article or alert id so repeats are recognisable). The watchlist topic has been read
to its end before the app is made (``caught``: :func:`~pipeline.worker.tasks.catch_up_watchlist`);
a task follows it from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, cast

import faust

from pipeline import logs, metrics, observe
from pipeline.codec import dumps
from pipeline.errors import FatalError
from pipeline.models import DeadLetter
from pipeline.records import Out, Record
from pipeline.resources import LiveWatchlist, Stages
from pipeline.settings import Settings
from pipeline.steps import Step
from pipeline.topology import (
    AsyncAnnotate,
    Node,
    Processed,
    Topology,
    begin,
    bind,
    describe,
    process,
    uses_model,
)
from pipeline.worker import transactions
from pipeline.worker.delivery import Delivery
from pipeline.worker.tasks import CaughtUp, follow_watchlist
from pipeline.worker.transport import App, new_app, raw_topic

log = logs.get("newsflow.worker.app")


BindSteps = Callable[
    [Topology, Mapping[str, MutableMapping[bytes, bytes]], LiveWatchlist],
    Mapping[str, tuple[Step, ...]],
]


def create_app(
    settings: Settings,
    stages: Stages,
    *,
    on_failure: Callable[[BaseException], None],
    live: LiveWatchlist,
    caught: CaughtUp,
    bind_steps: BindSteps | None = None,
    annotate: AsyncAnnotate | None = None,
) -> App:
    """The faust app for ``settings``: agents, tables, the watchlist and lag tasks.
    ``live`` is the watchlist with the topic applied up to ``caught``; ``on_failure`` is
    called with an error that must stop the worker; ``bind_steps`` (for the benchmark's
    wiring yardstick) replaces the topology's steps; ``annotate`` runs the NER model
    off the event loop (``NEWSFLOW_NER`` not ``off``)."""
    app = new_app(settings)
    # The nodes this worker runs (NEWSFLOW_WORKER_NODES), and only their tables
    topology = describe(settings, stages.rules.sanctioned).only(settings.nodes)

    @functools.cache
    def topic(name: str) -> faust.TopicT:
        return raw_topic(app, settings, name)

    tables: dict[str, MutableMapping[bytes, bytes]] = {
        spec.name: app.Table(
            spec.name, partitions=spec.partitions, key_type=bytes, value_type=bytes
        )
        for spec in topology.tables
    }
    steps = (
        bind_steps(topology, tables, live)
        if bind_steps is not None
        else bind(topology, settings, stages, tables, live=live)
    )
    # Exactly-once: what each partition's agent has processed (transactions.py).
    positions = transactions.Positions()

    @app.on_partitions_revoked.connect
    def forget(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        (revoked,) = args
        positions.forget(revoked)

    for node in topology.nodes:
        _agent(
            app=app,
            topology=topology,
            node=node,
            steps=steps[node.name],
            model=annotate is not None and uses_model(node, settings),
            topic=topic,
            on_failure=on_failure,
            annotate=annotate,
            positions=positions if settings.processing_guarantee == "exactly_once" else None,
        )

    async def send_dead_letter(key: bytes | None, letter: DeadLetter) -> object:
        return await topic(topology.deadletter).send(key=key, value=dumps(letter))

    @app.task  # type: ignore[untyped-decorator]  # faust's task decorator is untyped
    async def watchlist() -> None:
        await follow_watchlist(settings, live, caught, send_dead_letter)

    metrics.initialise({stage for node in topology.nodes for stage in node.stages})
    metrics.WATCHLIST_SIZE.set(stages.watchlist_size)
    metrics.WATCHLIST_UPDATED.set(_newest_mtime(settings.watchlists))
    metrics.WATCHLIST_MAX_AGE.set(settings.watchlist_max_age)
    return app


def _agent(
    *,
    app: App,
    topology: Topology,
    node: Node,
    steps: tuple[Step, ...],
    model: bool,
    topic: Callable[[str], faust.TopicT],
    on_failure: Callable[[BaseException], None],
    annotate: AsyncAnnotate | None,
    positions: transactions.Positions | None,
) -> None:
    """One agent: every record of the node's source through its steps (the NER model
    awaited in its pool, when ``model``: its steps ask for it); with ``positions``, in
    the transactions of exactly-once."""
    stage = node.stages[0]
    routes = "route" in node.stages

    async def emit(delivery: Delivery, event: Any, record: Record, processed: Processed) -> bool:
        """Count, log and send what ``record`` became; False when the worker must stop."""
        observe.count(processed)
        observe.log_outcome(
            log,
            processed,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        # Every derived record keeps the input's Kafka timestamp, so the routed alert's
        # timestamp is the time the article was published to the input topic. faust
        # takes seconds and truncates ``s * 1000``: half a millisecond more keeps the
        # exact millisecond the in-memory runner keeps.
        ts_ms = record.timestamp_ms
        ts = (ts_ms + 0.5) / 1000 if ts_ms else None
        on_delivered = _latency(ts_ms / 1000) if routes and ts_ms else None
        if positions is None:
            futures = await send_all(record, processed.records, ts)
            if futures is None:
                return False
            await delivery.track(event, futures, stage, on_delivered)
            return True
        # Exactly-once: the outputs join this input's transaction, and no commit comes
        # between them and the input's acknowledgement.
        async with app.gate:
            with transactions.processing(app, record.topic, record.partition):
                futures = await send_all(record, processed.records, ts)
            if futures is None:
                return False
            await delivery.track(event, futures, stage, on_delivered)
        return True

    async def send_all(
        record: Record, records: tuple[Out, ...], ts: float | None
    ) -> list[asyncio.Future[Any]] | None:
        """The records handed to the producer; ``None`` when it refused one (the worker
        is stopping)."""
        try:
            return [
                cast(
                    "asyncio.Future[Any]",
                    await topic(out.topic).send(key=out.key, value=out.value, timestamp=ts),
                )
                for out in records
            ]
        except Exception as exc:  # the producer refused a record before sending it
            log.critical(
                "output refused by the producer; stopping the worker (the input stays "
                "uncommitted and is replayed on restart)",
                stage=stage,
                error=repr(exc)[:300],
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
            on_failure(exc)
            return None

    async def run(stream: faust.StreamT[bytes]) -> None:
        delivery = Delivery(on_failure, transactional=positions is not None)
        # faust's automatic acknowledgement off: Delivery acknowledges
        events = cast("Any", stream).noack().events()
        if annotate is None or not model or positions is not None:
            # one record at a time (with exactly-once, the model is awaited in turn: a
            # record processed ahead would not be in its input's transaction)
            async for event in events:
                message = event.message
                if positions is not None and not positions.admit(
                    app.consumer, message.tp, message.offset
                ):
                    event.ack()  # processed already, in this transaction or a committed one
                    continue
                record = _record(event)
                processed = await _one(steps, record, topology.deadletter, annotate, on_failure)
                if processed is None:
                    return
                if not await emit(delivery, event, record, processed):
                    return
            return
        await _ahead(
            events,
            emit=emit,
            delivery=delivery,
            steps=steps,
            deadletter=topology.deadletter,
            annotate=annotate,
            on_failure=on_failure,
        )

    run.__name__ = run.__qualname__ = node.name  # what faust's logs call the agent
    app.agent(topic(node.source), name=node.name)(run)


async def _one(
    steps: tuple[Step, ...],
    record: Record,
    deadletter: str,
    annotate: AsyncAnnotate | None,
    on_failure: Callable[[BaseException], None],
) -> Processed | None:
    """One record through the steps, the NER model awaited if a step asks for it;
    ``None`` when the model failed (logged, the worker stopping)."""
    if annotate is None:
        return process(steps, record, deadletter_topic=deadletter)
    begun = begin(steps, record, deadletter_topic=deadletter, annotate=annotate)
    if isinstance(begun, Processed):
        return begun
    try:
        return await begun
    except FatalError as exc:
        _model_failed(record, exc, on_failure)
        return None


def _model_failed(
    record: Record, exc: FatalError, on_failure: Callable[[BaseException], None]
) -> None:
    """The NER model's process died: logged, and the worker stops."""
    log.critical(
        "the NER model failed; stopping the worker (the input stays uncommitted and is "
        "replayed on restart)",
        error=repr(exc)[:300],
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
    on_failure(exc)


# How many records an agent that waits for the NER model may process ahead of the
# oldest one whose spans are not back yet.
AHEAD = 128

Emit = Callable[[Delivery, Any, Record, Processed], Awaitable[bool]]


async def _ahead(
    events: AsyncIterator[Any],
    *,
    emit: Emit,
    delivery: Delivery,
    steps: tuple[Step, ...],
    deadletter: str,
    annotate: AsyncAnnotate,
    on_failure: Callable[[BaseException], None],
) -> None:
    """The agent loop of a node whose steps may wait for the NER model: records go on
    being processed while an earlier one waits for its spans, and what they made is
    sent in the order they came (a sender task takes them in turn), so the outputs and
    the acknowledgements are those of the one-at-a-time loop. At most AHEAD records wait
    to be sent."""
    queue: asyncio.Queue[tuple[Any, Record, asyncio.Future[Processed]] | None]
    queue = asyncio.Queue(maxsize=AHEAD)

    async def send_in_order() -> None:
        while (item := await queue.get()) is not None:
            event, record, pending = item
            try:
                processed = await pending
            except FatalError as exc:
                _model_failed(record, exc, on_failure)
                return
            if not await emit(delivery, event, record, processed):
                return

    sender = asyncio.ensure_future(send_in_order())
    try:
        async for event in events:
            if sender.done():
                return
            record = _record(event)
            begun = begin(steps, record, deadletter_topic=deadletter, annotate=annotate)
            if isinstance(begun, Processed):
                pending: asyncio.Future[Processed] = asyncio.get_running_loop().create_future()
                pending.set_result(begun)
            else:
                pending = asyncio.ensure_future(begun)
            await queue.put((event, record, pending))
    finally:
        # Stopping: what was processed is still sent (the model answers in milliseconds),
        # within a bound; what is not sent stays unacknowledged and is replayed.
        if not sender.done():
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(queue.put(None), DRAIN_SECONDS)
                await asyncio.wait_for(asyncio.shield(sender), DRAIN_SECONDS)
            sender.cancel()


DRAIN_SECONDS = 10.0


def _record(event: Any) -> Record:
    message = event.message
    value = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
    return Record(
        message.topic,
        message.partition,
        message.offset,
        _timestamp_ms(message),
        message.key if isinstance(message.key, bytes) else None,
        value,
    )


def _latency(published: float) -> Callable[[], None]:
    def observe_latency() -> None:
        metrics.END_TO_END_SECONDS.observe(max(0.0, time.time() - published))

    return observe_latency


def _newest_mtime(paths: tuple[Path, ...]) -> float:
    return max((p.stat().st_mtime for p in paths if p.exists()), default=time.time())


def _timestamp_ms(message: Any) -> int | None:
    ts = getattr(message, "timestamp", None)
    if not ts:
        return None
    return round(float(cast("float", ts)) * 1000)  # faust gives ms / 1000.0
