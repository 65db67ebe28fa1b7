"""Alerts through the real broker: the seed raises one alert on the main alert topic and
on the per-country topics of the sanctioned states involved; a syndicated copy is counted
into that alert (its source record, keyed by the alert id, on the sources topic) and,
bringing nothing new, publishes no second alert record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from pipeline.codec import parse_seed_text
from tests.integration.conftest import Env, Worker, read_all, wait_for
from tests.schema_check import validator


def _values(records: list[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


def test_seed_alert_is_routed_per_country_and_a_copy_is_counted_into_it(
    pipeline_env: Env, worker: Worker, seed_path: Path, tmp_path: Path
) -> None:
    s = pipeline_env.settings
    created = pipeline_env.run_cli("topics", "list")
    assert f"exists   {s.topic_alerts}.kp" in created.stdout
    assert f"exists   {s.topic_alerts}.ru" in created.stdout

    seed = parse_seed_text(seed_path.read_text())
    assert seed is not None
    first = tmp_path / "first.json"
    first.write_bytes(orjson.dumps({**seed, "id": "seed-1"}))
    assert pipeline_env.run_cli("publish", str(first)).returncode == 0

    (alert,) = _values(wait_for(s.topic_alerts, 1, timeout=30))
    assert not list(validator("alert").iter_errors(alert))
    assert (alert["status"], alert["revision"]) == ("new", 1)
    assert [src["article_id"] for src in alert["sources"]] == ["seed-1"]
    for country in ("kp", "ru"):
        routed = _values(wait_for(s.country_topic(country), 1, timeout=10))
        assert [a["alert_id"] for a in routed] == [alert["alert_id"]]

    copy = tmp_path / "copy.json"
    copy.write_bytes(
        orjson.dumps(
            {
                **seed,
                "id": "seed-syndicated",
                "title": "N. Korea defends Russia ties as 'peace'",
                "body": "SEOUL (Agency) - " + seed["body"] + "\n\nEditing by the desk.",
            }
        )
    )
    assert pipeline_env.run_cli("publish", str(copy)).returncode == 0
    records = wait_for(s.topic_alert_sources, 2, timeout=30)
    assert [r.key for r in records] == [alert["alert_id"].encode()] * 2
    first_source, counted = _values(records)
    for source in (first_source, counted):
        assert not list(validator("alert-source").iter_errors(source))
    assert (first_source["article_id"], first_source["published"]) == ("seed-1", True)
    assert (counted["article_id"], counted["position"]) == ("seed-syndicated", 2)
    assert (counted["published"], counted["revision"]) == (False, 1)
    assert counted["duplicate_of"] == "seed-1"
    # nothing new in the copy: still the one alert record, here and per country (read
    # after the copy's source record: the worker's one producer sends in order, and a
    # published update goes out before its source record)
    assert len(read_all(s.topic_alerts)) == 1
    assert len(read_all(s.country_topic("kp"))) == 1
    assert read_all(s.country_topic("ir")) == []
