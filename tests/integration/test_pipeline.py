"""End to end through the real broker: the seed is flagged; bad input is dead-lettered."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import orjson

from tests.integration.conftest import Env, Worker, make_env, read_all, wait_for, wait_until
from tests.schema_check import validator


def _values(records: list[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


def test_seed_flows_to_one_normalized_one_tagged_and_an_alert_naming_kp_and_ru(
    pipeline_env: Env, worker: Worker, seed_path: Path
) -> None:
    _seed_flows(pipeline_env, seed_path)


def test_the_chained_layout_gives_the_same_records(
    broker: str, tmp_path: Path, seed_path: Path
) -> None:
    env = make_env(broker, tmp_path, NEWSFLOW_STAGE_LAYOUT="chained")
    assert env.run_cli("topics", "create").returncode == 0
    chained = Worker(env)
    chained.start()
    try:
        _seed_flows(env, seed_path)
    finally:
        assert chained.stop() == 0


def _seed_flows(pipeline_env: Env, seed_path: Path) -> None:
    s = pipeline_env.settings
    started = time.monotonic()
    published = pipeline_env.run_cli("publish", str(seed_path))
    assert published.returncode == 0, published.stderr
    assert "sent 1 article(s)" in published.stdout

    alerts = _values(wait_for(s.topic_alerts, 1, timeout=30))
    assert time.monotonic() - started < 30
    normalized = _values(wait_for(s.topic_normalized, 1, timeout=5))
    tagged = _values(wait_for(s.topic_tagged, 1, timeout=5))
    assert len(normalized) == 1
    assert len(tagged) == 1
    assert len(alerts) == 1

    text = normalized[0]["text"]
    assert tagged[0]["article"]["id"] == normalized[0]["id"]
    alert = alerts[0]
    assert not list(validator("alert").iter_errors(alert))
    assert {"KP", "RU"} <= set(alert["countries"])
    assert alert["article_id"] == normalized[0]["id"]
    assert alert["evidence"]
    for ev in alert["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["text"] in seed_path.read_text()


def test_malformed_input_is_dead_lettered_and_the_next_article_still_flows(
    pipeline_env: Env, worker: Worker, tmp_path: Path
) -> None:
    s = pipeline_env.settings
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"this is not JSON {")
    good = tmp_path / "good.json"
    good.write_bytes(
        orjson.dumps(
            {"id": "after-bad-1", "title": "Calm day", "body": "Nothing happened in Oslo today."}
        )
    )
    for path in (bad, good):
        out = pipeline_env.run_cli("publish", str(path))
        assert out.returncode == 0, out.stderr

    dead = _values(wait_for(s.topic_deadletter, 1, timeout=30))
    assert len(dead) == 1
    letter = dead[0]
    assert not list(validator("deadletter").iter_errors(letter))
    assert letter["reason"] == "decode.json"
    assert letter["stage"] == "normalize"
    assert letter["source_topic"] == s.topic_raw
    assert base64.b64decode(letter["original_b64"]) == b"this is not JSON {"

    wait_until(
        s.topic_normalized,
        lambda records: "after-bad-1" in {d["id"] for d in _values(records)},
        timeout=30,
        what="no after-bad-1",
    )
    assert len(read_all(s.topic_deadletter)) == 1  # still one: no late second letter
    assert worker.proc is not None
    assert worker.proc.poll() is None
