"""Settings come from NEWSFLOW_* variables into one frozen object."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.errors import FatalError
from pipeline.settings import Settings


def test_defaults_without_environment() -> None:
    s = Settings.from_env({})
    assert s.kafka_bootstrap == "127.0.0.1:9092"
    assert s.all_topics == (
        "news.articles.raw",
        "news.articles.normalized",
        "news.articles.tagged",
        "news.alerts.sanctions",
        "news.deadletter",
        "news.watchlist",
        "news.articles.dedupe",
        "news.alerts.candidates",
    )
    assert s.topic_partitions == 6
    assert s.metrics_port == 9108


def test_variables_override_defaults_with_their_types() -> None:
    s = Settings.from_env(
        {
            "NEWSFLOW_KAFKA_BOOTSTRAP": "127.0.0.1:9192,127.0.0.1:9193",
            "NEWSFLOW_TOPIC_PARTITIONS": "3",
            "NEWSFLOW_WATCHLISTS": "/a.jsonl:/b.jsonl",
            "NEWSFLOW_RULES": "/r.toml",
        }
    )
    assert s.broker_url == "kafka://127.0.0.1:9192;kafka://127.0.0.1:9193"
    assert s.topic_partitions == 3
    assert s.watchlists == (Path("/a.jsonl"), Path("/b.jsonl"))
    assert s.rules == Path("/r.toml")


@pytest.mark.parametrize(
    "env",
    [
        {"NEWSFLOW_METRICS_PORT": "ninety"},
        {"NEWSFLOW_TOPIC_PARTITIONS": "0"},
        {"NEWSFLOW_LOG_FORMAT": "xml"},
        {"NEWSFLOW_STAGE_LAYOUT": "parallel"},
        {"NEWSFLOW_EVENT_LOOP": "trio"},
        {"NEWSFLOW_CONSUMER_FETCH_BYTES": "65536"},  # smaller than one allowed message
    ],
)
def test_unusable_values_stop_with_a_fatal_error(env: dict[str, str]) -> None:
    with pytest.raises(FatalError):
        Settings.from_env(env)


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().app_id = "other"  # type: ignore[misc]
