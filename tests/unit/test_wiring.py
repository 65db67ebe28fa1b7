"""The wiring without a broker: records fed to the topology's nodes, outputs asserted
(the in-memory runner, process() and the worker's delivery tracking)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import replace
from typing import Any

import orjson
import pytest

from pipeline.records import Record
from pipeline.resources import Stages
from pipeline.runner import MemoryRunner, partition_for
from pipeline.settings import Settings
from pipeline.topology import bind, describe, process
from pipeline.worker.delivery import Delivery

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, in ms


def _article(i: int, body: str) -> bytes:
    return orjson.dumps({"id": f"a-{i}", "title": f"Report {i}", "body": body})


SHELLS = (
    "North Korea has shipped millions of artillery shells to Russia, officials said. "
    "The munitions were delivered by rail across the border this spring."
)
CALM = "Snow fell in Oslo on Monday and the trams ran late. Schools stayed open."


def _topics(runner: MemoryRunner, raws: list[bytes]) -> dict[str, list[tuple[Any, ...]]]:
    """Every record written, by topic: (key, value without the dead letter's clock)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for i, raw in enumerate(raws):
        for w in runner.feed(raw, timestamp_ms=T0 + i * 1000).written:
            value: Any = w.value
            if w.topic == runner.settings.topic_deadletter:
                value = {k: v for k, v in orjson.loads(w.value).items() if k != "failed_at"}
            out.setdefault(w.topic, []).append((w.key, value))
    return out


def test_the_topology_reads_every_topic_some_node_writes(settings: Settings) -> None:
    for layout in ("fused", "chained"):
        topology = describe(replace(settings, stage_layout=layout), frozenset({"KP", "RU"}))
        sources = {n.source for n in topology.nodes}
        written = {t for n in topology.nodes for t in n.writes}
        assert len(sources) == len(topology.nodes)  # one node per topic
        # every topic read is written by an earlier node, but the input topic
        assert sources - written == {settings.topic_raw}
        # what nobody reads: the tagged topic (fused), the alert topics
        assert written - sources >= {settings.topic_alerts, *topology.country_topics}


def test_fused_and_chained_layouts_write_the_same_records(
    settings: Settings, stages: Stages
) -> None:
    raws = [_article(1, SHELLS), _article(2, CALM), b"not json {", _article(3, SHELLS)]
    fused = _topics(MemoryRunner(settings, stages), raws)
    chained = _topics(MemoryRunner(replace(settings, stage_layout="chained"), stages), raws)
    assert fused == chained
    assert len(fused[settings.topic_alerts]) == 2


def test_a_near_duplicate_is_marked_and_updates_the_alert_instead_of_opening_one(
    settings: Settings, stages: Stages
) -> None:
    runner = MemoryRunner(settings, stages)
    first = runner.feed(_article(1, SHELLS), timestamp_ms=T0)
    again = runner.feed(_article(2, SHELLS + " More soon."), timestamp_ms=T0 + 60_000)
    (normalized,) = again.on(settings.topic_normalized)
    assert orjson.loads(normalized.value)["duplicate_of"] == "a-1"
    (opened,) = (orjson.loads(w.value) for w in first.on(settings.topic_alerts))
    (updated,) = (orjson.loads(w.value) for w in again.on(settings.topic_alerts))
    assert (opened["status"], updated["status"]) == ("new", "update")
    assert updated["alert_id"] == opened["alert_id"]
    assert updated["revision"] == 2
    # every derived record keeps the input's timestamp, as in the worker
    assert {w.timestamp_ms for w in again.written} == {T0 + 60_000}


def test_the_same_input_replayed_gives_the_same_records(settings: Settings, stages: Stages) -> None:
    """At-least-once: a redelivered input must produce the records it produced before."""
    runner = MemoryRunner(settings, stages)
    first = runner.feed(_article(1, SHELLS), timestamp_ms=T0)
    replayed = runner.feed(_article(1, SHELLS), timestamp_ms=T0)
    assert [(w.topic, w.key, w.value) for w in first.written] == [
        (w.topic, w.key, w.value) for w in replayed.written
    ]


def test_alerts_are_copied_to_the_topics_of_their_sanctioned_countries(
    settings: Settings, stages: Stages
) -> None:
    trace = MemoryRunner(settings, stages).feed(_article(1, SHELLS), timestamp_ms=T0)
    (alert,) = trace.on(settings.topic_alerts)
    copies = {w.topic for w in trace.written if w.topic.startswith(settings.topic_alerts + ".")}
    assert copies == {settings.country_topic("KP"), settings.country_topic("RU")}
    for w in trace.written:
        if w.topic in copies:
            assert (w.key, w.value) == (alert.key, alert.value)


def test_refused_input_becomes_a_dead_letter_with_its_original_bytes(
    settings: Settings, stages: Stages
) -> None:
    raw = b'{"title": 7, "body": "x"}'
    trace = MemoryRunner(settings, stages).feed(raw, key=b"k-1", timestamp_ms=T0)
    (letter_record,) = trace.on(settings.topic_deadletter)
    assert letter_record.key == b"k-1"
    letter = orjson.loads(letter_record.value)
    assert letter["stage"] == "normalize"
    assert letter["reason"] == "schema.title"
    assert base64.b64decode(letter["original_b64"]) == raw
    assert letter["original_sha256"] == hashlib.sha256(raw).hexdigest()
    assert (letter["source_topic"], letter["timestamp_ms"]) == (settings.topic_raw, T0)
    assert [w.topic for w in trace.written] == [settings.topic_raw, settings.topic_deadletter]


def test_a_step_that_raises_is_dead_lettered_as_a_bug_and_earlier_steps_keep_their_records(
    settings: Settings, stages: Stages
) -> None:
    topology = describe(settings, stages.rules.sanctioned)
    steps = bind(topology, settings, stages, {t.name: {} for t in topology.tables})
    tag, flag = steps["tag_and_flag"]

    class Broken:
        stage = "flag"
        decode = flag.decode

        def run(self, item: object, record: Record) -> Any:
            raise ZeroDivisionError("a bug")

    runner = MemoryRunner(settings, stages)
    normalized = runner.feed(_article(1, SHELLS), timestamp_ms=T0).on(settings.topic_normalized)
    n = normalized[0]
    processed = process((tag, Broken()), n, deadletter_topic="dead", clock=lambda: 0.0)
    assert [o.topic for o in processed.records] == [settings.topic_tagged, "dead"]
    assert (processed.stage, processed.reason) == ("flag", "bug.ZeroDivisionError")
    assert isinstance(processed.exception, ZeroDivisionError)
    letter = orjson.loads(processed.records[1].value)
    assert letter["failed_at"] == "1970-01-01T00:00:00.000+00:00"
    assert base64.b64decode(letter["original_b64"]) == n.value


def test_records_land_on_the_partition_kafkas_default_partitioner_picks() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    partitioner = DefaultPartitioner()
    for key in (b"a-1", b"KP,RU", "ключ".encode(), b""):
        assert partition_for(key, 6) == partitioner(key, list(range(6)), list(range(6)))
    assert partition_for(None, 6) == 0


class _Event:
    """A faust event as Delivery sees it: ack() and the message's coordinates."""

    def __init__(self, offset: int) -> None:
        self.acked = False
        self.message = type("M", (), {"topic": "t", "partition": 0, "offset": offset})()

    def ack(self) -> None:
        self.acked = True


def test_delivery_acks_an_input_only_once_all_its_outputs_are_delivered() -> None:
    async def scenario() -> None:
        failures: list[BaseException] = []
        delivery = Delivery(failures.append)
        loop = asyncio.get_running_loop()
        a, b = loop.create_future(), loop.create_future()
        event = _Event(1)
        delivered: list[bool] = []
        await delivery.track(event, [a, b], "tag", lambda: delivered.append(True))
        a.set_result(None)
        await asyncio.sleep(0)
        assert not event.acked
        b.set_result(None)
        await asyncio.sleep(0)
        assert event.acked
        assert delivered == [True]
        empty = _Event(2)
        await delivery.track(empty, [], "tag")
        assert empty.acked
        assert failures == []

    asyncio.run(scenario())


def test_a_failed_delivery_leaves_the_input_unacked_and_stops_the_worker() -> None:
    async def scenario() -> None:
        failures: list[BaseException] = []
        delivery = Delivery(failures.append)
        loop = asyncio.get_running_loop()
        ok, refused = loop.create_future(), loop.create_future()
        event = _Event(7)
        await delivery.track(event, [ok, refused], "route")
        ok.set_result(None)
        refused.set_exception(RuntimeError("MessageSizeTooLarge"))
        await asyncio.sleep(0)
        assert not event.acked
        assert [str(f) for f in failures] == ["MessageSizeTooLarge"]

    asyncio.run(scenario())


def test_delivery_waits_when_too_many_inputs_are_in_flight() -> None:
    async def scenario() -> None:
        delivery = Delivery(lambda reason: None, limit=2)
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(3)]
        for i, fut in enumerate(futures[:2]):
            await delivery.track(_Event(i), [fut], "tag")
        third = asyncio.ensure_future(delivery.track(_Event(2), [futures[2]], "tag"))
        await asyncio.sleep(0.01)
        assert not third.done()  # three in flight > limit 2: it waits for the oldest
        futures[0].set_result(None)
        await asyncio.wait_for(third, 1)

    asyncio.run(scenario())


@pytest.mark.parametrize("layout", ["fused", "chained"])
def test_the_seed_is_flagged_through_the_whole_pipeline(
    settings: Settings, stages: Stages, seed_bytes: bytes, layout: str
) -> None:
    runner = MemoryRunner(replace(settings, stage_layout=layout), stages)
    trace = runner.feed(seed_bytes, timestamp_ms=T0)
    (alert,) = (orjson.loads(w.value) for w in trace.on(settings.topic_alerts))
    assert {"KP", "RU"} <= set(alert["countries"])
    text = orjson.loads(trace.on(settings.topic_normalized)[0].value)["text"]
    for evidence in alert["evidence"]:
        assert text[evidence["start"] : evidence["end"]] == evidence["text"]
