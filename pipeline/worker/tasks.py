"""The worker's background tasks: the live watchlist, and the consumer-lag gauges
(set by the offset reader of pipeline/worker/watchdog.py).

The watchlist topic (compacted; key = entity id, empty value = delete) is read from its
beginning by every worker, to its end, before the worker's faust app starts
(:func:`catch_up_watchlist`), so no article is ever tagged against the file-only list
and faust's consumer never holds fetched records for agents that are not consuming yet
(its start-up recovery lost or stalled such records). The app's task then follows the
topic from there (:func:`follow_watchlist`). An invalid record is dead-lettered
(``watchlist.invalid``) and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline import logs, metrics
from pipeline.deadletters import build_dead_letter
from pipeline.kafka import Batch, PartitionLag, follow_from_start
from pipeline.models import DeadLetter
from pipeline.records import Record
from pipeline.resources import LiveWatchlist
from pipeline.settings import Settings

log = logs.get("newsflow.worker.tasks")

SendDeadLetter = Callable[[bytes | None, DeadLetter], Awaitable[object]]


@dataclass
class CaughtUp:
    """Where the start-up read of the watchlist topic ended, and what it refused."""

    positions: dict[int, int] = field(default_factory=dict)  # partition -> next offset
    invalid: list[Record] = field(default_factory=list)  # to dead-letter once running


def _apply(live: LiveWatchlist, batch: Batch, invalid: list[Record]) -> Counter[str]:
    changes: Counter[str] = Counter()
    for record in batch.records:
        change = live.apply(record.key, record.value)
        changes[change] += 1
        if change == "invalid":
            invalid.append(record)
    return changes


async def catch_up_watchlist(settings: Settings, live: LiveWatchlist) -> CaughtUp:
    """Apply every record on the watchlist topic now to ``live``; where it ended."""
    topic = settings.topic_watchlist
    started = time.monotonic()
    caught = CaughtUp()
    applied = 0
    changes: Counter[str] = Counter()
    async with contextlib.aclosing(follow_from_start(settings, topic)) as batches:
        async for batch in batches:
            changes += _apply(live, batch, caught.invalid)
            applied += len(batch.records)
            for record in batch.records:
                caught.positions[record.partition] = record.offset + 1
            if batch.caught_up:
                break
    if changes["upsert"] or changes["delete"]:
        live.rebuild()
    seconds = time.monotonic() - started
    metrics.WATCHLIST_CAUGHT_UP.set(time.time())
    metrics.WATCHLIST_CATCH_UP_SECONDS.set(seconds)
    log.info(
        "watchlist caught up",
        topic=topic,
        records=applied,
        entries=live.size(),
        seconds=round(seconds, 3),
        **changes,
    )
    return caught


async def follow_watchlist(
    settings: Settings,
    live: LiveWatchlist,
    caught: CaughtUp,
    dead_letter: SendDeadLetter,
) -> None:
    """Dead-letter what the start-up read refused, then apply every later watchlist
    record to ``live`` as it arrives."""
    for record in caught.invalid:
        await _dead_letter_invalid(record, dead_letter)
    caught.invalid.clear()
    async for batch in follow_from_start(
        settings, settings.topic_watchlist, start=caught.positions
    ):
        invalid: list[Record] = []
        changes = _apply(live, batch, invalid)
        for record in invalid:
            await _dead_letter_invalid(record, dead_letter)
        if changes["upsert"] or changes["delete"]:
            tagger = await asyncio.to_thread(live.rebuild)
            metrics.WATCHLIST_SIZE.set(tagger.watchlist_size)
            metrics.WATCHLIST_UPDATED.set(time.time())
            log.info("watchlist updated", entries=tagger.watchlist_size, **changes)


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


def report_lag(
    lags: Iterable[PartitionLag], reported: set[tuple[str, int]]
) -> set[tuple[str, int]]:
    """Set the lag, committed and end-offset gauges of ``lags``'s partitions, and remove
    those of ``reported`` partitions no longer among them; the partitions reported now."""
    lags = list(lags)
    now = {(lag.topic, lag.partition) for lag in lags}
    gauges = (metrics.CONSUMER_LAG, metrics.COMMITTED_OFFSET, metrics.END_OFFSET)
    for topic, partition in reported - now:
        for gauge in gauges:
            with contextlib.suppress(KeyError):
                gauge.remove(topic, str(partition))
    for lag in lags:
        labels = (lag.topic, str(lag.partition))
        metrics.CONSUMER_LAG.labels(*labels).set(lag.lag)
        metrics.END_OFFSET.labels(*labels).set(lag.end)
        metrics.COMMITTED_OFFSET.labels(*labels).set(lag.committed or 0)
    return now
