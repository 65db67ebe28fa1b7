"""Near-duplicates through the real broker: a syndicated copy of the seed is marked as a
duplicate of the first, also when the worker restarted in between on an empty disk (the
index comes back from its changelog topic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from pipeline.codec import parse_seed_text
from tests.integration.conftest import Env, Worker, wait_until


def _publish(env: Env, path: Path, article_id: str, title: str, body: str) -> None:
    path.write_bytes(
        orjson.dumps({"id": article_id, "title": title, "body": body, "published_at": "2025-06-02"})
    )
    out = env.run_cli("publish", str(path))
    assert out.returncode == 0, out.stderr


def _normalized(env: Env, article_id: str, timeout: float = 30) -> dict[str, Any]:
    records = wait_until(
        env.settings.topic_normalized,
        lambda rs: any(orjson.loads(r.value)["id"] == article_id for r in rs),
        timeout,
        what=f"no {article_id}",
    )
    doc: dict[str, Any] = next(
        d for d in (orjson.loads(r.value) for r in records) if d["id"] == article_id
    )
    return doc


def test_a_syndicated_copy_is_a_duplicate_also_after_a_restart_on_an_empty_disk(
    pipeline_env: Env, seed_path: Path, tmp_path: Path
) -> None:
    seed = parse_seed_text(seed_path.read_text())
    assert seed is not None
    title, body = seed["title"], seed["body"]
    copy_body = (
        "SEOUL (Agency) - "
        + body.replace("on Monday", "on Monday, June 2,")
        + "\n\nReporting by a staff correspondent; editing by the desk."
    )
    unrelated = (
        "The city council approved a new budget for schools and parks on "
        "Tuesday after a long debate about taxes and housing. "
    ) * 4

    first = Worker(pipeline_env, "worker-1")
    first.start()
    try:
        _publish(pipeline_env, tmp_path / "a.json", "seed-original", title, body)
        original = _normalized(pipeline_env, "seed-original")
        assert original["duplicate_of"] is None
        _publish(
            pipeline_env,
            tmp_path / "b.json",
            "seed-copy-1",
            "N. Korea defends Russia ties",
            copy_body,
        )
        copy1 = _normalized(pipeline_env, "seed-copy-1")
        assert copy1["duplicate_of"] == "seed-original"
        assert copy1["similarity"] >= pipeline_env.settings.dedupe_threshold
        _publish(pipeline_env, tmp_path / "c.json", "unrelated-1", "Budget passes", unrelated)
        assert _normalized(pipeline_env, "unrelated-1")["duplicate_of"] is None
    finally:
        assert first.stop() == 0

    # A new worker with an empty data directory must rebuild the index from Kafka.
    pipeline_env.vars["NEWSFLOW_DATA_DIR"] = str(tmp_path / "fresh-data")
    second = Worker(pipeline_env, "worker-2")
    second.start()
    try:
        _publish(pipeline_env, tmp_path / "d.json", "seed-copy-2", title, copy_body + " More.")
        copy2 = _normalized(pipeline_env, "seed-copy-2")
        assert copy2["duplicate_of"] == "seed-original"
        wait_until(
            pipeline_env.settings.topic_tagged,
            lambda rs: "seed-copy-2" in {orjson.loads(r.value)["article"]["id"] for r in rs},
            timeout=30,
            what="seed-copy-2 not tagged",
        )
    finally:
        second.stop()
