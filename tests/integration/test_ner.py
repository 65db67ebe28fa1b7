"""The NER model through the real broker: with NEWSFLOW_NER=alerts (the default) the
worker's model pool reads an alert's evidence, and an unlisted person is among the
alert's parties; with NEWSFLOW_NER_PLACEMENT=agent the model's node runs in workers of
its own group, and a candidate waits for them; with NEWSFLOW_NER=all every tagged
article carries model entities."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.integration.conftest import Env, Worker, make_env, ner_agent_envs, wait_for

# Invented: a company and a person that no list or gazetteer of the project names.
_ARTICLE = {
    "id": "ner-unlisted-1",
    "title": "Drone engines",
    "body": (
        "The Treasury Department on Tuesday sanctioned Kestrel Avionics, a company whose "
        "director, Daniel Hartley, arranged shipments of drone engines to Iran in violation "
        "of US sanctions."
    ),
}


def _publish(env: Env, tmp_path: Path, doc: dict[str, str]) -> None:
    path = tmp_path / f"{doc['id']}.json"
    path.write_bytes(orjson.dumps(doc))
    out = env.run_cli("publish", str(path))
    assert out.returncode == 0, out.stderr


def test_an_unlisted_person_is_among_the_parties_of_an_alert(broker: str, tmp_path: Path) -> None:
    env = make_env(broker, tmp_path, NEWSFLOW_NER="alerts")
    assert env.run_cli("topics", "create").returncode == 0
    worker = Worker(env)
    worker.start()
    try:
        _publish(env, tmp_path, _ARTICLE)
        (record,) = wait_for(env.settings.topic_alerts, 1, timeout=60)
        (tagged,) = wait_for(env.settings.topic_tagged, 1, timeout=10)
    finally:
        assert worker.stop() == 0
    alert = orjson.loads(record.value)
    parties = {p["name"]: p for p in alert["parties"]}
    assert parties["Daniel Hartley"]["source"] == "model"
    assert parties["Daniel Hartley"]["label"] == "PERSON"
    assert parties["Kestrel Avionics"]["role"] == "designated"
    assert "ner model ready" in worker.log.read_text()
    # alerts mode: the tagged topic keeps the lists' entities only
    assert not [e for e in orjson.loads(tagged.value)["entities"] if e["source"] == "model"]


def test_the_ner_agent_of_its_own_group_annotates_deferred_candidates(
    broker: str, tmp_path: Path
) -> None:
    env, agent_env = ner_agent_envs(broker, tmp_path)
    assert env.run_cli("topics", "create").returncode == 0
    worker = Worker(env)
    agent = Worker(agent_env, "ner-agent")
    worker.start()
    try:
        _publish(env, tmp_path, {**_ARTICLE, "id": "ner-agent-1"})
        # The candidate waits on its topic while no NER agent runs ...
        (deferred,) = wait_for(env.settings.topic_alert_unannotated, 1, timeout=60)
        assert orjson.loads(deferred.value)["article"]["id"] == "ner-agent-1"
        agent.start()
        try:
            # ... and the agent's group annotates it: the alert lists the unlisted person.
            (record,) = wait_for(env.settings.topic_alerts, 1, timeout=60)
        finally:
            assert agent.stop() == 0
    finally:
        assert worker.stop() == 0
    parties = {p["name"]: p for p in orjson.loads(record.value)["parties"]}
    assert parties["Daniel Hartley"]["source"] == "model"
    assert parties["Kestrel Avionics"]["role"] == "designated"
    assert "ner model ready" not in worker.log.read_text()  # no model in the flagging worker
    assert "ner model ready" in agent.log.read_text()


def test_ner_all_puts_model_entities_on_the_tagged_topic(broker: str, tmp_path: Path) -> None:
    env = make_env(broker, tmp_path, NEWSFLOW_NER="all")
    assert env.run_cli("topics", "create").returncode == 0
    worker = Worker(env)
    worker.start()
    try:
        _publish(env, tmp_path, {**_ARTICLE, "id": "ner-all-1"})
        (tagged,) = wait_for(env.settings.topic_tagged, 1, timeout=60)
    finally:
        assert worker.stop() == 0
    model = {
        (e["label"], e["text"])
        for e in orjson.loads(tagged.value)["entities"]
        if e["source"] == "model"
    }
    assert ("PERSON", "Daniel Hartley") in model
