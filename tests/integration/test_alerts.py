"""Alerts through the real broker: the seed raises one alert on the main alert topic and
on the per-country topics of the sanctioned states involved; a syndicated copy updates
that alert (same key, revision 2, both sources) instead of raising a second one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from pipeline.codec import parse_seed_text, validator
from tests.integration.conftest import Env, Worker, read_all, wait_for


def _values(records: list[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


def test_seed_alert_is_routed_per_country_and_a_copy_updates_it(
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
    alerts = _values(wait_for(s.topic_alerts, 2, timeout=30))
    assert len(alerts) == 2
    update = alerts[1]
    assert update["alert_id"] == alert["alert_id"]
    assert (update["status"], update["revision"]) == ("update", 2)
    assert update["duplicate_of"] == "seed-1"
    assert [src["article_id"] for src in update["sources"]] == ["seed-1", "seed-syndicated"]
    assert {a["alert_id"] for a in alerts} == {alert["alert_id"]}
    kp = _values(wait_for(s.country_topic("kp"), 2, timeout=10))
    assert [a["revision"] for a in kp] == [1, 2]
    # Read last, instead of waiting 3 s for nothing: the worker's one producer sends in
    # order, so a record for the first alert on the Iranian topic would be there by now.
    assert read_all(s.country_topic("ir")) == []
