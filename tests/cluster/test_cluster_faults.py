"""Broker faults on the three-node cluster, with a worker mid-stream: the leader of the
input partitions SIGKILLed, a rolling restart of all three nodes, one node down longer
than the group's session timeout, the controller quorum's leader lost and regained, and
the worker itself SIGKILLed.

Every input id must end up on the normalized or dead-letter topic (0 lost, asserted);
duplicates are counted, per output topic too. Recovery is the time from the fault (the
kill, the first stop) until every id is accounted for; re-sync, from a node's return
until every partition has all three replicas in sync again. Each test appends its tally
to tests.faults.ROWS; `python -m tests.cluster.table` makes docs/reliability.md's table
from them. With exactly-once the output topics are read with read_committed and must hold
no duplicate at all.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.cluster.conftest import NODES, Cluster, cluster_env
from tests.faults import (
    COMMITTED,
    UNCOMMITTED,
    Supervisor,
    account,
    loaded_worker,
    report,
    wait_accounted,
)
from tests.integration.conftest import Env, Worker

COUNT = 1000  # half the single-broker drills: the cluster suite stays within its CI budget
DOWN_S = 15  # longer than the test group's 6 s session and the brokers' 9 s one
GUARANTEES = ("at_least_once", "exactly_once")


def _env(cluster: Cluster, tmp_path: Path, guarantee: str) -> tuple[Env, str]:
    env = cluster_env(cluster, tmp_path, NEWSFLOW_PROCESSING_GUARANTEE=guarantee)
    return env, COMMITTED if guarantee == "exactly_once" else UNCOMMITTED


def _topics(env: Env) -> list[str]:
    s = env.settings
    return [s.topic_raw, s.topic_normalized, s.topic_dedupe, s.topic_tagged]


def _finish(
    env: Env,
    ids: set[str],
    fault: str,
    recovery_s: float,
    guarantee: str,
    *,
    resync_s: float | None = None,
) -> None:
    isolation = COMMITTED if guarantee == "exactly_once" else UNCOMMITTED
    tally = account(
        env,
        ids,
        fault,
        recovery_s,
        guarantee=guarantee.replace("_", "-"),
        isolation=isolation,
        per_topic=True,
        resync_s=resync_s,
    )
    report(tally, write=True)
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally
        assert not any(tally.topic_duplicates.values()), tally.topic_duplicates


def _replication(env: Env) -> tuple[dict[str, int], dict[str, str]]:
    """Replicas and min.insync.replicas of the env's topics and the app's changelogs."""

    async def describe() -> tuple[dict[str, int], dict[str, str]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=env.settings.kafka_bootstrap)
        await admin.start()
        try:
            names = [
                t
                for t in await admin.list_topics()
                if t.startswith((env.settings.topic_raw.rsplit(".", 1)[0], env.settings.app_id))
            ]
            described = await admin.describe_topics(names)
            replicas = {t["topic"]: len(t["partitions"][0]["replicas"]) for t in described}
            configs = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
            )
            isr = {
                str(r[3]): str(value)
                for response in configs
                for r in response.resources
                for name, value, *_ in r[4]
                if name == "min.insync.replicas"
            }
            return replicas, isr
        finally:
            await admin.close()

    return asyncio.run(describe())


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_sigkill_of_the_input_partitions_leader(
    cluster: Cluster, tmp_path: Path, guarantee: str
) -> None:
    env, isolation = _env(cluster, tmp_path, guarantee)
    worker, ids = loaded_worker(env, COUNT, isolation)
    try:
        victim = cluster.busiest_leader(env.settings.topic_raw)
        cluster.kill(victim)
        killed = time.monotonic()
        supervisor = Supervisor(worker)
        wait_accounted(env, ids, 240, isolation, supervisor)
        recovery = time.monotonic() - killed
        went_on = supervisor.went_on()  # the same worker went on with the other two
        cluster.start(victim)
        resync = cluster.wait_fully_replicated(_topics(env))
        _finish(
            env,
            ids,
            f"SIGKILL of node {victim}, leader of the input partitions; restarted{went_on}",
            recovery,
            guarantee,
            resync_s=resync,
        )
        replicas, isr = _replication(env)
        assert replicas
        assert set(replicas.values()) == {3}, replicas  # changelogs too
        assert isr[env.settings.topic_raw] == "2"
    finally:
        worker.stop()


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_rolling_restart_of_all_three_nodes(
    cluster: Cluster, tmp_path: Path, guarantee: str
) -> None:
    env, isolation = _env(cluster, tmp_path, guarantee)
    worker, ids = loaded_worker(env, COUNT, isolation)
    try:
        started = time.monotonic()
        resync = 0.0
        for node in NODES:
            cluster.stop(node)
            cluster.start(node)
            # An operator waits for the node to be back in sync before the next one.
            resync = max(resync, cluster.wait_fully_replicated(_topics(env)))
        supervisor = Supervisor(worker)
        wait_accounted(env, ids, 240, isolation, supervisor)
        went_on = supervisor.went_on()
        _finish(
            env,
            ids,
            f"rolling restart of nodes 1, 2, 3 (each back in sync before the next){went_on}",
            time.monotonic() - started,
            guarantee,
            resync_s=resync,
        )
    finally:
        worker.stop()


def test_one_node_down_longer_than_the_session_timeout(cluster: Cluster, tmp_path: Path) -> None:
    env, isolation = _env(cluster, tmp_path, "at_least_once")
    worker, ids = loaded_worker(env, COUNT, isolation)
    try:
        victim = cluster.group_coordinator(env.settings.app_id)
        cluster.kill(victim)
        killed = time.monotonic()
        time.sleep(DOWN_S)
        cluster.start(victim)
        resync = cluster.wait_fully_replicated(_topics(env))
        supervisor = Supervisor(worker)
        wait_accounted(env, ids, 240, isolation, supervisor)
        went_on = supervisor.went_on()
        _finish(
            env,
            ids,
            f"node {victim} (the group's coordinator) SIGKILLed, down {DOWN_S} s, "
            f"restarted{went_on}",
            time.monotonic() - killed,
            "at_least_once",
            resync_s=resync,
        )
    finally:
        worker.stop()


def test_a_controller_voter_lost_and_regained(cluster: Cluster, tmp_path: Path) -> None:
    env, isolation = _env(cluster, tmp_path, "at_least_once")
    worker, ids = loaded_worker(env, COUNT, isolation)
    try:
        victim = cluster.quorum_leader()
        cluster.kill(victim)
        killed = time.monotonic()
        elected = cluster.wait_quorum_leader(other_than=victim)
        time.sleep(DOWN_S)
        cluster.start(victim)
        resync = cluster.wait_fully_replicated(_topics(env))
        supervisor = Supervisor(worker)
        wait_accounted(env, ids, 240, isolation, supervisor)
        went_on = supervisor.went_on()
        assert cluster.quorum_leader() in NODES
        _finish(
            env,
            ids,
            f"node {victim} (the quorum leader) SIGKILLed, node {elected} elected; "
            f"back after {DOWN_S} s{went_on}",
            time.monotonic() - killed,
            "at_least_once",
            resync_s=resync,
        )
    finally:
        worker.stop()


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_sigkill_of_the_worker_on_the_cluster(
    cluster: Cluster, tmp_path: Path, guarantee: str
) -> None:
    """The single-broker drill, on three replicas: nothing lost, the replay counted (and
    with exactly-once, none read with read_committed)."""
    env, isolation = _env(cluster, tmp_path, guarantee)
    worker, ids = loaded_worker(env, COUNT, isolation)
    assert worker.proc is not None
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(10)
    killed = time.monotonic()
    restarted = Worker(env, "w1-again")
    restarted.start()
    try:
        wait_accounted(env, ids, 240, isolation)
        _finish(env, ids, "worker SIGKILLed, restarted", time.monotonic() - killed, guarantee)
    finally:
        restarted.stop()
