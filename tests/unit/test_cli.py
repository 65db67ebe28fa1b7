"""The CLI's in-process mode and its readable output, without a broker."""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from pipeline.cli import _readable, cli


def test_process_prints_article_entities_alerts_and_deadletters(
    tmp_path: Path, seed_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not text")
    quiet = tmp_path / "quiet.json"
    quiet.write_text('{"title": "Snow", "body": "Snow fell in Oslo."}')
    result = CliRunner().invoke(cli, ["process", str(seed_path), str(bad), str(quiet)])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    seed, dead, calm = lines
    text = seed["article"]["text"]
    assert {e["label"] for e in seed["entities"]} >= {"COUNTRY", "ORGANIZATION"}
    for e in seed["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
    (alert,) = seed["alerts"]
    assert {"KP", "RU"} <= set(alert["countries"])
    assert 0 <= alert["score"] <= 1
    for ev in alert["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"]
    assert dead["deadletter"].pop("error")  # the decoder's message, whatever its wording
    assert dead == {
        "deadletter": {"stage": "normalize", "reason": "decode.utf8", "path": str(bad), "index": 0}
    }
    assert calm["alerts"] == []


def test_process_runs_dedupe_and_routing_as_the_stream_does(
    tmp_path: Path, seed_bytes: bytes
) -> None:
    """A syndicated copy of the seed (new id, same text) is a near-duplicate, counted
    into the seed's alert (its source record names that alert) and, bringing nothing
    new, not published as an update."""
    seed = tmp_path / "a-seed.txt"
    seed.write_bytes(seed_bytes)
    title, _, body = seed_bytes.decode().partition("\n")
    copy = tmp_path / "b-copy.json"
    copy.write_bytes(
        orjson.dumps({"id": "syndicated-copy", "title": title.split(" ", 3)[-1], "body": body})
    )
    result = CliRunner().invoke(cli, ["process", str(tmp_path)])
    assert result.exit_code == 0, result.output
    first, second = (orjson.loads(line) for line in result.stdout.splitlines())
    assert first["article"]["duplicate_of"] is None
    assert second["article"]["duplicate_of"] == first["article"]["id"]
    (opened,) = first["alerts"]
    assert (opened["status"], opened["revision"], opened["source_count"]) == ("new", 1, 1)
    assert second["alerts"] == []
    (copied,) = second["sources"]
    assert copied["alert_id"] == opened["alert_id"]
    assert (copied["position"], copied["revision"], copied["published"]) == (2, 1, False)
    assert copied["duplicate_of"] == first["article"]["id"]
    assert [s["position"] for s in first["sources"]] == [1]


def test_process_records_prints_every_topic_written(tmp_path: Path, seed_path: Path) -> None:
    result = CliRunner().invoke(cli, ["process", "--records", str(seed_path)])
    assert result.exit_code == 0, result.output
    topics = [orjson.loads(line)["topic"] for line in result.stdout.splitlines()]
    assert topics[:4] == [
        "news.articles.raw",
        "news.articles.dedupe",
        "news.articles.normalized",
        "news.articles.tagged",
    ]
    assert "news.alerts.candidates" in topics
    assert "news.alerts.sanctions" in topics
    assert "news.alerts.sanctions.kp" in topics


def test_process_exits_non_zero_only_for_an_unreadable_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["process", str(tmp_path / "missing.json")])
    assert result.exit_code == 1


def test_readable_alert_shows_severity_title_and_evidence() -> None:
    alert = {
        "alert_id": "a",
        "article_id": "x",
        "title": "Title",
        "url": None,
        "published_at": None,
        "event_types": ["arms_transfer"],
        "countries": ["KP", "RU"],
        "watchlist": [],
        "score": 0.9,
        "severity": "high",
        "flows": [{"supplier": "KP", "recipient": "RU", "sentence": 1}],
        "quantities": [],
        "rule_version": "v",
        "evidence": [
            {
                "event_type": "arms_transfer",
                "rule": "r",
                "text": "Shells went.",
                "start": 7,
                "end": 19,
                "sentence": 1,
                "trigger": "Shells",
            }
        ],
    }
    out = _readable(orjson.dumps(alert))
    assert out.splitlines()[0] == "[high 0.90] Title"
    assert "KP->RU" in out
    assert '- arms_transfer [7:19] "Shells went."' in out


def test_bench_json_reports_every_stage_the_chain_and_the_baseline() -> None:
    result = CliRunner().invoke(cli, ["bench", "--quick", "--json", "--articles", "60"])
    assert result.exit_code == 0, result.output
    figures = orjson.loads(result.stdout)
    rates = figures["articles_per_second"]
    assert set(rates) == {"normalize", "dedupe", "tag", "flag", "route", "chain"}
    assert all(v is None or v > 0 for v in rates.values())
    assert rates["chain"] > 0
    assert figures["baseline_articles_per_second"] > rates["chain"]
    assert figures["articles"] == 60
