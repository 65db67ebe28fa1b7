"""The stall watchdog's judgement (pipeline/worker/watchdog.py), on offsets given by hand,
and the fault tests' supervisor that restarts a worker the watchdog stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.kafka import PartitionLag
from pipeline.worker.watchdog import ConsumerStalled, StallWatch
from tests.faults import Supervisor


def lag(committed: int | None, end: int, partition: int = 0) -> PartitionLag:
    return PartitionLag("news.raw", partition, committed, end)


def test_input_waiting_with_the_same_committed_offset_past_the_timeout_is_a_stall() -> None:
    watch = StallWatch(timeout=60)
    assert watch.observe(0, [lag(10, 50)]) == []
    assert watch.observe(59, [lag(10, 50)]) == []
    (stall,) = watch.observe(60, [lag(10, 50)])
    assert (stall.topic, stall.partition, stall.committed, stall.lag) == ("news.raw", 0, 10, 40)
    assert stall.seconds == 60


def test_a_moving_committed_offset_restarts_the_clock() -> None:
    watch = StallWatch(timeout=60)
    watch.observe(0, [lag(10, 50)])
    assert watch.observe(50, [lag(11, 80)]) == []  # slow, not stuck
    assert watch.observe(100, [lag(11, 80)]) == []  # 50 s since it moved
    assert len(watch.observe(110, [lag(11, 80)])) == 1


def test_nothing_waiting_is_never_a_stall_however_long() -> None:
    watch = StallWatch(timeout=60)
    for now in range(0, 1000, 50):
        assert watch.observe(now, [lag(50, 50), lag(None, 0, partition=1)]) == []


def test_input_arriving_after_an_idle_spell_gets_the_whole_timeout() -> None:
    watch = StallWatch(timeout=60)
    watch.observe(0, [lag(50, 50)])
    watch.observe(500, [lag(50, 51)])  # the first new record: its clock starts now
    assert watch.observe(550, [lag(50, 51)]) == []
    assert len(watch.observe(560, [lag(50, 51)])) == 1


def test_a_partition_never_committed_stalls_like_any_other() -> None:
    watch = StallWatch(timeout=30)
    watch.observe(0, [lag(None, 7)])
    (stall,) = watch.observe(30, [lag(None, 7)])
    assert stall.committed is None
    assert stall.lag == 7


def test_exactly_once_slack_ignores_the_last_commit_marker() -> None:
    watch = StallWatch(timeout=30, slack=1)
    watch.observe(0, [lag(99, 100)])  # the marker after the last transaction
    assert watch.observe(300, [lag(99, 100)]) == []
    watch.observe(300, [lag(99, 102)])
    assert len(watch.observe(330, [lag(99, 102)])) == 1


def test_a_partition_taken_away_and_given_back_starts_afresh() -> None:
    watch = StallWatch(timeout=60)
    watch.observe(0, [lag(10, 50), lag(5, 9, partition=1)])
    watch.observe(40, [lag(5, 9, partition=1)])  # partition 0 went to another worker
    stalls = watch.observe(80, [lag(10, 50), lag(5, 9, partition=1)])
    assert [s.partition for s in stalls] == [1]  # partition 0's clock started at 80


def test_reset_restarts_every_clock() -> None:
    watch = StallWatch(timeout=60)
    watch.observe(0, [lag(10, 50)])
    watch.reset()  # a rebalance, or offsets that could not be read
    assert watch.observe(70, [lag(10, 50)]) == []
    assert len(watch.observe(130, [lag(10, 50)])) == 1


def test_the_error_names_the_partitions_and_what_waits() -> None:
    watch = StallWatch(timeout=10)
    watch.observe(0, [lag(1, 5), lag(2, 4, partition=3)])
    error = ConsumerStalled(watch.observe(12, [lag(1, 5), lag(2, 4, partition=3)]))
    assert str(error) == "no progress for 12 s on news.raw-0 (4 waiting), news.raw-3 (2 waiting)"


# --- the fault tests' supervisor (tests/faults.py) ----------------------------------------


class _Proc:
    def __init__(self, code: int | None) -> None:
        self.returncode = code

    def poll(self) -> int | None:
        return self.returncode


class _Worker:
    """What Supervisor reads of a worker: its process, its log, ``start``."""

    def __init__(self, log: Path, code: int | None) -> None:
        self.proc = _Proc(code)
        self.log = log
        self.started = 0

    def start(self) -> None:
        self.started += 1
        self.proc = _Proc(None)


def test_the_supervisor_restarts_a_worker_that_stopped_itself_on_a_stall(tmp_path: Path) -> None:
    log = tmp_path / "w.log"
    log.write_text('{"event": "input partitions stalled; the worker stops to be restarted"}\n')
    worker = _Worker(log, 3)
    supervisor = Supervisor(worker)  # type: ignore[arg-type]  # a stand-in with its attributes
    supervisor()
    assert worker.started == 1
    assert supervisor.went_on() == "; stalled, stopped itself, restarted (1x)"
    supervisor()  # running: nothing to do
    assert worker.started == 1


def test_the_supervisor_leaves_a_running_worker_alone(tmp_path: Path) -> None:
    worker = _Worker(tmp_path / "w.log", None)
    supervisor = Supervisor(worker)  # type: ignore[arg-type]
    supervisor()
    assert worker.started == 0
    assert supervisor.went_on() == ""


@pytest.mark.parametrize(
    ("code", "line"),
    [(1, "input partitions stalled"), (3, "worker stopping after a fatal failure")],
)
def test_any_other_stop_fails_the_test(tmp_path: Path, code: int, line: str) -> None:
    log = tmp_path / "w.log"
    log.write_text(line + "\n")
    supervisor = Supervisor(_Worker(log, code))  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        supervisor()
