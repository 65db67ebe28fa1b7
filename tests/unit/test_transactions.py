"""Exactly-once's mends to faust's transactions (pipeline/worker/transactions.py), each
against faust's own bookkeeping: where outputs go, and what a commit may pass."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from pipeline.worker.transactions import Positions, TransactionManager, processing
from tests.unit.test_wiring import _FaustCommits

TOPIC_TP = TP("t", 0)


def _admitted(commits: _FaustCommits, positions: Positions, offsets: list[int]) -> list[int]:
    """Feed ``offsets`` as the agent sees them; acknowledge what is processed."""
    done = []
    for offset in offsets:
        if positions.admit(commits, TOPIC_TP, offset):
            commits.ack(0, offset)
            done.append(offset)
    return done


def test_faust_alone_never_commits_past_an_aborted_transaction() -> None:
    """Why the holes are reported: records 10-14 of an aborted transaction are never
    delivered with read_committed, and faust's commit then stalls for good."""
    commits = _FaustCommits()
    commits._committed_offset[TOPIC_TP] = 10
    for offset in (15, 16, 17):
        commits.ack(0, offset)
    assert commits.commit(0) == 10


def test_an_aborted_transactions_records_count_as_done() -> None:
    commits = _FaustCommits()
    commits._committed_offset[TOPIC_TP] = 10
    assert _admitted(commits, Positions(), [15, 16, 17]) == [15, 16, 17]
    assert commits.commit(0) == 18


def test_transaction_markers_between_inputs_count_as_done() -> None:
    commits = _FaustCommits()
    commits._committed_offset[TOPIC_TP] = 10
    _admitted(commits, Positions(), [10, 11, 13, 14, 17])  # 12, 15 and 16: markers
    assert commits.commit(0) == 18


def test_no_hole_is_filled_before_the_input_after_it_is_acknowledged() -> None:
    commits = _FaustCommits()
    commits._committed_offset[TOPIC_TP] = 10
    positions = Positions()
    _admitted(commits, positions, [10, 11])
    assert positions.admit(commits, TOPIC_TP, 14)  # processing, not yet acknowledged
    assert commits.commit(0) == 12


def test_an_input_processed_already_is_not_processed_again_until_revoked() -> None:
    commits = _FaustCommits()
    commits._committed_offset[TOPIC_TP] = 10
    positions = Positions()
    assert _admitted(commits, positions, [10, 11, 12, 10, 11, 12, 13]) == [10, 11, 12, 13]
    positions.forget([TOPIC_TP])
    assert positions.admit(commits, TOPIC_TP, 11)


class _Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []

    async def send(self, topic: str, *args: Any, transactional_id: str | None = None) -> None:
        self.sent.append((topic, transactional_id))


def test_an_output_joins_the_transaction_of_the_input_it_came_from() -> None:
    """faust's own choice is the output partition's transaction (or none, for a topic the
    worker does not consume); inside ``processing`` it is the input's."""
    app = SimpleNamespace(
        conf=SimpleNamespace(id="app"),
        assignor=SimpleNamespace(group_for_topic=lambda topic: {"raw": 1}[topic]),
    )
    manager = SimpleNamespace(producer=_Producer())

    async def send_from(partition: int) -> None:
        with processing(app, "raw", partition):
            await TransactionManager.send(
                manager,  # type: ignore[arg-type]  # a stand-in with the producer only
                "tagged",
                b"k",
                b"v",
                None,
                None,
                None,
            )

    asyncio.run(send_from(2))
    asyncio.run(send_from(0))
    assert manager.producer.sent == [("tagged", "app-1-2"), ("tagged", "app-1-0")]
