"""Live watchlist updates: an entity published to the watchlist topic is tagged within
seconds by the running worker, and a tombstone removes it again."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from pipeline.kafka import publish
from tests.integration.conftest import Env, Worker, wait_until


def _watchlist_hits(env: Env, name: str, timeout: float = 30) -> dict[str, str]:
    """Publish an article naming ``name``; its tagged form's watchlist hits, id -> text."""
    article_id = f"wl-{uuid.uuid4().hex[:8]}"
    article = {
        "id": article_id,
        "title": "Shipping update",
        "body": f"Vessels operated by {name} called at Nakhodka on Tuesday.",
    }
    sent = asyncio.run(publish(env.settings, [(article_id.encode(), orjson.dumps(article))]))
    assert sent == 1

    def ours(records: list[Any]) -> list[dict[str, Any]]:
        docs = (orjson.loads(r.value) for r in records)
        return [d for d in docs if d["article"]["id"] == article_id]

    records = wait_until(
        env.settings.topic_tagged, lambda rs: bool(ours(rs)), timeout, what=f"no {article_id}"
    )
    doc = ours(records)[0]
    return {e["id"]: e["text"] for e in doc["entities"] if e["label"] == "WATCHLIST"}


def test_a_published_entity_is_tagged_and_a_tombstone_removes_it(
    pipeline_env: Env, worker: Worker, tmp_path: Path
) -> None:
    entity_id = f"test-{uuid.uuid4().hex[:8]}"
    name = "Qorvath Maritime Holdings"
    before = _watchlist_hits(pipeline_env, name)
    assert before == {}  # nobody on the file-based list: only the topic can add the name

    entity = {
        "id": entity_id,
        "schema": "Company",
        "properties": {"name": [name], "country": ["ru"], "topics": ["sanction"]},
        "datasets": ["test_list"],
    }
    path = tmp_path / "entity.jsonl"
    path.write_bytes(orjson.dumps(entity) + b"\n")
    published = pipeline_env.run_cli("watchlist", "publish", str(path))
    assert published.returncode == 0, published.stderr
    started = time.monotonic()
    found = False
    while not found and time.monotonic() - started < 30:
        found = entity_id in _watchlist_hits(pipeline_env, name)
    assert found, "the new watchlist entity was never tagged"

    deleted = pipeline_env.run_cli("watchlist", "delete", entity_id)
    assert deleted.returncode == 0, deleted.stderr
    started = time.monotonic()
    still = True
    while still and time.monotonic() - started < 30:
        still = entity_id in _watchlist_hits(pipeline_env, name)
    assert not still, "the deleted entity is still tagged"
