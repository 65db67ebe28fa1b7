"""The stream and the in-memory runner give the same records.

A mixed corpus (the seed, syndicated copies of it, follow-up stories on the same actors,
calm articles, synthetic articles and every hostile input) goes through the real broker
and a worker, one partition per topic so that order is defined; the raw records, with the
timestamps the broker gave them, are then fed to the in-memory runner. Every output
topic must hold the same records in the same order (keys and values; dead letters
without their ``failed_at`` clock reading).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson

from pipeline.corpus import articles
from pipeline.kafka import LagProbe, publish, read_to_end
from pipeline.records import Record
from pipeline.resources import build_stages, pipeline_topics
from pipeline.runner import MemoryRunner
from pipeline.settings import Settings
from tests.hostile import CASES
from tests.integration.conftest import Env, Worker, make_env

# The broker takes records up to 1 MiB; the hostile "too large" input is left out here.
PUBLISHABLE = 1024 * 1024


def _corpus(seed: bytes) -> list[bytes]:
    title, _, body = seed.decode().partition("\n")
    headline = title.split(" ", 3)[-1]
    follow_up = (
        "Pyongyang sent another consignment of artillery shells and rockets to Russia by "
        "rail, South Korea's military said on Thursday, in breach of UN resolutions. "
        "Officials in Seoul said the munitions crossed at Tumangang."
    )
    china = (
        " Investigators said China supplied components to North Korea for the shells "
        "shipped to Russia."
    )
    return [
        seed,
        orjson.dumps({"id": "copy-1", "title": headline, "body": body}),
        orjson.dumps({"id": "copy-2", "title": headline, "body": body + "\n\n(Reuters)"}),
        orjson.dumps({"id": "follow-1", "title": "More shells for Moscow", "body": follow_up}),
        orjson.dumps({"id": "calm-1", "title": "Snow", "body": "Snow fell in Oslo today."}),
        *articles(40, seed=11, relevant_share=0.5),
        *(case.raw for case in CASES if len(case.raw) <= PUBLISHABLE),
        orjson.dumps({"id": "follow-2", "title": "Shells again", "body": follow_up + " More."}),
        # a follow-up that brings a new country: published as an update, not only counted
        orjson.dumps({"id": "follow-3", "title": "Chinese parts", "body": follow_up + china}),
    ]


def _comparable(record: Record, deadletter: str) -> tuple[Any, ...]:
    value: Any = record.value
    if record.topic == deadletter:
        value = {k: v for k, v in orjson.loads(record.value).items() if k != "failed_at"}
    return (record.partition, record.offset, record.key, value)


def _caught_up(settings: Settings, sources: list[str], timeout: float) -> None:
    """Until the worker's group has committed every source topic to its end, twice in a
    row (nothing left to do)."""

    async def lags() -> list[int]:
        probe = LagProbe(settings, settings.app_id)
        await probe.start()
        try:
            return [lag.lag for lag in await probe.read([(t, 0) for t in sources])]
        finally:
            await probe.stop()

    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        quiet = quiet + 1 if not any(asyncio.run(lags())) else 0
        if quiet >= 2:
            return
        time.sleep(1)
    raise AssertionError(f"the worker did not finish the corpus in {timeout} s")


def test_the_stream_and_the_in_memory_runner_write_the_same_records(
    broker: str, tmp_path: Path, seed_bytes: bytes
) -> None:
    env: Env = make_env(broker, tmp_path, NEWSFLOW_TOPIC_PARTITIONS="1")
    assert env.run_cli("topics", "create").returncode == 0
    settings = env.settings
    corpus = _corpus(seed_bytes)
    worker = Worker(env)
    worker.start()
    try:
        sent = asyncio.run(publish(settings, [(None, raw) for raw in corpus]))
        assert sent == len(corpus)
        runner_probe = MemoryRunner(settings, build_stages(settings), count_metrics=False)
        sources = list(runner_probe.topology.sources)
        _caught_up(settings, sources, 180)
    finally:
        assert worker.stop() == 0

    outputs = [t for t in pipeline_topics(settings) if t not in (settings.topic_watchlist,)]
    stream = {t: asyncio.run(read_to_end(settings, t)) for t in outputs}
    raws = stream[settings.topic_raw]
    assert len(raws) == len(corpus)

    runner = MemoryRunner(settings, build_stages(settings), count_metrics=False)
    memory: dict[str, list[Record]] = {t: [] for t in outputs}
    for raw in raws:
        for w in runner.feed(raw.value, key=raw.key, timestamp_ms=raw.timestamp_ms).written:
            memory[w.topic].append(w)

    dead = settings.topic_deadletter
    for topic in outputs:
        got = [_comparable(r, dead) for r in stream[topic]]
        want = [_comparable(r, dead) for r in memory[topic]]
        assert got == want, f"{topic}: the stream and the in-memory runner differ"
    # the corpus exercised what the comparison is about
    normalized = [orjson.loads(r.value) for r in stream[settings.topic_normalized]]
    alerts = [orjson.loads(r.value) for r in stream[settings.topic_alerts]]
    assert sum(1 for a in normalized if a["duplicate_of"]) >= 2
    assert {a["status"] for a in alerts} == {"new", "update"}
    counted = [orjson.loads(r.value) for r in stream[settings.topic_alert_sources]]
    assert not all(c["published"] for c in counted)  # some were only counted
    assert len(stream[dead]) >= sum(
        1 for c in CASES if c.verdict == "dead" and len(c.raw) <= PUBLISHABLE
    )
    assert stream[settings.country_topic("KP")]
