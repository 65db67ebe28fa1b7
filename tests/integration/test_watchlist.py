"""Live watchlist updates: an entity published to the watchlist topic is tagged within
seconds by the running worker, and a tombstone removes it again."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from tests.integration.conftest import Env, Worker, consume


def _tagged_with(env: Env, tmp_path: Path, entity_id: str, name: str, deadline_s: float) -> bool:
    """Publish articles naming ``name`` until one is tagged as ``entity_id`` (or time runs out)."""
    deadline = time.monotonic() + deadline_s
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        article_id = f"wl-{uuid.uuid4().hex[:8]}"
        path = tmp_path / f"{article_id}.json"
        path.write_bytes(
            orjson.dumps(
                {
                    "id": article_id,
                    "title": "Shipping update",
                    "body": f"Vessels operated by {name} called at Nakhodka on Tuesday.",
                }
            )
        )
        assert env.run_cli("publish", str(path)).returncode == 0
        for record in consume(env.settings.topic_tagged, want=attempt, timeout=10, settle=0):
            doc: dict[str, Any] = orjson.loads(record.value)  # type: ignore[attr-defined]
            if doc["article"]["id"] != article_id:
                continue
            return any(e["label"] == "WATCHLIST" and e["id"] == entity_id for e in doc["entities"])
    raise AssertionError("no tagged record came back in time")


def test_a_published_entity_is_tagged_and_a_tombstone_removes_it(
    pipeline_env: Env, worker: Worker, tmp_path: Path
) -> None:
    entity_id = f"test-{uuid.uuid4().hex[:8]}"
    name = "Qorvath Maritime Holdings"
    before = _tagged_with(pipeline_env, tmp_path, entity_id, name, 30)
    assert before is False

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
        found = _tagged_with(pipeline_env, tmp_path, entity_id, name, 30)
    assert found, "the new watchlist entity was never tagged"

    deleted = pipeline_env.run_cli("watchlist", "delete", entity_id)
    assert deleted.returncode == 0, deleted.stderr
    started = time.monotonic()
    still = True
    while still and time.monotonic() - started < 30:
        still = _tagged_with(pipeline_env, tmp_path, entity_id, name, 30)
    assert not still, "the deleted entity is still tagged"
