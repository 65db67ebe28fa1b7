"""Hostile input through the real broker: every case is processed or dead-lettered with
its reason, a stage that raises dead-letters the input with the exception type and the
partition keeps flowing, and dead letters are replayed after the fix."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.errors import RejectedMessage
from pipeline.settings import Settings
from tests.hostile import CASES
from tests.integration.conftest import BOOTSTRAP, Env, Worker, wait_for, wait_until
from tests.single import normalize_one

POISON = "POISON-7f3a"
BIG = 16 * 1024 * 1024


async def _allow_big_records(topic: str) -> None:
    """Let the input topic take 16 MiB records, so the worker itself must refuse 10 MiB."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC, topic, configs={"max.message.bytes": str(BIG)}
                )
            ]
        )
    finally:
        await admin.close()


async def _send(topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP, max_request_size=BIG, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


def _expected_id(raw: bytes) -> str | None:
    try:
        return normalize_one(raw, Settings(), None).id
    except RejectedMessage:
        return None


def _docs(records: list[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


def test_hostile_corpus_poison_and_replay(pipeline_env: Env, tmp_path: Path) -> None:
    s = pipeline_env.settings
    asyncio.run(_allow_big_records(s.topic_raw))
    pipeline_env.vars["NEWSFLOW_FAULT_MARKER"] = POISON
    worker = Worker(pipeline_env, "hostile-worker")
    worker.start()
    try:
        poison = orjson.dumps(
            {
                "id": "poison-1",
                "title": "Poison",
                "body": f"North Korea shipped shells to Russia. {POISON}",
            }
        )
        sentinel = orjson.dumps({"id": "after-all", "title": "Calm", "body": "Snow in Oslo."})
        records = [(c.name.encode(), c.raw) for c in CASES]
        records += [(b"poison", poison), (b"sentinel", sentinel)]
        asyncio.run(_send(s.topic_raw, records))

        dead_cases = [c for c in CASES if c.verdict == "dead"]
        letters = _docs(wait_for(s.topic_deadletter, len(dead_cases) + 1, timeout=60))
        by_key = {base64.b64decode(d["key_b64"]).decode(): d for d in letters}
        for case in dead_cases:
            assert by_key[case.name]["reason"] == case.reason, case.name
            original = base64.b64decode(by_key[case.name]["original_b64"])
            assert case.raw.startswith(original), case.name
        assert by_key["poison"]["reason"] == "bug.RuntimeError"
        assert by_key["poison"]["stage"] == "normalize"
        big = by_key["10 MiB message"]
        assert big["original_truncated"] is True
        assert big["original_size"] == len(next(c.raw for c in CASES if c.name == "10 MiB message"))

        ok_ids = {_expected_id(c.raw) for c in CASES if c.verdict == "ok"} | {"after-all"}
        wait_until(
            s.topic_normalized,
            lambda rs: ok_ids <= {d["id"] for d in _docs(rs)},
            timeout=60,
            what="not every good case normalized",
        )
        assert worker.proc is not None
        assert worker.proc.poll() is None  # the worker never stopped

        dry = pipeline_env.run_cli("replay-deadletters", "--reason", "bug", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "1 match" in dry.stdout
        assert f"dry run: would replay 1 to {s.topic_raw}" in dry.stdout
    finally:
        assert worker.stop() == 0

    # The fix: the worker runs without the fault; replaying the bug letters processes them.
    pipeline_env.vars.pop("NEWSFLOW_FAULT_MARKER")
    fixed = Worker(pipeline_env, "fixed-worker")
    fixed.start()
    try:
        replay = pipeline_env.run_cli("replay-deadletters", "--reason", "bug")
        assert replay.returncode == 0, replay.stderr
        assert f"replayed 1 to {s.topic_raw}" in replay.stdout
        wait_until(
            s.topic_normalized,
            lambda rs: "poison-1" in {d["id"] for d in _docs(rs)},
            timeout=60,
            what="the replayed poison-1 not normalized",
        )
    finally:
        fixed.stop()
