"""Acknowledging an input once every record it produced is on the broker.

Stages do not wait for the broker per message: a node's outputs are handed to the
producer and the next event is processed at once; a done-callback acknowledges the input
when all its outputs are delivered. faust commits only up to the first unacknowledged
offset of a partition, so a crash replays, never skips. A send that fails after the
producer's own retries cannot be mended here: the worker stops (``on_failure``) and the
restart replays the input from its uncommitted offset.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from pipeline import logs, metrics

log = logs.get("newsflow.worker.delivery")

# Inputs waiting for their outputs at most, per agent (back-pressure).
LIMIT = 2000


class Delivery:
    """Tracks the outputs of each input event of one agent."""

    def __init__(self, on_failure: Callable[[BaseException], None], limit: int = LIMIT) -> None:
        self.limit = limit
        self.on_failure = on_failure
        self.waiting: deque[asyncio.Future[Any]] = deque()

    async def track(
        self,
        event: Any,
        futures: list[asyncio.Future[Any]],
        stage: str,
        on_delivered: Callable[[], None] | None = None,
    ) -> None:
        """Acknowledge ``event`` once every future in ``futures`` has succeeded."""
        if not futures:
            event.ack()
            return
        remaining = [len(futures)]
        failed: list[BaseException] = []

        def done(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled():
                failed.append(asyncio.CancelledError())
            elif (error := fut.exception()) is not None:
                failed.append(error)
            remaining[0] -= 1
            if remaining[0]:
                return
            if failed:
                # Not acknowledged: the offset stays uncommitted and the worker stops.
                metrics.DELIVERY_FAILURES.labels(stage).inc()
                message = event.message
                log.critical(
                    "output not delivered after the producer's retries; stopping the "
                    "worker (the input stays uncommitted and is replayed on restart)",
                    stage=stage,
                    error=repr(failed[0])[:300],
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                )
                self.on_failure(failed[0])
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
