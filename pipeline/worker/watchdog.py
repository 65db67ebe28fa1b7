"""The stall watchdog: a worker whose input partitions stop advancing stops itself.

Seen once on the three-node cluster (CI, a leader SIGKILLed): faust's aiokafka consumer
kept fetching from the dead broker for minutes, its metadata never refreshed, and the
worker sat on 445 articles with no error of its own. Nothing was lost (the input was not
committed) but nothing moved either, and a worker that is stuck without knowing it is
worse than one that stops: an orchestrator restarts a stopped worker, and the restarted
one replays the uncommitted input.

So a thread of its own (its own event loop and Kafka clients, so a blocked worker loop or
a stuck consumer cannot hold it up) reads, every ``lag_interval`` seconds, the committed
and end offsets of the input partitions assigned to this worker (the same reads set the
consumer-lag gauges). A partition that has had
input waiting for ``stall_timeout`` seconds without its committed offset moving is a
stall: the watchdog logs it and calls ``on_stall``, which stops the worker
(pipeline/worker/run.py: a clean stop when it can, and the process ends with status 3
within ``shutdown_timeout`` seconds even if the worker's own loop is the stuck part).
Not judged, and the clock restarted: while the group rebalances or tables recover, and
whenever the offsets cannot be read (a broker outage is not this worker's fault;
restarting it would not help).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiokafka.errors import KafkaError

from pipeline import logs
from pipeline.kafka import LagProbe, PartitionLag
from pipeline.settings import Settings
from pipeline.worker.tasks import report_lag

log = logs.get("newsflow.worker.watchdog")

Partition = tuple[str, int]


class ConsumerStalled(RuntimeError):
    """Input partitions of this worker had input waiting and did not advance."""

    def __init__(self, stalls: list[Stall]) -> None:
        self.stalls = stalls
        named = ", ".join(f"{s.topic}-{s.partition} ({s.lag} waiting)" for s in stalls[:5])
        super().__init__(f"no progress for {stalls[0].seconds:.0f} s on {named}")


@dataclass(frozen=True, slots=True)
class Stall:
    topic: str
    partition: int
    committed: int | None
    lag: int
    seconds: float


@dataclass(slots=True)
class _Seen:
    committed: int | None
    since: float  # when the committed offset last moved, or input began to wait
    waiting: bool  # input was waiting at the last observation


class StallWatch:
    """Which partitions have had input waiting, with the same committed offset, for
    longer than ``timeout`` seconds. Pure: the caller passes the clock and the offsets."""

    def __init__(self, timeout: float, slack: int = 0) -> None:
        self.timeout = timeout
        # Offsets that may stay behind with nothing to do: 1 under exactly-once, where the
        # last transaction's commit marker is an offset no consumer reads.
        self.slack = slack
        self._seen: dict[Partition, _Seen] = {}

    def reset(self) -> None:
        """Forget everything: the next observation starts every clock afresh."""
        self._seen.clear()

    def observe(self, now: float, lags: Iterable[PartitionLag]) -> list[Stall]:
        """Update the clocks with the offsets read at ``now``; the stalled partitions.

        A partition not in ``lags`` (no longer assigned) is forgotten; one with nothing
        waiting, or whose committed offset moved, has its clock restarted."""
        stalls = []
        current: dict[Partition, _Seen] = {}
        for lag in lags:
            key = (lag.topic, lag.partition)
            seen = self._seen.get(key)
            waiting = lag.lag > self.slack
            if seen is None or seen.committed != lag.committed or not (seen.waiting and waiting):
                seen = _Seen(lag.committed, now, waiting)
            elif now - seen.since >= self.timeout:
                stalls.append(
                    Stall(lag.topic, lag.partition, lag.committed, lag.lag, now - seen.since)
                )
            current[key] = seen
        self._seen = current
        return stalls


@dataclass(frozen=True, slots=True)
class WorkerState:
    """What the watchdog reads from the running worker (from its own thread)."""

    assignment: Callable[[], Iterable[Partition]]  # this worker's partitions
    settling: Callable[[], bool]  # rebalancing or recovering tables: not judged


class Watchdog:
    """The watchdog thread; :meth:`start` it once the worker is built. Its offset reads
    also set the consumer-lag gauges (:func:`pipeline.worker.tasks.report_lag`): one
    reader for both, running whether or not stalls are judged."""

    def __init__(
        self,
        settings: Settings,
        sources: Iterable[str],
        state: WorkerState,
        on_stall: Callable[[ConsumerStalled], None],
    ) -> None:
        self.settings = settings
        self.sources = frozenset(sources)
        self.state = state
        self.on_stall = on_stall
        exactly_once = settings.processing_guarantee == "exactly_once"
        self.watch = StallWatch(settings.stall_timeout, slack=1 if exactly_once else 0)
        self.judging = settings.stall_timeout > 0  # else it only reports the lag gauges
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newsflow-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        try:
            asyncio.run(self._watch())
        except Exception as exc:  # the watchdog's own failure must not pass unseen
            log.exception("stall watchdog stopped", error=repr(exc)[:300])

    def _assigned(self) -> list[Partition]:
        try:
            return sorted((t, p) for t, p in self.state.assignment() if t in self.sources)
        except RuntimeError:  # the assignment changed while it was read: next round
            return []

    async def _watch(self) -> None:
        probe = LagProbe(self.settings, self.settings.app_id)
        loop = asyncio.get_running_loop()
        reported: set[Partition] = set()
        try:
            await probe.start()
            while not self._stop.is_set():
                await asyncio.sleep(self.settings.lag_interval)
                try:
                    lags = await probe.read(self._assigned())
                except (KafkaError, OSError, TimeoutError) as exc:
                    log.warning("could not read consumer lag", error=repr(exc))
                    self.watch.reset()  # nothing known: the stall clocks start again
                    continue
                reported = report_lag(lags, reported)
                if not self.judging or self.state.settling():
                    self.watch.reset()
                    continue
                stalls = self.watch.observe(loop.time(), lags)
                if stalls:
                    self._stalled(ConsumerStalled(stalls))
                    return
        finally:
            await probe.stop()

    def _stalled(self, stalled: ConsumerStalled) -> None:
        log.critical(
            "input partitions stalled; the worker stops to be restarted",
            partitions=[f"{s.topic}-{s.partition}" for s in stalled.stalls],
            waiting=sum(s.lag for s in stalled.stalls),
            seconds=round(stalled.stalls[0].seconds, 1),
        )
        self.on_stall(stalled)
