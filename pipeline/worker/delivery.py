"""Acknowledging inputs once every record they produced is on the broker, in offset order.

Stages do not wait for the broker per message: a node's outputs are handed to the
producer and the next event is processed at once; a done-callback notes when all of an
input's outputs are delivered. Outputs to different partitions complete out of order, so
an input is acknowledged only when it *and every earlier input of its partition* are
delivered: faust's commit bookkeeping must only ever see a contiguous run of acknowledged
offsets from the committed position. (faust-streaming's ``Consumer._new_offset`` commits
the first consecutive run of acknowledged offsets even when it does not start at the
committed offset — always on a partition with nothing committed yet, and a one-offset
hole otherwise — so out-of-order acknowledgements let a commit pass an input whose
outputs were still in the producer's buffer, and a crash then lost it.)

A send that fails after the producer's own retries cannot be mended here: the worker
stops (``on_failure``), nothing from that input on is acknowledged, and the restart
replays it from its uncommitted offset.

With exactly-once (``transactional``) an input is acknowledged as soon as its outputs are
handed to the producer, in the transaction of its partition: the commit of that
transaction writes the outputs and the offset together, or neither
(pipeline/worker/transactions.py). A failed output still stops the worker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from pipeline import logs, metrics

log = logs.get("newsflow.worker.delivery")

# Inputs waiting for their outputs (or for an earlier input of their partition) at most,
# per agent: back-pressure.
LIMIT = 2000


class _Pending:
    """One input: its event, the outputs still on their way, and whether one failed."""

    __slots__ = ("event", "failed", "remaining")

    def __init__(self, event: Any, remaining: int) -> None:
        self.event = event
        self.remaining = remaining
        self.failed = False


class Delivery:
    """Tracks the outputs of each input event of one agent."""

    def __init__(
        self,
        on_failure: Callable[[BaseException], None],
        limit: int = LIMIT,
        *,
        transactional: bool = False,
    ) -> None:
        self.limit = limit
        self.transactional = transactional
        self.on_failure = on_failure
        # Per input partition, the inputs not yet acknowledged, in the order read.
        self.queues: dict[tuple[str, int], deque[_Pending]] = {}
        self.in_flight = 0
        self._drained = asyncio.Event()
        self.stopped = False  # a delivery failed: nothing more is acknowledged

    async def track(
        self,
        event: Any,
        futures: list[asyncio.Future[Any]],
        stage: str,
        on_delivered: Callable[[], None] | None = None,
    ) -> None:
        """Acknowledge ``event`` once every future in ``futures`` has succeeded and every
        earlier input of its partition is acknowledged; wait while too many are in flight."""
        message = event.message
        if self.transactional:
            self._track_in_transaction(event, futures, stage, on_delivered)
            return
        tp = (message.topic, message.partition)
        queue = self.queues.setdefault(tp, deque())
        pending = _Pending(event, len(futures))
        queue.append(pending)
        self.in_flight += 1
        if not futures:
            self._release(queue)
        errors: list[BaseException] = []

        def done(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled():
                errors.append(asyncio.CancelledError())
            elif (error := fut.exception()) is not None:
                errors.append(error)
            pending.remaining -= 1
            if pending.remaining:
                return
            if errors:
                pending.failed = True
                self._fail(stage, message, errors[0])
                return
            if on_delivered is not None:
                on_delivered()  # the outputs are on the broker now, whatever came before
            self._release(queue)

        for fut in futures:
            fut.add_done_callback(done)
        while self.in_flight > self.limit and not self.stopped:
            self._drained.clear()
            await self._drained.wait()

    def _track_in_transaction(
        self,
        event: Any,
        futures: list[asyncio.Future[Any]],
        stage: str,
        on_delivered: Callable[[], None] | None,
    ) -> None:
        if self.stopped:
            return
        event.ack()
        remaining = len(futures)

        def done(fut: asyncio.Future[Any]) -> None:
            nonlocal remaining
            error = asyncio.CancelledError() if fut.cancelled() else fut.exception()
            if error is not None:
                if not self.stopped:
                    self._fail(stage, event.message, error)
                return
            remaining -= 1
            if not remaining and on_delivered is not None:
                on_delivered()

        for fut in futures:
            fut.add_done_callback(done)

    def _release(self, queue: deque[_Pending]) -> None:
        """Acknowledge the delivered inputs at the head of ``queue``, in order."""
        if self.stopped:
            return
        released = False
        while queue and queue[0].remaining == 0 and not queue[0].failed:
            queue.popleft().event.ack()
            self.in_flight -= 1
            released = True
        if released and self.in_flight <= self.limit:
            self._drained.set()

    def _fail(self, stage: str, message: Any, error: BaseException) -> None:
        # Not acknowledged, nor anything after it: the offset stays uncommitted.
        metrics.DELIVERY_FAILURES.labels(stage).inc()
        log.critical(
            "output not delivered after the producer's retries; stopping the worker "
            "(the input stays uncommitted and is replayed on restart)",
            stage=stage,
            error=repr(error)[:300],
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
        )
        self.stopped = True
        self._drained.set()
        self.on_failure(error)
