"""Failure paths that must stop or divert, never stall: an output the broker refuses
stops the worker loudly (and the restart loses nothing); an invalid live-watchlist record
is dead-lettered; a restarted worker tags only after its watchlist topic is caught up."""

from __future__ import annotations

import asyncio
import base64
import time
import urllib.request
import uuid
from pathlib import Path

import orjson
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.corpus import articles
from pipeline.kafka import publish, read_to_end
from pipeline.settings import Settings
from pipeline.worker.run import EXIT_FATAL
from tests.integration.conftest import Env, Worker, make_env


async def _set_topic_config(settings: Settings, topic: str, configs: dict[str, str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs)])
    finally:
        await admin.close()


def _ids_on(settings: Settings, topic: str, path: tuple[str, ...]) -> set[str]:
    out = set()
    for record in asyncio.run(read_to_end(settings, topic)):
        doc = orjson.loads(record.value)
        for part in path:
            doc = doc[part]
        out.add(str(doc))
    return out


def _poll(settings: Settings, topic: str, timeout: float) -> list[dict[str, object]]:
    """The records of ``topic`` (decoded) once there are any, or [] after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        docs = [orjson.loads(r.value) for r in asyncio.run(read_to_end(settings, topic))]
        if docs or time.monotonic() > deadline:
            return docs
        time.sleep(0.5)


def _env(broker: str, tmp_path: Path, **extra: str) -> Env:
    env = make_env(broker, tmp_path, **extra)
    assert env.run_cli("topics", "create").returncode == 0
    return env


def test_an_output_the_broker_refuses_stops_the_worker_and_the_restart_loses_nothing(
    broker: str, tmp_path: Path
) -> None:
    env = _env(broker, tmp_path)
    settings = env.settings
    # The tagged topic takes no record batch over 2 KB: every tagged article is refused
    # (MESSAGE_TOO_LARGE, not retriable), after its dedupe and normalize outputs went out.
    asyncio.run(_set_topic_config(settings, settings.topic_tagged, {"max.message.bytes": "2048"}))
    ids = {f"r-{i}" for i in range(60)}
    records = []
    for i, raw in enumerate(articles(60, seed=5)):
        doc = orjson.loads(raw)
        doc["id"] = f"r-{i}"
        records.append((doc["id"].encode(), orjson.dumps(doc)))
    asyncio.run(publish(settings, records))
    worker = Worker(env, "refused")
    worker.start()
    assert worker.proc is not None
    code = worker.proc.wait(120)
    log = worker.log.read_text()
    assert code == EXIT_FATAL, log[-2000:]
    assert "output not delivered after the producer's retries; stopping the worker" in log
    assert "MessageSizeTooLarge" in log or "RecordTooLarge" in log
    # a clean stop (acknowledged offsets committed, the group left), not the deadline
    assert "shutdown did not finish in time" not in log
    assert not _ids_on(settings, settings.topic_tagged, ("article", "id"))

    asyncio.run(
        _set_topic_config(settings, settings.topic_tagged, {"max.message.bytes": "8388608"})
    )
    again = Worker(env, "after-fix")
    again.start()
    try:
        deadline = time.monotonic() + 120
        tagged: set[str] = set()
        while time.monotonic() < deadline and not ids <= tagged:
            tagged = _ids_on(settings, settings.topic_tagged, ("article", "id"))
            time.sleep(1)
        assert ids <= tagged, f"lost after the restart: {sorted(ids - tagged)[:5]}"
    finally:
        assert again.stop() == 0


def _entity(entity_id: str, name: str) -> dict[str, object]:
    return {
        "id": entity_id,
        "schema": "Company",
        "properties": {"name": [name], "country": ["ru"], "topics": ["sanction"]},
        "datasets": ["test_list"],
    }


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not exposed")


def test_a_restarted_worker_tags_with_watchlist_changes_made_while_it_was_down(
    broker: str, tmp_path: Path
) -> None:
    """The watchlist change and the article naming it are both waiting when the worker
    starts: the article must be tagged with the new entity (the worker reads the
    watchlist topic to its end before it consumes articles)."""
    env = _env(broker, tmp_path)
    settings = env.settings
    first = Worker(env, "before")
    first.start()
    assert first.stop() == 0

    entity_id = f"test-{uuid.uuid4().hex[:8]}"
    name = "Velmora Shipping Group"
    line = orjson.dumps(_entity(entity_id, name))
    asyncio.run(publish(settings, [(entity_id.encode(), line)], settings.topic_watchlist))
    article = {"id": "pending-1", "title": "Port call", "body": f"{name} ships called at Ust-Luga."}
    asyncio.run(publish(settings, [(b"pending-1", orjson.dumps(article))]))

    second = Worker(env, "after")
    second.start()
    try:
        (doc,) = _poll(settings, settings.topic_tagged, 60)
        entities = doc["entities"]
        assert isinstance(entities, list)
        assert any(e["label"] == "WATCHLIST" and e["id"] == entity_id for e in entities)
        log = second.log.read_text()
        assert "watchlist caught up" in log
        port = int(env.vars["NEWSFLOW_METRICS_PORT"])
        assert _metric(port, "newsflow_watchlist_caught_up_timestamp_seconds") > 0
    finally:
        assert second.stop() == 0


def test_an_invalid_live_watchlist_record_is_dead_lettered(broker: str, tmp_path: Path) -> None:
    env = _env(broker, tmp_path)
    settings = env.settings
    worker = Worker(env)
    worker.start()
    try:
        bad = b'{"id": "x-1", "schema": "Company"'  # cut off: not JSON
        asyncio.run(publish(settings, [(b"x-1", bad)], settings.topic_watchlist))
        (letter,) = _poll(settings, settings.topic_deadletter, 30)
        assert letter["reason"] == "watchlist.invalid"
        assert letter["source_topic"] == settings.topic_watchlist
        assert base64.b64decode(str(letter["original_b64"])) == bad
    finally:
        assert worker.stop() == 0
