"""Security for real: a three-node cluster whose only listener is SASL_SSL (SCRAM-SHA-512)
with certificates made here by a throwaway CA (tests/cluster/tls.py), authorization on
(StandardAuthorizer, super user admin, nothing allowed without an ACL).

The worker's principal is allowed its own topics (prefix), its group and its
transactional ids, and nothing else. It runs end to end with its credentials; with a
wrong password it is refused and exits non-zero at once; a valid principal without ACLs
cannot read the alert topics; no password appears in any log line; the metrics endpoint
listens on loopback only.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from pipeline.kafka import publish
from pipeline.security import aiokafka_security
from pipeline.settings import PROJECT_ROOT, Settings
from tests.cluster.conftest import Cluster
from tests.cluster.tls import SecureDir, make_secure_dir
from tests.faults import read
from tests.integration.conftest import Env, Worker, make_env

SEED_ARTICLES = PROJECT_ROOT / "seeds" / "articles"
PORT = 19392  # nodes on 19392-19394, controllers on 19492-19494: clear of the plain cluster


@dataclass
class Secured:
    cluster: Cluster
    tls: SecureDir
    workdir: Path

    def settings(self, user: str, password: str) -> dict[str, str]:
        return {
            "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "NEWSFLOW_KAFKA_SASL_USERNAME": user,
            "NEWSFLOW_KAFKA_SASL_PASSWORD": password,
            "NEWSFLOW_KAFKA_SSL_CAFILE": str(self.tls.ca),
        }

    def env(self, workdir: Path, user: str, password: str, **extra: str) -> Env:
        workdir.mkdir(parents=True, exist_ok=True)
        return make_env(
            self.cluster.bootstrap,
            workdir,
            NEWSFLOW_TOPIC_REPLICATION="3",
            NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS="2",
            **self.settings(user, password),
            **extra,
        )

    def as_admin(self, env: Env) -> Settings:
        """The env's settings with the super user's credentials."""
        return Settings.from_env({**env.vars, **self.settings("admin", self.tls.admin_password)})

    def allow_worker(self, env: Env) -> None:
        """The worker's ACLs: its topics (prefix), its group, its changelogs and
        transactional ids (prefix = the app id), as a consumer and a producer."""
        prefix = env.settings.topic_raw.rsplit(".", 1)[0] + "."
        self.cluster.sh(
            "acls", "--add", "--allow-principal", "User:worker", "--consumer", "--producer",
            "--resource-pattern-type", "prefixed", "--topic", prefix,
            "--topic", env.settings.app_id, "--group", env.settings.app_id,
            "--transactional-id", env.settings.app_id,
        )  # fmt: skip


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    root = tmp_path_factory.mktemp("secured")
    tls = make_secure_dir(root / "tls", ("worker", "analyst"))
    cluster = Cluster(
        env={
            **os.environ,
            "CLUSTER_DIR": str(root / "cluster"),
            "CLUSTER_PORT": str(PORT),
            "CLUSTER_SECURE_DIR": str(tls.path),
            "CLUSTER_HEAP_OPTS": "-Xmx384m -Xms384m",
        }
    )
    try:
        cluster.start()
        yield Secured(cluster, tls, root)
    finally:
        cluster.sh("stop")


@pytest.fixture(scope="module")
def worker_env(secured: Secured) -> Env:
    """Topics created by the worker's principal, with its ACLs."""
    env = secured.env(secured.workdir / "worker", "worker", secured.tls.users["worker"])
    secured.allow_worker(env)
    created = env.run_cli("topics", "create")
    assert created.returncode == 0, created.stderr
    return env


def _consume(settings: Settings, topic: str, group: str | None = None) -> None:
    async def run() -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            **aiokafka_security(settings),
        )
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=5000)
        finally:
            await consumer.stop()

    asyncio.run(asyncio.wait_for(run(), 60))


def test_the_worker_runs_end_to_end_with_its_credentials(secured: Secured, worker_env: Env) -> None:
    articles = sorted(SEED_ARTICLES.iterdir())[:20]
    worker = Worker(worker_env)
    worker.start()
    try:
        # A publisher with its own rights: the super user here.
        admin = secured.as_admin(worker_env)
        records = [(None, p.read_bytes()) for p in articles]
        assert asyncio.run(publish(admin, records)) == len(records)
        deadline = time.monotonic() + 120
        tagged = []
        while time.monotonic() < deadline and len(tagged) < len(records):
            tagged = read(worker_env, worker_env.settings.topic_tagged)
            time.sleep(0.5)
        assert len(tagged) == len(records)
        alerts = read(worker_env, worker_env.settings.topic_alerts)  # as the worker
        assert alerts, "the seed articles raise alerts"
        assert all(orjson.loads(a.value)["alert_id"] for a in alerts)
        # The metrics endpoint listens on loopback only (NEWSFLOW_METRICS_HOST's default).
        port = int(worker_env.vars["NEWSFLOW_METRICS_PORT"])
        assert _listening(port) == {"127.0.0.1"}
    finally:
        # Its exit status on SIGTERM is test_faults.py's business; here, that it stops.
        worker.stop()
    _no_secret_in(secured, [worker.log])


def test_wrong_credentials_are_refused_and_the_worker_exits_non_zero(
    secured: Secured, tmp_path: Path
) -> None:
    env = secured.env(tmp_path, "worker", "not-the-password")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "worker"],
        env=env.vars,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    took = time.monotonic() - started
    print(f"\nwrong password: exit {done.returncode} after {took:.1f} s: {done.stderr[-300:]}")
    assert done.returncode != 0
    assert "refused the credentials of 'worker' (SCRAM-SHA-512)" in done.stderr, done.stderr
    assert "authentication failed" in done.stderr.lower()
    assert "not-the-password" not in done.stdout + done.stderr


def test_a_principal_without_acls_cannot_read_the_alert_topics(
    secured: Secured, worker_env: Env, tmp_path: Path
) -> None:
    analyst_vars = {**worker_env.vars, **secured.settings("analyst", secured.tls.users["analyst"])}
    analyst = Settings.from_env(analyst_vars)
    with pytest.raises(TopicAuthorizationFailedError):
        _consume(analyst, worker_env.settings.topic_alerts)
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        _consume(analyst, worker_env.settings.country_topic("KP"), group="analysts")
    # Run as a worker, that principal stops at once, saying why.
    denied = subprocess.run(
        [sys.executable, "-m", "pipeline", "worker"],
        env={**analyst_vars, "NEWSFLOW_DATA_DIR": str(tmp_path / "data")},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert denied.returncode != 0
    assert "Kafka principal 'analyst' is not allowed" in denied.stderr, denied.stderr[-2000:]


def test_the_worker_principal_reaches_no_other_topic(secured: Secured, worker_env: Env) -> None:
    other = secured.env(secured.workdir / "other", "admin", secured.tls.admin_password)
    assert other.run_cli("topics", "create").returncode == 0  # as the super user
    with pytest.raises(TopicAuthorizationFailedError):
        _consume(worker_env.settings, other.settings.topic_alerts)
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(publish(worker_env.settings, [(b"k", b"v")], other.settings.topic_raw))


def _listening(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net)."""
    addresses = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                if width == 8:
                    raw = bytes.fromhex(address)[::-1]
                    addresses.add(".".join(str(b) for b in raw))
                else:
                    addresses.add(address)
    return addresses


def _no_secret_in(secured: Secured, logs: list[Path]) -> None:
    """No password in the given logs, nor in any of the secured brokers' logs."""
    brokers = list((secured.workdir / "cluster").glob("node-*/logs/*.log"))
    assert brokers
    for path in [*logs, *brokers]:
        text = path.read_text(errors="replace")
        for secret in secured.tls.secrets():
            assert secret not in text, f"a password in {path}"
