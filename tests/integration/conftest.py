"""Integration fixtures: the real local broker, uuid topics, a worker subprocess.

The broker is started by `make test` (deploy/local/kafka.sh start). These tests never
skip: without a broker they fail, so CI cannot pass without exercising Kafka.

Waiting costs most of the suite's time, so: topics are read to their end offsets
(``read_all``, ``wait_for``, ``wait_until``) instead of until a quiet period or a timeout;
test groups have a 6 s session (``make_env``), so a killed worker's partitions move in
seconds; tests that stop a broker share one extra broker (``extra_broker``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from pipeline.kafka import Record, read_to_end
from pipeline.settings import PROJECT_ROOT, Settings

BOOTSTRAP = os.environ.get("NEWSFLOW_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
KAFKA_SH = PROJECT_ROOT / "deploy" / "local" / "kafka.sh"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


async def _broker_answers() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=5000)
    await admin.start()
    try:
        await admin.describe_cluster()
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def broker() -> str:
    try:
        asyncio.run(asyncio.wait_for(_broker_answers(), 20))
    except Exception as exc:  # any failure to reach the broker ends the run loudly
        pytest.fail(f"no Kafka broker at {BOOTSTRAP} ({exc!r}); run `make kafka-start`")
    return BOOTSTRAP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Env:
    """A private set of topics and a consumer group for one test module."""

    vars: dict[str, str]
    settings: Settings
    workdir: Path

    def run_cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            env=self.vars,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


# The suffix of every env made in this process: their topics are deleted at the end, so
# repeated runs do not pile partitions up on the shared broker (thousands of them once
# ran a 512 MB broker out of heap).
CREATED: list[str] = []


async def delete_topics_containing(bootstrap: str, markers: list[str]) -> int:
    """Delete every topic whose name contains one of ``markers``; how many were deleted."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if any(m in t for m in markers)]
        for i in range(0, len(names), 100):
            await admin.delete_topics(names[i : i + 100], timeout_ms=30000)
        return len(names)
    finally:
        await admin.close()


@pytest.fixture(scope="session", autouse=True)
def _delete_test_topics() -> Iterator[None]:
    yield
    if not CREATED:
        return
    try:
        deleted = asyncio.run(delete_topics_containing(BOOTSTRAP, CREATED))
    except Exception as exc:  # the tests ran; only the tidying failed: say so, do not fail
        print(f"\ncould not delete the test topics on {BOOTSTRAP}: {exc!r}")
    else:
        print(f"\ndeleted {deleted} test topics on {BOOTSTRAP}")


def make_env(broker: str, workdir: Path, **extra: str) -> Env:
    """Fresh topics and group for one test (or module); ``extra`` adds or overrides variables.

    The group's session is short (6 s, the broker's group.min.session.timeout.ms; heartbeat
    every second), so the partitions of a SIGKILLed worker move in seconds, not the
    production minute.
    """
    suffix = uuid.uuid4().hex[:10]
    CREATED.append(suffix)
    values = {
        "NEWSFLOW_KAFKA_BOOTSTRAP": broker,
        "NEWSFLOW_APP_ID": f"newsflow-test-{suffix}",
        "NEWSFLOW_TOPIC_RAW": f"test.{suffix}.raw",
        "NEWSFLOW_TOPIC_NORMALIZED": f"test.{suffix}.normalized",
        "NEWSFLOW_TOPIC_TAGGED": f"test.{suffix}.tagged",
        "NEWSFLOW_TOPIC_ALERTS": f"test.{suffix}.alerts",
        "NEWSFLOW_TOPIC_DEADLETTER": f"test.{suffix}.deadletter",
        "NEWSFLOW_TOPIC_WATCHLIST": f"test.{suffix}.watchlist",
        "NEWSFLOW_TOPIC_DEDUPE": f"test.{suffix}.dedupe",
        "NEWSFLOW_TOPIC_ALERT_CANDIDATES": f"test.{suffix}.candidates",
        "NEWSFLOW_TOPIC_ALERT_UNANNOTATED": f"test.{suffix}.unannotated",
        "NEWSFLOW_TOPIC_ALERT_SOURCES": f"test.{suffix}.sources",
        "NEWSFLOW_TOPIC_PARTITIONS": "3",
        "NEWSFLOW_METRICS_PORT": str(free_port()),
        "NEWSFLOW_DATA_DIR": str(workdir / "data"),
        "NEWSFLOW_LOG_FORMAT": "json",
        "NEWSFLOW_CONSUMER_SESSION_TIMEOUT": "6",
        "NEWSFLOW_CONSUMER_HEARTBEAT_INTERVAL": "1",
        **extra,
    }
    env = {**os.environ, **values}
    return Env(env, Settings.from_env(env), workdir)


def second_worker_env(env: Env, workdir: Path) -> Env:
    """Another worker of the same group and topics: its own metrics port and state."""
    other = dict(env.vars)
    other["NEWSFLOW_METRICS_PORT"] = str(free_port())
    other["NEWSFLOW_DATA_DIR"] = str(workdir / "data-2")
    return Env(other, Settings.from_env(other), workdir)


# The nodes of a flagging worker when the NER agent (NEWSFLOW_NER_PLACEMENT=agent) runs
# the rest in its own group.
FLAGGING_NODES = "normalize_articles,dedupe_articles,tag_and_flag,route_alerts"


def ner_agent_envs(broker: str, workdir: Path, **extra: str) -> tuple[Env, Env]:
    """The flagging worker's env and the NER agent's (its own group, metrics port and
    state; the same topics), with the model in the agent's node."""
    env = make_env(
        broker,
        workdir,
        NEWSFLOW_NER="alerts",
        NEWSFLOW_NER_PLACEMENT="agent",
        NEWSFLOW_WORKER_NODES=FLAGGING_NODES,
        **extra,
    )
    agent = {
        **env.vars,
        "NEWSFLOW_APP_ID": env.vars["NEWSFLOW_APP_ID"] + "-ner",
        "NEWSFLOW_WORKER_NODES": "annotate_alerts",
        "NEWSFLOW_METRICS_PORT": str(free_port()),
        "NEWSFLOW_DATA_DIR": str(workdir / "data-ner"),
    }
    return env, Env(agent, Settings.from_env(agent), workdir)


def assigned_partitions(metrics_port: int, topic: str) -> set[int]:
    """The partitions of ``topic`` a worker holds, from its consumer-lag gauges."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    return {
        int(s.labels["partition"])
        for family in text_string_to_metric_families(text)
        if family.name == "newsflow_consumer_lag"
        for s in family.samples
        if s.labels.get("topic") == topic
    }


class Worker:
    """`newsflow worker` (or another faust worker command) as a subprocess, logging to a file."""

    def __init__(
        self, env: Env, name: str = "worker", argv: tuple[str, ...] = ("-m", "pipeline", "worker")
    ) -> None:
        self.env = env
        self.argv = argv
        self.env_vars = dict(env.vars)  # what this worker was started with
        self.log = env.workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._mark = 0  # the log's size when the worker was spawned: readiness is logged after

    def start(self, timeout: float = 90) -> None:
        """Start the worker and wait until it logs that it is ready."""
        self.spawn()
        self.wait_ready(timeout)

    def spawn(self) -> None:
        """Start the worker without waiting (several start up at once); then :meth:`wait_ready`."""
        self._mark = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, *self.argv],
                env=self.env_vars,
                cwd=PROJECT_ROOT,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the worker spawned last logged "Worker ready".

        Raises:
            AssertionError: it exited, or was not ready within ``timeout`` (then it is killed).
        """
        assert self.proc is not None, "wait_ready() before spawn()"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited: {self.log.read_text()[-3000:]}")
            if b"Worker ready" in self.log.read_bytes()[self._mark :]:
                return
            time.sleep(0.1)
        # Not ready: do not leave it running behind the failed test (it would outlive the
        # run, retrying a broker that may be gone).
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"worker not ready in {timeout}s: {self.log.read_text()[-3000:]}")

    def stop(self, timeout: float = 60) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


@pytest.fixture(scope="module")
def pipeline_env(broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    env = make_env(broker, tmp_path_factory.mktemp("pipeline"))
    created = env.run_cli("topics", "create")
    assert created.returncode == 0, created.stderr
    yield env


@pytest.fixture(scope="module")
def worker(pipeline_env: Env) -> Iterator[Worker]:
    w = Worker(pipeline_env)
    w.start()
    yield w
    w.stop()


def read_all(topic: str, bootstrap: str = BOOTSTRAP) -> list[Record]:
    """Every record on ``topic`` up to its end offsets at the time of the call (no waiting
    for a quiet period: what was written is there, and nothing else is waited for)."""
    return asyncio.run(read_to_end(Settings(kafka_bootstrap=bootstrap), topic))


def wait_until(
    topic: str,
    done: Callable[[list[Record]], bool],
    timeout: float = 30,
    bootstrap: str = BOOTSTRAP,
    what: str = "",
) -> list[Record]:
    """Every record on ``topic`` (read to its end offsets) as soon as ``done`` holds for them.

    Raises:
        AssertionError: ``done`` did not hold within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        records = read_all(topic, bootstrap)
        if done(records):
            return records
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{topic}: {what or 'not there'} after {timeout} s ({len(records)} records)"
            )
        time.sleep(0.2)


def wait_for(
    topic: str, want: int = 1, timeout: float = 30, bootstrap: str = BOOTSTRAP
) -> list[Record]:
    """Every record on ``topic`` once there are at least ``want`` (read to the end offsets).

    Raises:
        AssertionError: fewer than ``want`` within ``timeout`` seconds.
    """
    return wait_until(
        topic, lambda rs: len(rs) >= want, timeout, bootstrap, f"fewer than {want} records"
    )


@dataclass
class ExtraBroker:
    """A second broker on its own ports, for tests that stop a broker (stopping it disturbs
    no other test). One per run: starting a broker costs seconds, so tests share it."""

    workdir: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The environment for deploy/local/kafka.sh that addresses this broker."""
        return {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "NEWSFLOW_LOCAL_DIR": str(self.workdir),
            "KAFKA_HEAP_OPTS": "-Xmx384m",
        }

    def start(self) -> None:
        """Start it and wait until it answers (at once when it already runs)."""
        subprocess.run([str(KAFKA_SH), "start"], env=self.env, check=True, timeout=120)

    def stop(self) -> None:
        """A clean shutdown; it keeps its data (topics) for the next start."""
        subprocess.run([str(KAFKA_SH), "stop"], env=self.env, check=True, timeout=60)


@pytest.fixture(scope="session")
def _extra_broker_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExtraBroker]:
    extra = ExtraBroker(tmp_path_factory.mktemp("extra-broker"))
    try:
        yield extra
    finally:
        subprocess.run([str(KAFKA_SH), "stop"], env=extra.env, check=False, timeout=60)


@pytest.fixture
def extra_broker(_extra_broker_process: ExtraBroker) -> ExtraBroker:
    """The run's one extra broker, running when the test begins. A test may stop it; the
    next test that asks for it finds it started again (the restart is paid only then, not
    after the last test), and the run's end stops it."""
    _extra_broker_process.start()
    return _extra_broker_process
