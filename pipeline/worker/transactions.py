"""Exactly-once (``NEWSFLOW_PROCESSING_GUARANTEE=exactly_once``): what faust-streaming
0.15.3's transactions need from us to be atomic.

faust keeps one transactional producer per source partition (transactional id
``<app id>-<topic group>-<partition>``) and commits a partition's consumed offsets in
its producer's transaction. Three things in 0.15.3 break "an input's outputs and its
offset commit together", and this module mends each:

1. **Which transaction an output joins.** faust's ``TransactionManager.send`` picks the
   transactional id from the *output's* topic and partition, not the input's: an output
   joined the transaction of whatever source partition shared its partition number (and
   was committed with other inputs' offsets), and an output to a topic the worker does not
   consume (the tagged and alert topics) joined none (faust's consumer has no metadata
   for it, so it was sent outside any transaction, visible to ``read_committed`` readers
   at once and repeated on every replay). :class:`TransactionManager` sends into the
   transaction of the input being processed (:func:`processing`).
2. **Offsets read outside the transaction's lock.** faust computes the offsets to commit,
   then takes each producer's lock to commit: an input processed in between had its
   outputs committed without its offset (a crash then replayed it: duplicates).
   The app's ``gate`` (transport.py) is held while an input's outputs are handed over and
   it is acknowledged, and across the whole commit, so a transaction holds exactly the
   outputs of the offsets it commits.
3. **Offsets a read_committed consumer never sees.** Transaction markers, and the records
   of aborted transactions (a crashed worker's, aborted when its successor starts), leave
   holes in the offsets of the internal topics. faust fills such holes from its read
   offsets, which the worker does not keep (transport.py's ``_ReadOffsets``); a hole of
   more than one offset stopped the partition's commits for good. :func:`fill_gap` tells
   faust's commit bookkeeping about every offset skipped between two inputs of a
   partition, which with ``read_committed`` and in-order delivery can only be such a hole.
4. **Inputs read before the start-up seek.** faust makes the stream partitions active
   when they are assigned, and seeks them to their committed offsets only once the tables
   are recovered; records fetched in between reach the agents, then come again after the
   seek, and the queues emptied at the end of recovery drop some of them in the middle.
   At-least-once allows the repeats (the worker keeps no read offsets, transport.py); in
   transactions both copies' outputs were committed (830 of 2,000 articles twice after a
   SIGKILL on the cluster), and the hole left by a dropped record was taken for a
   transaction marker (point 3) and committed past: a loss. transport.py's consumer keeps
   the stream partitions out of the fetch from their assignment until that seek, and
   :class:`Positions` skips an input processed already since its partition was assigned,
   should one come again; a revocation forgets the partition.

At-least-once runs none of this.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from typing import Any

from faust.transport.consumer import TransactionManager as FaustTransactionManager

# The transactional id of the input being processed, while its outputs are sent.
_SOURCE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "newsflow_source_transaction", default=None
)


def transactional_id(app: Any, topic: str, partition: int) -> str:
    """The id of the transaction faust commits ``topic``/``partition``'s offsets in."""
    return f"{app.conf.id}-{app.assignor.group_for_topic(topic)}-{partition}"


@contextlib.contextmanager
def processing(app: Any, topic: str, partition: int) -> Iterator[None]:
    """Sends inside this block join the transaction of the input ``topic``/``partition``."""
    token = _SOURCE.set(transactional_id(app, topic, partition))
    try:
        yield
    finally:
        _SOURCE.reset(token)


class TransactionManager(FaustTransactionManager):
    """faust's transaction manager, sending an agent's outputs into the transaction of
    the input they came from (faust's own choice, by output partition, stays for sends
    outside an agent: the watchlist task's dead letters)."""

    async def send(  # noqa: PLR0917  # faust's signature, positional as it calls it
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> Any:
        source = _SOURCE.get()
        if source is None:
            return await super().send(topic, key, value, partition, timestamp, headers)
        return await self.producer.send(
            topic, key, value, partition, timestamp, headers, transactional_id=source
        )


class Positions:
    """Per partition, the offset of the next input not yet processed in this assignment."""

    __slots__ = ("_next",)

    def __init__(self) -> None:
        self._next: dict[Any, int] = {}

    def admit(self, consumer: Any, tp: Any, offset: int) -> bool:
        """Whether the input at ``offset`` of ``tp`` is to be processed: ``False`` for one
        processed already since the partition was assigned (point 4). Otherwise, offsets
        skipped since the previous input (or since the committed offset) count as done in
        faust's commit bookkeeping (point 3)."""
        expected = self._next.get(tp)
        if expected is not None and offset < expected:
            return False
        if expected is None:
            expected = consumer._committed_offset[tp]
        if expected is not None and offset > expected:
            gaps = consumer._gap[tp]
            gaps.addi(expected, offset)
            gaps.merge_overlaps()
        self._next[tp] = offset + 1
        return True

    def forget(self, tps: Iterable[Any]) -> None:
        """Partitions revoked: whatever they get next is processed (their transactions
        went with them; the new owner starts from the committed offsets)."""
        for tp in tps:
            self._next.pop(tp, None)
