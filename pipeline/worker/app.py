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
import functools
import time
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, cast

import faust

from pipeline import logs, metrics, observe
from pipeline.codec import dumps
from pipeline.models import DeadLetter
from pipeline.records import Out, Record
from pipeline.resources import LiveWatchlist, Stages
from pipeline.settings import Settings
from pipeline.steps import Step
from pipeline.topology import Node, Topology, bind, describe, process
from pipeline.worker import transactions
from pipeline.worker.delivery import Delivery
from pipeline.worker.tasks import CaughtUp, follow_watchlist, measure_lag
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
) -> App:
    """The faust app for ``settings``: agents, tables, the watchlist and lag tasks.
    ``live`` is the watchlist with the topic applied up to ``caught``; ``on_failure`` is
    called with an error that must stop the worker; ``bind_steps`` (for the benchmark's
    wiring yardstick) replaces the topology's steps."""
    app = new_app(settings)
    topology = describe(settings, stages.rules.sanctioned)

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
            topic=topic,
            on_failure=on_failure,
            positions=positions if settings.processing_guarantee == "exactly_once" else None,
        )

    async def send_dead_letter(key: bytes | None, letter: DeadLetter) -> object:
        return await topic(topology.deadletter).send(key=key, value=dumps(letter))

    @app.task  # type: ignore[untyped-decorator]  # faust's task decorator is untyped
    async def watchlist() -> None:
        await follow_watchlist(settings, live, caught, send_dead_letter)

    @app.task  # type: ignore[untyped-decorator]  # faust's task decorator is untyped
    async def consumer_lag() -> None:
        def assignment() -> list[tuple[str, int]]:
            return [(tp.topic, tp.partition) for tp in app.consumer.assignment()]

        await measure_lag(settings, assignment, topology.sources)

    metrics.initialise()
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
    topic: Callable[[str], faust.TopicT],
    on_failure: Callable[[BaseException], None],
    positions: transactions.Positions | None,
) -> None:
    """One agent: every record of the node's source through its steps; with
    ``positions``, in the transactions of exactly-once."""
    stage = node.stages[0]
    routes = "route" in node.stages

    async def run(stream: faust.StreamT[bytes]) -> None:
        delivery = Delivery(on_failure, transactional=positions is not None)
        # faust's automatic acknowledgement off: Delivery acknowledges
        async for event in cast("Any", stream).noack().events():
            message = event.message
            if positions is not None and not positions.admit(
                app.consumer, message.tp, message.offset
            ):
                event.ack()  # processed already, in this transaction or a committed one
                continue
            value = event.value if isinstance(event.value, bytes) else bytes(event.value or b"")
            ts_ms = _timestamp_ms(message)
            record = Record(
                message.topic,
                message.partition,
                message.offset,
                ts_ms,
                message.key if isinstance(message.key, bytes) else None,
                value,
            )
            processed = process(steps, record, deadletter_topic=topology.deadletter)
            observe.count(processed)
            observe.log_outcome(
                log,
                processed,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            # Every derived record keeps the input's Kafka timestamp, so the routed
            # alert's timestamp is the time the article was published to the input topic.
            # faust takes seconds and truncates ``s * 1000``: half a millisecond more
            # keeps the exact millisecond the in-memory runner keeps.
            ts = (ts_ms + 0.5) / 1000 if ts_ms else None
            on_delivered = _latency(ts_ms / 1000) if routes and ts_ms else None
            if positions is None:
                futures = await send_all(message, processed.records, ts)
                if futures is None:
                    return
                await delivery.track(event, futures, stage, on_delivered)
                continue
            # Exactly-once: the outputs join this input's transaction, and no commit
            # comes between them and the input's acknowledgement.
            async with app.gate:
                with transactions.processing(app, message.topic, message.partition):
                    futures = await send_all(message, processed.records, ts)
                if futures is None:
                    return
                await delivery.track(event, futures, stage, on_delivered)

    async def send_all(
        message: Any, records: tuple[Out, ...], ts: float | None
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
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            on_failure(exc)
            return None

    run.__name__ = run.__qualname__ = node.name  # what faust's logs call the agent
    app.agent(topic(node.source), name=node.name)(run)


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
