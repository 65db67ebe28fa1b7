"""The worker's background tasks: the live watchlist and the consumer-lag gauges.

The watchlist topic (compacted; key = entity id, empty value = delete) is read from its
beginning by every worker; until everything that was on it at start-up has been applied,
no agent processes a record (``ready``), so a restarted worker never tags against the
file-only list. An invalid record is dead-lettered (``watchlist.invalid``) and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from aiokafka.errors import KafkaError

from pipeline import logs, metrics
from pipeline.deadletters import build_dead_letter
from pipeline.kafka import LagProbe, follow_from_start
from pipeline.models import DeadLetter
from pipeline.records import Record
from pipeline.resources import LiveWatchlist
from pipeline.settings import Settings

log = logs.get("newsflow.worker.tasks")

SendDeadLetter = Callable[[bytes | None, DeadLetter], Awaitable[object]]


async def follow_watchlist(
    settings: Settings,
    live: LiveWatchlist,
    ready: asyncio.Event,
    dead_letter: SendDeadLetter,
) -> None:
    """Apply every watchlist record to ``live``; set ``ready`` once caught up."""
    topic = settings.topic_watchlist
    started = time.monotonic()
    applied = 0
    async for batch in follow_from_start(settings, topic):
        changes: Counter[str] = Counter()
        for record in batch.records:
            change = live.apply(record.key, record.value)
            changes[change] += 1
            if change == "invalid":
                await _dead_letter_invalid(record, dead_letter)
        applied += len(batch.records)
        if changes["upsert"] or changes["delete"]:
            tagger = await asyncio.to_thread(live.rebuild)
            metrics.WATCHLIST_SIZE.set(tagger.watchlist_size)
            metrics.WATCHLIST_UPDATED.set(time.time())
            log.info("watchlist updated", entries=tagger.watchlist_size, **changes)
        if batch.caught_up and not ready.is_set():
            seconds = time.monotonic() - started
            metrics.WATCHLIST_CAUGHT_UP.set(time.time())
            metrics.WATCHLIST_CATCH_UP_SECONDS.set(seconds)
            log.info(
                "watchlist caught up; consuming articles",
                topic=topic,
                records=applied,
                entries=live.size(),
                seconds=round(seconds, 3),
            )
            ready.set()


async def _dead_letter_invalid(record: Record, dead_letter: SendDeadLetter) -> None:
    letter = build_dead_letter(
        record,
        stage="watchlist",
        reason="watchlist.invalid",
        error="not a FollowTheMoney entity with an id, schema and name",
        failed_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
    )
    metrics.DEADLETTERS.labels("watchlist", "watchlist.invalid").inc()
    log.warning(
        "dead-lettered",
        stage="watchlist",
        reason="watchlist.invalid",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
    await dead_letter(record.key, letter)


async def measure_lag(
    settings: Settings,
    assignment: Callable[[], Iterable[tuple[str, int]]],
    sources: Iterable[str],
) -> None:
    """Every ``lag_interval`` seconds: committed and end offsets of the assigned
    partitions of ``sources``, as gauges (removed when a partition goes elsewhere)."""
    wanted = set(sources)
    probe = LagProbe(settings, settings.app_id)
    await probe.start()
    reported: set[tuple[str, int]] = set()
    gauges = (metrics.CONSUMER_LAG, metrics.COMMITTED_OFFSET, metrics.END_OFFSET)
    try:
        while True:
            await asyncio.sleep(settings.lag_interval)
            assigned = {(t, p) for t, p in assignment() if t in wanted}
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
