"""The benchmark's yardsticks: no-op faust agents with the worker's transport settings
and delivery tracking, so the pipeline's throughput can be set against what faust itself
costs on the same broker. With ``hops`` > 1 the agents are chained through intermediate
topics (``<target>.hop1``, ...), as the pipeline's nodes are: what the pipeline's
topology costs with no work in its steps.
"""

from __future__ import annotations

import itertools
from typing import Any

import faust

from pipeline.settings import Settings
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
