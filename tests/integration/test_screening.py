"""Screening in the running worker with an OFAC-shaped list loaded beside the sample list
(invented parties written as OFAC writes them: capitals, weak aliases, vessels, a
generic ministry, namesakes): an alert names the parties with their explanation, and the
false kinds of match stay candidates on the tagged topic."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import orjson

from pipeline.kafka import publish
from pipeline.settings import PROJECT_ROOT
from tests.integration.conftest import Worker, make_env, wait_until

LIST = PROJECT_ROOT / "tests" / "fixtures" / "watchlists" / "ofac-shaped.ftm.jsonl"

DESIGNATION = (
    "The US Treasury on Monday imposed sanctions on Khorvan Petrochemical Trading Co (KPT), "
    "which it said shipped Iranian oil to China aboard the tanker Sunrise. KPT denied it. "
    "Dariush Amin Talevani, the firm's director, was also designated."
)
FALSE_KINDS = (
    "Lawmakers in Washington debated the Caesar Act on Tuesday. Separately, Britain's "
    "Ministry of Defence announced a training drill. Sunrise came early over the hills, and "
    "researcher Li Wen presented a study of graphene."
)


def _tagged(records: list[Any], article_id: str) -> dict[str, Any] | None:
    for r in records:
        doc = orjson.loads(r.value)
        if doc["article"]["id"] == article_id:
            return dict(doc)
    return None


def test_the_worker_screens_names_of_an_ofac_shaped_list(broker: str, tmp_path: Path) -> None:
    sample = PROJECT_ROOT / "seeds" / "watchlists" / "sample.ftm.jsonl"
    env = make_env(broker, tmp_path, NEWSFLOW_WATCHLISTS=os.pathsep.join([str(sample), str(LIST)]))
    assert env.run_cli("topics", "create").returncode == 0
    worker = Worker(env)
    worker.start()
    try:
        articles = [
            (b"scr-1", orjson.dumps({"id": "scr-1", "title": "Treasury", "body": DESIGNATION})),
            (b"scr-2", orjson.dumps({"id": "scr-2", "title": "Notes", "body": FALSE_KINDS})),
        ]
        assert asyncio.run(publish(env.settings, articles)) == 2
        tagged = wait_until(
            env.settings.topic_tagged,
            lambda rs: all(_tagged(rs, i) for i in ("scr-1", "scr-2")),
            60,
            broker,
            "both articles tagged",
        )
        alerts = wait_until(
            env.settings.topic_alerts,
            lambda rs: any(orjson.loads(r.value)["article_id"] == "scr-1" for r in rs),
            60,
            broker,
            "the designation's alert",
        )
    finally:
        worker.stop()

    alert = next(d for d in (orjson.loads(r.value) for r in alerts) if d["article_id"] == "scr-1")
    parties = {hit["id"]: hit for hit in alert["watchlist"]}
    assert {"inv-1", "inv-2", "inv-3"} <= set(parties)
    for hit in parties.values():
        assert hit["features"][0]["name"] == "match"
        assert hit["score"] >= 0.7

    designation = _tagged(tagged, "scr-1")
    assert designation is not None
    weak = [e for e in designation["entities"] if e["label"] == "WATCHLIST" and e["text"] == "KPT"]
    assert weak
    assert all("full name in the article" in {f["name"] for f in e["features"]} for e in weak)

    false_kinds = _tagged(tagged, "scr-2")
    assert false_kinds is not None
    assert not [e for e in false_kinds["entities"] if e["label"] == "WATCHLIST"]
    candidates = {c["id"]: c for c in false_kinds["candidates"]}
    assert {"inv-2", "inv-3", "inv-5", "inv-7"} <= set(candidates)
    assert all(c["score"] < 0.7 for c in candidates.values())
