"""An alert storm through the real worker: 2,000 articles on one story make the new
alert and one update per material change on the alert topic, every article once on the
sources topic, and no record larger than 64 KB (tests/unit/test_wiring.py runs 20,000
through the in-memory runner)."""

from __future__ import annotations

import asyncio
import time

import orjson

from pipeline.kafka import publish, read_to_end
from tests.integration.conftest import Env, Worker
from tests.story import CHANGES, story

STORM = 2_000
RECORD_LIMIT = 64 * 1024


def test_an_alert_storm_through_the_worker_stays_bounded(pipeline_env: Env) -> None:
    s = pipeline_env.settings
    worker = Worker(pipeline_env)
    worker.start()
    try:
        started = time.monotonic()
        raws = story(STORM)
        # The first article opens the alert before the rest arrive: the three input
        # partitions are consumed in no fixed order, and a change article processed
        # first would open the alert itself (one update fewer, rightly).
        assert asyncio.run(publish(s, [(None, raws[0])])) == 1
        while not asyncio.run(read_to_end(s, s.topic_alerts)):
            assert time.monotonic() - started < 30, "the first article opened no alert"
            time.sleep(0.2)
        sent = 1 + asyncio.run(publish(s, [(None, raw) for raw in raws[1:]]))
        assert sent == STORM
        deadline = started + 60
        sources: list[object] = []
        while time.monotonic() < deadline:
            sources = asyncio.run(read_to_end(s, s.topic_alert_sources))
            if len(sources) >= STORM:
                break
            time.sleep(1)
        elapsed = time.monotonic() - started
    finally:
        assert worker.stop() == 0
    assert len(sources) == STORM, f"{len(sources)} sources after {elapsed:.0f} s"
    alerts = asyncio.run(read_to_end(s, s.topic_alerts))
    kp = asyncio.run(read_to_end(s, s.country_topic("KP")))
    values = [orjson.loads(r.value) for r in alerts]
    assert [v["revision"] for v in values] == list(range(1, len(CHANGES) + 2))
    assert [v["status"] for v in values] == ["new"] + ["update"] * len(CHANGES)
    assert len({r.key for r in sources}) == 1
    assert {r.key for r in alerts} == {values[0]["alert_id"].encode()}
    assert len(kp) == len(alerts)
    largest = max(len(r.value) for r in (*alerts, *kp, *sources))
    assert largest <= RECORD_LIMIT
    alert_bytes = sum(len(r.value) for r in alerts)
    source_bytes = sum(len(r.value) for r in sources)
    assert source_bytes < STORM * 1024
    print(
        f"\n{STORM} articles in {elapsed:.1f} s: {len(alerts)} alert records, {alert_bytes} B;"
        f" {len(sources)} source records, {source_bytes} B; largest record {largest} B"
    )
