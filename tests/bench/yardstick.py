"""The benchmark's yardsticks: no-op faust agents with the worker's transport settings
and delivery tracking, so the pipeline's throughput can be set against what faust itself
costs on the same broker. With ``hops`` > 1 the agents are chained through intermediate
topics (``<target>.hop1``, ...), as the pipeline's nodes are: what the pipeline's
topology costs with no work in its steps.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, MutableMapping
from typing import Any

import faust

from pipeline.records import Out, Record
from pipeline.resources import LiveWatchlist
from pipeline.settings import Settings
from pipeline.steps import Result, Step
from pipeline.topology import Node, Topology
from pipeline.worker.delivery import Delivery
from pipeline.worker.transport import new_app, raw_topic


def hop_topics(source: str, target: str, hops: int) -> list[str]:
    """Every topic of a passthrough chain, source first (create them all before a worker
    joins: a worker that finds one missing waits for it)."""
    return [source, *(f"{target}.hop{i}" for i in range(1, hops)), target]


def _fail(reason: BaseException) -> None:
    raise SystemExit(f"yardstick: an output was not delivered: {reason!r}")


def passthrough_app(settings: Settings, source: str, target: str, hops: int = 1) -> faust.App:
    """``hops`` no-op agents copying ``source`` to ``target``."""
    app = new_app(settings)
    names = hop_topics(source, target, hops)
    for hop, (src_name, dst_name) in enumerate(itertools.pairwise(names), start=1):
        _forward(
            app,
            raw_topic(app, settings, src_name),
            raw_topic(app, settings, dst_name),
            "passthrough" if hop == 1 else f"passthrough_{hop}",
        )
    return app


def _forward(app: faust.App, src: Any, dst: Any, name: str) -> None:
    async def passthrough(stream: faust.StreamT[bytes]) -> None:
        delivery = Delivery(_fail)
        async for event in stream.noack().events():
            message = event.message
            ts = getattr(message, "timestamp", None) or None
            fut = await dst.send(key=message.key, value=event.value, timestamp=ts)
            await delivery.track(event, [fut], name)

    passthrough.__name__ = passthrough.__qualname__ = name
    app.agent(src, name=name)(passthrough)


class _Forward:
    """A step that does nothing but hand its input on, to the topic the next node reads."""

    def __init__(self, stage: str, topic: str) -> None:
        self.stage = stage
        self.topic = topic

    def decode(self, value: bytes) -> bytes:
        return value

    def run(self, item: bytes, record: Record) -> Result[Any]:
        return Result("ok", None, (Out(self.topic, record.key, item),))


def noop_steps(
    topology: Topology, tables: Mapping[str, MutableMapping[bytes, bytes]], live: LiveWatchlist
) -> dict[str, tuple[Step, ...]]:
    """The worker's wiring with no work in it: every node forwards its input to the topic
    the next node reads (the last one to its first output), through the worker's agents,
    delivery tracking, metrics, tables and tasks. What the wiring costs a hop, against
    the bare agents of :func:`passthrough_app`."""
    sources = {n.source for n in topology.nodes}

    def target(node: Node) -> str:
        return next((t for t in node.writes if t in sources), node.writes[0])

    return {n.name: (_Forward(n.stages[0], target(n)),) for n in topology.nodes}
