"""Fault-test bookkeeping shared by tests/integration/test_faults.py (one broker) and
tests/cluster/ (three brokers): articles with ids, a worker part-way through them, and
the tally of every input id on the output topics (processed or dead-lettered, never
lost; duplicates counted).

``ROWS`` (``NEWSFLOW_FAULT_ROWS``, default ``.local/fault-rows.jsonl``) collects each
tally as a JSON line; ``python -m tests.cluster.table`` writes docs/reliability.md's
cluster table from it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from pipeline.corpus import articles
from pipeline.kafka import Record, publish, read_to_end, read_topics_to_end
from pipeline.settings import PROJECT_ROOT
from tests.integration.conftest import Env, Worker

COUNT = 2000
ROWS = Path(os.environ.get("NEWSFLOW_FAULT_ROWS", PROJECT_ROOT / ".local" / "fault-rows.jsonl"))
UNCOMMITTED = "read_uncommitted"
COMMITTED = "read_committed"


@dataclass
class Tally:
    fault: str
    sent: int
    processed: int
    dead: int
    lost: int
    duplicates: int  # inputs normalized more than once (their extra copies)
    recovery_s: float
    guarantee: str = "at-least-once"
    # Extra copies of a record on each output topic (same key and bytes; a dead letter:
    # same source offset), read with ``isolation``.
    topic_duplicates: dict[str, int] = field(default_factory=dict)
    isolation: str = UNCOMMITTED
    resync_s: float | None = None  # from a node's return until it was back in every ISR
    case: str = ""  # the test that measured it: the generated table keeps each case's latest

    def line(self) -> str:
        return (
            f"| {self.fault} | {self.sent} | {self.processed} | {self.dead} | {self.lost} "
            f"| {self.duplicates} | {self.recovery_s:.1f} s |"
        )

    def write(self, path: Path = ROWS) -> None:
        """Append this tally to the rows file (the generated tables' source)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        case = self.case or os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        row = {
            **asdict(self),
            "case": case,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        with path.open("ab") as fh:
            fh.write(orjson.dumps(row) + b"\n")


def inputs(n: int = COUNT, bad_every: int = 100) -> tuple[list[tuple[bytes, bytes]], set[str]]:
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


def read(env: Env, topic: str, isolation: str = UNCOMMITTED) -> list[Record]:
    """Every record on ``topic`` of the env's own brokers (with its security), up to the
    end offsets now (the last stable offsets with ``read_committed``)."""
    return asyncio.run(read_to_end(env.settings, topic, isolation_level=isolation))


def _ids(env: Env, isolation: str) -> tuple[set[str], set[str]]:
    s = env.settings
    read = asyncio.run(
        read_topics_to_end(s, [s.topic_normalized, s.topic_deadletter], isolation_level=isolation)
    )
    done = {orjson.loads(r.value)["id"] for r in read[s.topic_normalized]}
    failed = {r.key.decode() for r in read[s.topic_deadletter] if r.key}
    return done, failed


def _tagged_ids(env: Env, isolation: str) -> set[str]:
    tagged = read(env, env.settings.topic_tagged, isolation)
    return {orjson.loads(r.value)["article"]["id"] for r in tagged}


def output_topics(env: Env) -> list[str]:
    """Every topic the worker writes, the per-country alert topics among them."""
    s = env.settings
    fixed = [
        s.topic_normalized,
        s.topic_dedupe,
        s.topic_tagged,
        s.topic_alert_candidates,
        s.topic_alerts,
        s.topic_alert_sources,
        s.topic_deadletter,
    ]
    return fixed + [t for t in sorted(_topics(env)) if t.startswith(f"{s.topic_alerts}.")]


def _topics(env: Env) -> list[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.security import aiokafka_security

    async def names() -> list[str]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=env.settings.kafka_bootstrap, **aiokafka_security(env.settings)
        )
        await admin.start()
        try:
            return list(await admin.list_topics())
        finally:
            await admin.close()

    return asyncio.run(names())


def _identity(topic: str, deadletter: str, record: Record) -> tuple[object, ...]:
    if topic == deadletter:
        doc = orjson.loads(record.value)
        return (doc["source_topic"], doc["partition"], doc["offset"])
    return (record.key, hashlib.sha256(record.value).digest())


def topic_duplicates(env: Env, isolation: str) -> dict[str, int]:
    """Extra copies of a record on each output topic."""
    read = asyncio.run(
        read_topics_to_end(env.settings, output_topics(env), isolation_level=isolation)
    )
    out: dict[str, int] = {}
    for topic, records in read.items():
        seen = Counter(_identity(topic, env.settings.topic_deadletter, r) for r in records)
        out[topic.split(".", 2)[-1]] = sum(c - 1 for c in seen.values())  # test.<id>.<name>
    return out


def account(
    env: Env,
    ids: set[str],
    fault: str,
    recovery_s: float,
    *,
    guarantee: str = "at-least-once",
    isolation: str = UNCOMMITTED,
    per_topic: bool = False,
    resync_s: float | None = None,
) -> Tally:
    """Where every id went: processed (normalized, and so tagged), dead-lettered, or lost;
    with ``per_topic``, the extra copies on every output topic too."""
    normalized = read(env, env.settings.topic_normalized, isolation)
    dead = read(env, env.settings.topic_deadletter, isolation)
    processed = Counter(orjson.loads(r.value)["id"] for r in normalized)
    dead_ids = {r.key.decode() for r in dead if r.key}
    missing_downstream = set(processed) - _tagged_ids(env, isolation)
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
        guarantee=guarantee,
        topic_duplicates=topic_duplicates(env, isolation) if per_topic else {},
        isolation=isolation,
        resync_s=resync_s,
    )


@dataclass
class Supervisor:
    """What an orchestrator does for a worker: start it again when it stopped itself
    because its input stopped moving (exit 3 after the stall watchdog's log line,
    pipeline/worker/watchdog.py). Any other exit is a failure of the test."""

    worker: Worker
    restarts: int = 0

    def __call__(self) -> None:
        proc = self.worker.proc
        if proc is None or proc.poll() is None:
            return
        log = self.worker.log.read_text()
        assert proc.returncode == 3, f"the worker exited ({proc.returncode}): {log[-3000:]}"
        assert "input partitions stalled" in log, log[-3000:]
        self.restarts += 1
        self.worker.start()

    def went_on(self) -> str:
        """How the worker came through: "" if the same process went on throughout, else
        the restarts (for the fault's table line). The worker runs now."""
        assert self.worker.proc is not None
        assert self.worker.proc.poll() is None
        if not self.restarts:
            return ""
        return f"; stalled, stopped itself, restarted ({self.restarts}x)"


def wait_accounted(
    env: Env,
    ids: set[str],
    timeout: float,
    isolation: str = UNCOMMITTED,
    supervisor: Supervisor | None = None,
) -> float:
    """Seconds until every id is on the normalized or dead-letter topic, and every
    normalized one on the tagged topic too; meanwhile ``supervisor`` (if any) restarts
    a worker that stopped itself on a stall.

    Raises:
        AssertionError: not so within ``timeout`` seconds (with what is missing).
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if supervisor is not None:
            supervisor()
        done, failed = _ids(env, isolation)
        # The tagged topic (the most to read and parse) only once the inputs are accounted for.
        if ids <= done | failed and done <= _tagged_ids(env, isolation):
            return time.monotonic() - started
        time.sleep(0.5)
    done, failed = _ids(env, isolation)
    tagged = _tagged_ids(env, isolation)
    lost, untagged = sorted(ids - done - failed), sorted(done - tagged)
    raise AssertionError(
        f"not every input was accounted for within {timeout} s: {len(lost)} neither "
        f"normalized nor dead-lettered (e.g. {lost[:5]}), {len(untagged)} normalized but "
        f"not tagged (e.g. {untagged[:5]})"
    )


def wait_progress(
    env: Env, at_least: int, timeout: float = 60, isolation: str = UNCOMMITTED
) -> None:
    """Until at least ``at_least`` articles are on the normalized topic."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(read(env, env.settings.topic_normalized, isolation)) >= at_least:
            return
        time.sleep(0.25)
    raise AssertionError(f"fewer than {at_least} articles processed in {timeout} s")


def publish_all(env: Env, records: list[tuple[bytes, bytes]]) -> None:
    assert asyncio.run(publish(env.settings, records)) == len(records)


def report(tally: Tally, *, write: bool = False) -> None:
    """Print the tally's table line (and append it to ``ROWS``); nothing may be lost."""
    print(tally.line(), tally.topic_duplicates if tally.topic_duplicates else "")
    if write:
        tally.write()
    assert tally.lost == 0, tally
    assert tally.processed + tally.dead == tally.sent


def loaded_worker(
    env: Env, count: int = COUNT, isolation: str = UNCOMMITTED
) -> tuple[Worker, set[str]]:
    """A worker a quarter of the way through ``count`` inputs (the moment for a fault)."""
    records, ids = inputs(count)
    worker = Worker(env, "w1")
    worker.start()
    try:
        publish_all(env, records)
        wait_progress(env, count // 4, isolation=isolation)
    except BaseException:
        worker.stop()  # not left running behind the failed test
        raise
    assert worker.proc is not None
    return worker, ids
