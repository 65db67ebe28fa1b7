"""Cluster fixtures: the local three-node cluster (deploy/local/cluster.sh), its nodes'
faults (SIGKILL, a clean stop, a start), who leads what, and envs with three replicas.

`make test` starts the cluster (`make cluster-start`); the fixture starts it too when it
is not running, and puts every node back up after each test, so a failed test leaves no
node down for the next. These tests never skip: without a cluster they fail.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.security import aiokafka_security
from pipeline.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import CREATED, Env, delete_topics_containing, make_env

CLUSTER_SH = PROJECT_ROOT / "deploy" / "local" / "cluster.sh"
NODES = (1, 2, 3)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/cluster" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)


@dataclass
class Cluster:
    """One three-node cluster, addressed through deploy/local/cluster.sh with ``env``."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    settings: Settings = field(default_factory=Settings)

    def sh(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [str(CLUSTER_SH), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"cluster.sh {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout.strip()

    @property
    def bootstrap(self) -> str:
        return self.sh("bootstrap")

    def start(self, node: int | None = None) -> None:
        """Start every node (or ``node``) and wait until it answers; at once if it runs."""
        self.sh("start", *([str(node)] if node else []))

    def stop(self, node: int) -> None:
        self.sh("stop", str(node))

    def kill(self, node: int) -> None:
        self.sh("kill", str(node))

    def quorum_leader(self) -> int:
        """The node id of the controller quorum's leader (the active controller)."""
        return int(self.sh("leader"))

    def wait_quorum_leader(self, other_than: int, timeout: float = 60) -> int:
        """Until a node other than ``other_than`` leads the quorum; its id."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                leader = self.quorum_leader()
            except AssertionError:
                leader = -1
            if leader not in (-1, other_than):
                return leader
            assert time.monotonic() < deadline, f"no new quorum leader in {timeout} s"
            time.sleep(0.5)

    async def _admin(self) -> AIOKafkaAdminClient:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap,
            request_timeout_ms=10000,
            **aiokafka_security(self.settings),
        )
        await admin.start()
        return admin

    def partition_leaders(self, topic: str) -> dict[int, int]:
        """``{partition: leader node}`` of ``topic``."""

        async def describe() -> dict[int, int]:
            admin = await self._admin()
            try:
                (described,) = await admin.describe_topics([topic])
                return {p["partition"]: p["leader"] for p in described["partitions"]}
            finally:
                await admin.close()

        return asyncio.run(describe())

    def busiest_leader(self, topic: str) -> int:
        """The node leading the most partitions of ``topic``."""
        return Counter(self.partition_leaders(topic).values()).most_common(1)[0][0]

    def group_coordinator(self, group: str) -> int:
        async def find() -> int:
            admin = await self._admin()
            try:
                return int(await admin.find_coordinator(group))
            finally:
                await admin.close()

        return asyncio.run(find())

    def wait_fully_replicated(self, topics: list[str], timeout: float = 90) -> float:
        """Until every partition of ``topics`` has all its replicas in sync; seconds taken."""

        async def lagging() -> list[str]:
            admin = await self._admin()
            try:
                described = await admin.describe_topics(topics)
            finally:
                await admin.close()
            return [
                f"{t['topic']}-{p['partition']}"
                for t in described
                for p in t["partitions"]
                if t.get("error_code") or sorted(p["isr"]) != sorted(p["replicas"])
            ]

        started = time.monotonic()
        while True:
            behind = asyncio.run(lagging())
            if not behind:
                return time.monotonic() - started
            assert time.monotonic() - started < timeout, f"under-replicated: {behind[:5]}"
            time.sleep(0.5)


@pytest.fixture(scope="session")
def _cluster_process() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    cluster.settings = Settings(kafka_bootstrap=cluster.bootstrap)
    yield cluster
    if CREATED:
        try:
            deleted = asyncio.run(delete_topics_containing(cluster.bootstrap, CREATED))
        except Exception as exc:  # the tests ran; only the tidying failed: say so
            print(f"\ncould not delete the test topics on the cluster: {exc!r}")
        else:
            print(f"\ndeleted {deleted} test topics on the cluster")


@pytest.fixture
def cluster(_cluster_process: Cluster) -> Iterator[Cluster]:
    """The three-node cluster, every node up; after the test, every node up again."""
    _cluster_process.start()
    yield _cluster_process
    _cluster_process.start()


def cluster_env(cluster: Cluster, workdir: Path, **extra: str) -> Env:
    """Fresh topics and group on the cluster, three replicas each, two in sync for a write;
    the topics created."""
    env = make_env(
        cluster.bootstrap,
        workdir,
        NEWSFLOW_TOPIC_REPLICATION="3",
        NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS="2",
        # A worker whose input stops moving stops itself well inside the tests' 240 s
        # (Supervisor, tests/faults.py, restarts it as an orchestrator would).
        NEWSFLOW_STALL_TIMEOUT="45",
        **extra,
    )
    created = env.run_cli("topics", "create")
    assert created.returncode == 0, created.stderr
    return env
