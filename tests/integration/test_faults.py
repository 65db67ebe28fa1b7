"""Fault tests against real brokers: a few thousand articles with ids, a fault in the
middle, then every input id must be accounted for on the output topics (processed or
dead-lettered); duplicates are counted (at-least-once allows them, loss is never allowed).

Each test prints a line of the README's fault table: fault, sent, processed,
dead-lettered, lost, duplicates, recovery time.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from pipeline.corpus import articles
from pipeline.kafka import Record, publish
from tests.integration.conftest import (
    Env,
    ExtraBroker,
    Worker,
    assigned_partitions,
    make_env,
    read_all,
    second_worker_env,
)

COUNT = 2000


def _all(env: Env, topic: str) -> list[Record]:
    """Every record on ``topic`` of the env's own broker, up to its end offsets now."""
    return read_all(topic, env.settings.kafka_bootstrap)


@dataclass
class Tally:
    fault: str
    sent: int
    processed: int
    dead: int
    lost: int
    duplicates: int
    recovery_s: float

    def line(self) -> str:
        return (
            f"| {self.fault} | {self.sent} | {self.processed} | {self.dead} | {self.lost} "
            f"| {self.duplicates} | {self.recovery_s:.1f} s |"
        )


def _inputs(n: int = COUNT, bad_every: int = 100) -> tuple[list[tuple[bytes, bytes]], set[str]]:
    """``n`` articles with ids ``f-<i>``; every ``bad_every``-th one is not JSON."""
    records: list[tuple[bytes, bytes]] = []
    for i, raw in enumerate(articles(n, seed=23)):
        key = f"f-{i}".encode()
        if i % bad_every == 7:
            records.append((key, b"broken {" + key))
        else:
            doc = orjson.loads(raw)
            doc["id"] = key.decode()
            records.append((key, orjson.dumps(doc)))
    return records, {k.decode() for k, _ in records}


def _count_normalized(env: Env) -> int:
    return len(_all(env, env.settings.topic_normalized))


def _account(env: Env, ids: set[str], fault: str, recovery_s: float) -> Tally:
    normalized = _all(env, env.settings.topic_normalized)
    tagged = _all(env, env.settings.topic_tagged)
    dead = _all(env, env.settings.topic_deadletter)
    processed = Counter(orjson.loads(r.value)["id"] for r in normalized)
    tagged_ids = {orjson.loads(r.value)["article"]["id"] for r in tagged}
    dead_ids = {r.key.decode() for r in dead if r.key}
    missing_downstream = set(processed) - tagged_ids
    assert not missing_downstream, f"normalized but never tagged: {sorted(missing_downstream)[:5]}"
    lost = ids - set(processed) - dead_ids
    return Tally(
        fault,
        len(ids),
        len(set(processed) & ids),
        len(dead_ids & ids),
        len(lost),
        sum(c - 1 for c in processed.values()),
        recovery_s,
    )


def _wait_accounted(env: Env, ids: set[str], timeout: float) -> float:
    """Seconds until every id is on the normalized or dead-letter topic, and every
    normalized one on the tagged topic too."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        done = {orjson.loads(r.value)["id"] for r in _all(env, env.settings.topic_normalized)}
        failed = {r.key.decode() for r in _all(env, env.settings.topic_deadletter) if r.key}
        # The tagged topic (the most to read and parse) only once the inputs are accounted for.
        if ids <= done | failed:
            tagged = _all(env, env.settings.topic_tagged)
            if done <= {orjson.loads(r.value)["article"]["id"] for r in tagged}:
                return time.monotonic() - started
        time.sleep(0.5)
    done = {orjson.loads(r.value)["id"] for r in _all(env, env.settings.topic_normalized)}
    failed = {r.key.decode() for r in _all(env, env.settings.topic_deadletter) if r.key}
    tagged = {orjson.loads(r.value)["article"]["id"] for r in _all(env, env.settings.topic_tagged)}
    lost, untagged = sorted(ids - done - failed), sorted(done - tagged)
    raise AssertionError(
        f"not every input was accounted for within {timeout} s: {len(lost)} neither "
        f"normalized nor dead-lettered (e.g. {lost[:5]}), {len(untagged)} normalized but "
        f"not tagged (e.g. {untagged[:5]})"
    )


def _wait_progress(env: Env, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _count_normalized(env) >= at_least:
            return
        time.sleep(0.25)
    raise AssertionError(f"fewer than {at_least} articles processed in {timeout} s")


def _publish(env: Env, records: list[tuple[bytes, bytes]]) -> None:
    assert asyncio.run(publish(env.settings, records)) == len(records)


def _report(tally: Tally) -> None:
    print(tally.line())
    assert tally.lost == 0, tally
    assert tally.processed + tally.dead == tally.sent


@pytest.fixture
def fresh_env(broker: str, tmp_path: Path) -> Env:
    env = make_env(broker, tmp_path)
    assert env.run_cli("topics", "create").returncode == 0
    return env


def _loaded_worker(env: Env) -> tuple[Worker, set[str]]:
    """A worker a quarter of the way through the inputs (the moment to inject a fault)."""
    records, ids = _inputs()
    worker = Worker(env, "w1")
    worker.start()
    try:
        _publish(env, records)
        _wait_progress(env, COUNT // 4)
    except BaseException:
        worker.stop()  # not left running behind the failed test
        raise
    assert worker.proc is not None
    return worker, ids


def test_sigkill_mid_stream_then_restart_loses_nothing(fresh_env: Env) -> None:
    worker, ids = _loaded_worker(fresh_env)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(10)
    restarted = Worker(fresh_env, "w1-again")
    started = time.monotonic()
    restarted.start()
    try:
        _wait_accounted(fresh_env, ids, 180)
        _report(_account(fresh_env, ids, "worker SIGKILL, restarted", time.monotonic() - started))
    finally:
        restarted.stop()


def test_sigterm_mid_stream_exits_cleanly_and_hands_back_work(fresh_env: Env) -> None:
    worker, ids = _loaded_worker(fresh_env)
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
        _wait_accounted(fresh_env, ids, 180)
        tally = _account(
            fresh_env,
            ids,
            f"worker SIGTERM (exit 0 in {stop_s:.1f} s), restarted",
            time.monotonic() - started,
        )
        _report(tally)
    finally:
        restarted.stop()


def test_two_workers_split_partitions_and_one_takes_over(broker: str, tmp_path: Path) -> None:
    env = make_env(broker, tmp_path, NEWSFLOW_LAG_INTERVAL="1")
    assert env.run_cli("topics", "create").returncode == 0
    records, ids = _inputs()
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
        _publish(env, records)
        _wait_progress(env, COUNT // 4)
        assert w1.proc is not None
        w1.proc.send_signal(signal.SIGKILL)
        w1.proc.wait(10)
        started = time.monotonic()
        _wait_accounted(env, ids, 180)
        recovery = time.monotonic() - started
        taken = assigned_partitions(ports[1], env.settings.topic_raw)
        assert taken == set(range(env.settings.topic_partitions))
        _report(_account(env, ids, "one of two workers SIGKILLed", recovery))
    finally:
        w2.stop()
        w1.stop()  # killed already unless the test failed before the fault


def test_broker_down_for_20_seconds_the_worker_reconnects(
    extra_broker: ExtraBroker, tmp_path: Path
) -> None:
    env = make_env(extra_broker.bootstrap, tmp_path / "pipeline")
    (tmp_path / "pipeline").mkdir(exist_ok=True)
    assert env.run_cli("topics", "create").returncode == 0
    records, ids = _inputs()
    worker = Worker(env, "w1")
    worker.start()
    try:
        _publish(env, records)
        _wait_progress(env, COUNT // 4)
        extra_broker.stop()
        time.sleep(20)
        extra_broker.start()
        started = time.monotonic()
        _wait_accounted(env, ids, 240)
        assert worker.proc is not None
        assert worker.proc.poll() is None  # the same worker, reconnected by itself
        _report(_account(env, ids, "broker stopped 20 s, restarted", time.monotonic() - started))
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
