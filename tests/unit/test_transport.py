"""The worker's faust transport: what the subclasses change in faust's consumer."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from pipeline.settings import Settings
from pipeline.worker.transport import new_app


def _drain(batches: list[list[int]], *, stock_read_offsets: bool = False) -> list[int]:
    """Offsets faust's fetch loop hands to the streams, fed ``batches`` of fetched
    records of one partition (a later batch starting lower is a re-fetch after a seek)."""

    async def scenario() -> list[int]:
        consumer: Any = new_app(Settings()).consumer
        if stock_read_offsets:
            consumer._read_offset = defaultdict(lambda: None)  # faust's own bookkeeping
        tp = TP("t", 0)
        pending = list(batches)
        delivered: list[int] = []
        fetcher = SimpleNamespace(_stopped=asyncio.Event())

        async def getmany(timeout: float) -> AsyncIterator[tuple[TP, Any]]:
            if not pending:
                fetcher._stopped.set()
                return
            for offset in pending.pop(0):
                yield tp, SimpleNamespace(offset=offset, topic="t", key=None, value=b"")

        async def callback(message: Any) -> None:
            delivered.append(message.offset)

        consumer.getmany = getmany
        consumer.callback = callback
        await consumer._drain_messages(fetcher)
        return delivered

    return asyncio.run(scenario())


def test_a_record_fetched_again_after_a_seek_is_handed_on_again() -> None:
    # Recovery seeks back to the committed offset after records were fetched and then
    # thrown away with the stream queues: the re-fetch must reach the streams.
    assert _drain([[5, 6, 7], [5, 6, 7, 8]]) == [5, 6, 7, 5, 6, 7, 8]


def test_faust_alone_drops_the_re_fetched_records() -> None:
    """Why the worker's consumer keeps no read offsets: faust's own drop them."""
    # 5 and 6 are below the last offset handed on (7): dropped as already read.
    assert _drain([[5, 6, 7], [5, 6, 7, 8]], stock_read_offsets=True) == [5, 6, 7, 7, 8]
