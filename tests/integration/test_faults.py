"""Fault tests against real brokers: a few thousand articles with ids, a fault in the
middle, then every input id must be accounted for on the output topics (processed or
dead-lettered); duplicates are counted (at-least-once allows them, loss is never allowed).

Each test prints a line of the README's fault table: fault, sent, processed,
dead-lettered, lost, duplicates, recovery time.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from pipeline.settings import Settings
from tests.faults import (
    COUNT,
    account,
    inputs,
    loaded_worker,
    publish_all,
    report,
    wait_accounted,
    wait_progress,
)
from tests.integration.conftest import (
    Env,
    ExtraBroker,
    Worker,
    assigned_partitions,
    make_env,
    second_worker_env,
)


@pytest.fixture
def fresh_env(broker: str, tmp_path: Path) -> Env:
    env = make_env(broker, tmp_path)
    assert env.run_cli("topics", "create").returncode == 0
    return env


def test_sigkill_mid_stream_then_restart_loses_nothing(fresh_env: Env) -> None:
    worker, ids = loaded_worker(fresh_env)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(10)
    restarted = Worker(fresh_env, "w1-again")
    started = time.monotonic()
    restarted.start()
    try:
        wait_accounted(fresh_env, ids, 180)
        report(account(fresh_env, ids, "worker SIGKILL, restarted", time.monotonic() - started))
    finally:
        restarted.stop()


def test_sigterm_mid_stream_exits_cleanly_and_hands_back_work(fresh_env: Env) -> None:
    worker, ids = loaded_worker(fresh_env)
    stopping = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    code = worker.proc.wait(60)
    stop_s = time.monotonic() - stopping
    assert code == 0
    assert stop_s < 30
    restarted = Worker(fresh_env, "w1-again")
    started = time.monotonic()
    restarted.start()
    try:
        wait_accounted(fresh_env, ids, 180)
        tally = account(
            fresh_env,
            ids,
            f"worker SIGTERM (exit 0 in {stop_s:.1f} s), restarted",
            time.monotonic() - started,
        )
        report(tally)
    finally:
        restarted.stop()


def test_two_workers_split_partitions_and_one_takes_over(broker: str, tmp_path: Path) -> None:
    env = make_env(broker, tmp_path, NEWSFLOW_LAG_INTERVAL="1")
    assert env.run_cli("topics", "create").returncode == 0
    records, ids = inputs()
    w1 = Worker(env, "w1")
    env2 = second_worker_env(env, tmp_path)
    w2 = Worker(env2, "w2")
    w1.spawn()  # both start up at once: one rebalance, and the start-ups overlap
    w2.spawn()
    try:
        w1.wait_ready()
        w2.wait_ready()
        ports = (int(env.vars["NEWSFLOW_METRICS_PORT"]), int(env2.vars["NEWSFLOW_METRICS_PORT"]))
        deadline = time.monotonic() + 60
        split: tuple[set[int], set[int]] = (set(), set())
        while time.monotonic() < deadline:
            split = (
                assigned_partitions(ports[0], env.settings.topic_raw),
                assigned_partitions(ports[1], env.settings.topic_raw),
            )
            if split[0] and split[1] and not split[0] & split[1]:
                break
            time.sleep(0.5)
        assert split[0]
        assert split[1]
        assert not split[0] & split[1]
        assert split[0] | split[1] == set(range(env.settings.topic_partitions))
        publish_all(env, records)
        wait_progress(env, COUNT // 4)
        assert w1.proc is not None
        w1.proc.send_signal(signal.SIGKILL)
        w1.proc.wait(10)
        started = time.monotonic()
        wait_accounted(env, ids, 180)
        recovery = time.monotonic() - started
        taken = assigned_partitions(ports[1], env.settings.topic_raw)
        assert taken == set(range(env.settings.topic_partitions))
        report(account(env, ids, "one of two workers SIGKILLed", recovery))
    finally:
        w2.stop()
        w1.stop()  # killed already unless the test failed before the fault


def test_broker_down_for_20_seconds_the_worker_reconnects(
    extra_broker: ExtraBroker, tmp_path: Path
) -> None:
    env = make_env(extra_broker.bootstrap, tmp_path / "pipeline")
    (tmp_path / "pipeline").mkdir(exist_ok=True)
    assert env.run_cli("topics", "create").returncode == 0
    records, ids = inputs()
    worker = Worker(env, "w1")
    worker.start()
    try:
        publish_all(env, records)
        wait_progress(env, COUNT // 4)
        extra_broker.stop()
        time.sleep(20)
        extra_broker.start()
        started = time.monotonic()
        wait_accounted(env, ids, 240)
        assert worker.proc is not None
        assert worker.proc.poll() is None  # the same worker, reconnected by itself
        report(account(env, ids, "broker stopped 20 s, restarted", time.monotonic() - started))
    finally:
        worker.stop()


def test_sigterm_while_the_broker_is_gone_still_ends_the_worker(
    extra_broker: ExtraBroker, tmp_path: Path
) -> None:
    (tmp_path / "pipeline").mkdir()
    env = make_env(extra_broker.bootstrap, tmp_path / "pipeline", NEWSFLOW_SHUTDOWN_TIMEOUT="5")
    assert env.run_cli("topics", "create").returncode == 0
    worker = Worker(env, "w1")
    worker.start()
    try:
        extra_broker.stop()
        time.sleep(3)
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        code = worker.proc.wait(60)  # without the bound it never returned (> 45 s seen)
        took = time.monotonic() - stopping
        print(f"\nSIGTERM with the broker gone: exit {code} after {took:.1f} s")
        assert took < 15
        log = worker.log.read_text()
        assert code == 0 or (code == 1 and "shutdown did not finish in time" in log)
    finally:
        worker.stop()


def test_a_worker_whose_input_stops_moving_stops_itself_and_its_successor_finishes(
    broker: str, tmp_path: Path
) -> None:
    # The `hang` drill blocks the worker's own loop on one input: no commit, no error,
    # as with the consumer that once kept fetching from a dead broker. The watchdog sees
    # the partition's input waiting with its committed offset still and stops the worker.
    marker = "HANG-DRILL-7f3e"
    env = make_env(
        broker,
        tmp_path,
        NEWSFLOW_FAULT_MARKER=marker,
        NEWSFLOW_FAULT_ACTION="hang",
        NEWSFLOW_STALL_TIMEOUT="8",
        NEWSFLOW_LAG_INTERVAL="1",
        NEWSFLOW_SHUTDOWN_TIMEOUT="5",
    )
    assert env.run_cli("topics", "create").returncode == 0
    records, ids = inputs(200)
    hung = b'{"id": "hung-1", "title": "Stuck", "body": "Nothing moves. ' + marker.encode() + b'"}'
    records.insert(50, (b"hung-1", hung))
    ids.add("hung-1")
    stuck = Worker(env, "stuck")
    stuck.start()
    try:
        publish_all(env, records)
        started = time.monotonic()
        assert stuck.proc is not None
        code = stuck.proc.wait(120)
        took = time.monotonic() - started
        log = stuck.log.read_text()
        print(f"\nstalled worker: exit {code} after {took:.1f} s")
        assert code == 3, log[-3000:]
        assert "input partitions stalled" in log
        assert "worker stopping after a fatal failure" not in log  # its own loop never ran
    finally:
        stuck.stop()

    calm = {k: v for k, v in env.vars.items() if not k.startswith("NEWSFLOW_FAULT_")}
    successor = Worker(Env(calm, Settings.from_env(calm), tmp_path), "successor")
    started = time.monotonic()
    successor.start()
    try:
        wait_accounted(env, ids, 120)
        fault = "stage hung, the watchdog stopped the worker; restarted"
        report(account(env, ids, fault, time.monotonic() - started))
        assert "input partitions stalled" not in successor.log.read_text()
    finally:
        successor.stop()
