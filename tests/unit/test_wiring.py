"""The wiring without a broker: records fed to the topology's nodes, outputs asserted
(the in-memory runner, process() and the worker's delivery tracking)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import orjson
import pytest
from faust.transport.consumer import Consumer as FaustConsumer
from faust.types import TP
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from intervaltree import IntervalTree

from pipeline.errors import FatalError
from pipeline.records import Record
from pipeline.resources import Stages
from pipeline.runner import MemoryRunner, partition_for
from pipeline.settings import Settings
from pipeline.topology import bind, describe, process, uses_model
from pipeline.worker.delivery import Delivery
from tests.story import CHANGES, story

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, in ms
STORM = 20_000  # articles on one story (issue 17: 3,000 made 589 MB of alert records)
RECORD_LIMIT = 64 * 1024


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


def test_the_ner_agent_is_a_node_of_its_own_between_flag_and_route(settings: Settings) -> None:
    agent = replace(settings, ner="alerts", ner_placement="agent")
    for layout in ("fused", "chained"):
        topology = describe(replace(agent, stage_layout=layout), frozenset({"KP"}))
        by_name = {n.name: n for n in topology.nodes}
        node = by_name["annotate_alerts"]
        assert node.source == agent.topic_alert_unannotated
        assert node.writes == (agent.topic_alert_candidates,)
        flagging = by_name["tag_and_flag" if layout == "fused" else "flag_events"]
        assert agent.topic_alert_unannotated in flagging.writes
        assert agent.topic_alert_candidates not in flagging.writes
        # only the agent's node asks for the model; the flagging worker needs no pool
        assert [n.name for n in topology.nodes if uses_model(n, agent)] == ["annotate_alerts"]
    assert agent.topic_alert_unannotated in agent.all_topics
    assert settings.topic_alert_unannotated not in replace(agent, ner_placement="pool").all_topics
    pooled = describe(settings, frozenset({"KP"}))
    assert "annotate_alerts" not in {n.name for n in pooled.nodes}
    assert [n.name for n in pooled.nodes if uses_model(n, settings)] == ["tag_and_flag"]


def test_a_worker_runs_only_the_nodes_it_is_given_and_their_tables(settings: Settings) -> None:
    agent = replace(settings, ner="alerts", ner_placement="agent")
    topology = describe(agent, frozenset({"KP"}))
    assert topology.only(frozenset()) is topology
    ner_only = topology.only(frozenset({"annotate_alerts"}))
    assert [n.name for n in ner_only.nodes] == ["annotate_alerts"]
    assert ner_only.tables == ()  # no changelog topics for tables it does not keep
    router = topology.only(frozenset({"route_alerts", "dedupe_articles"}))
    assert {t.name for t in router.tables} == {"alert-index", "dedupe-index"}
    assert ner_only.sources == (agent.topic_alert_unannotated,)  # lag measured there only
    with pytest.raises(FatalError, match="no node annotate_everything"):
        topology.only(frozenset({"annotate_alerts", "annotate_everything"}))


def test_the_model_in_a_pool_or_in_its_own_agent_gives_the_same_records(
    settings: Settings, stages: Stages
) -> None:
    unlisted = (
        "The Treasury Department on Tuesday sanctioned Kestrel Avionics, whose director, "
        "Daniel Hartley, arranged shipments of drone engines to Iran in violation of US "
        "sanctions."
    )
    raws = [_article(1, SHELLS), _article(2, CALM), _article(3, unlisted), b"not json {"]
    pooled = replace(settings, ner="alerts", ner_placement="pool")
    agent = replace(pooled, ner_placement="agent")
    by_pool = _topics(MemoryRunner(pooled, stages), raws)
    by_agent = _topics(MemoryRunner(agent, stages), raws)
    deferred = by_agent.pop(agent.topic_alert_unannotated)
    assert by_pool == by_agent
    assert len(deferred) == 2  # both candidates took the agent's hop
    (alert,) = [
        orjson.loads(v)
        for _, v in by_agent[settings.topic_alerts]
        if b"Kestrel" in v  # the unlisted article's alert
    ]
    assert "Daniel Hartley" in {p["name"] for p in alert["parties"]}


def test_fused_and_chained_layouts_write_the_same_records(
    settings: Settings, stages: Stages
) -> None:
    raws = [_article(1, SHELLS), _article(2, CALM), b"not json {", _article(3, SHELLS)]
    fused = _topics(MemoryRunner(settings, stages), raws)
    chained = _topics(MemoryRunner(replace(settings, stage_layout="chained"), stages), raws)
    assert fused == chained
    # the second SHELLS article is a copy: counted into the first one's alert, not published
    assert len(fused[settings.topic_alerts]) == 1
    assert len(fused[settings.topic_alert_sources]) == 2


def test_a_near_duplicate_is_marked_and_counted_into_the_alert_instead_of_opening_one(
    settings: Settings, stages: Stages
) -> None:
    runner = MemoryRunner(settings, stages)
    first = runner.feed(_article(1, SHELLS), timestamp_ms=T0)
    again = runner.feed(_article(2, SHELLS + " More soon."), timestamp_ms=T0 + 60_000)
    (normalized,) = again.on(settings.topic_normalized)
    assert orjson.loads(normalized.value)["duplicate_of"] == "a-1"
    (opened,) = (orjson.loads(w.value) for w in first.on(settings.topic_alerts))
    assert opened["status"] == "new"
    # nothing new in the copy: no update on the alert topic, only its source record
    assert again.on(settings.topic_alerts) == []
    (source,) = again.on(settings.topic_alert_sources)
    assert source.key == opened["alert_id"].encode()
    counted = orjson.loads(source.value)
    assert (counted["article_id"], counted["position"], counted["published"]) == ("a-2", 2, False)
    assert counted["revision"] == 1
    # every derived record keeps the input's timestamp, as in the worker
    assert {w.timestamp_ms for w in again.written} == {T0 + 60_000}


def test_the_same_input_replayed_gives_the_same_records(settings: Settings, stages: Stages) -> None:
    """At-least-once: a redelivered input must produce the records it produced before."""
    runner = MemoryRunner(settings, stages)
    first = runner.feed(_article(1, SHELLS), timestamp_ms=T0)
    counted = runner.feed(_article(2, SHELLS + " Again."), timestamp_ms=T0 + 1000)
    later = runner.feed(_article(3, SHELLS + " And again."), timestamp_ms=T0 + 2000)
    assert first.on(settings.topic_alerts)
    assert not counted.on(settings.topic_alerts)
    assert counted.on(settings.topic_alert_sources)
    for original, i, ts in ((first, 1, T0), (counted, 2, T0 + 1000)):
        body = SHELLS + {1: "", 2: " Again."}[i]
        replayed = runner.feed(_article(i, body), timestamp_ms=ts)
        assert [(w.topic, w.key, w.value) for w in original.written] == [
            (w.topic, w.key, w.value) for w in replayed.written
        ]
    # the replays were not counted again
    (last,) = (orjson.loads(w.value) for w in later.on(settings.topic_alert_sources))
    after = runner.feed(_article(4, SHELLS + " Once more."), timestamp_ms=T0 + 3000)
    (next_one,) = (orjson.loads(w.value) for w in after.on(settings.topic_alert_sources))
    assert (last["position"], next_one["position"]) == (3, 4)


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

    def __init__(
        self, offset: int, partition: int = 0, on_ack: Callable[[int, int], None] | None = None
    ) -> None:
        self.acked = False
        self.on_ack = on_ack
        self.message = type("M", (), {"topic": "t", "partition": partition, "offset": offset})()

    def ack(self) -> None:
        assert not self.acked, "acknowledged twice"
        self.acked = True
        if self.on_ack is not None:
            self.on_ack(self.message.partition, self.message.offset)


class _FaustCommits:
    """faust's own commit bookkeeping (``Consumer.ack`` then ``Consumer._new_offset``, the
    offset a commit would write) on a stand-in consumer: what a commit would store."""

    def __init__(self) -> None:
        self._acked: dict[TP, list[int]] = defaultdict(list)
        self._acked_index: dict[TP, set[int]] = defaultdict(set)
        self._gap: dict[TP, IntervalTree] = defaultdict(IntervalTree)
        self._committed_offset: dict[TP, int | None] = defaultdict(lambda: None)

    def ack(self, partition: int, offset: int) -> None:
        tp = TP("t", partition)
        self._acked_index[tp].add(offset)
        self._acked[tp].append(offset)

    def commit(self, partition: int) -> int | None:
        tp = TP("t", partition)
        new = FaustConsumer._new_offset(cast("Any", self), tp)
        if new is not None:
            self._committed_offset[tp] = new
        return self._committed_offset[tp]


def test_faust_commits_past_an_unacknowledged_offset_when_acks_come_out_of_order() -> None:
    """Why Delivery acknowledges in order: faust's bookkeeping alone loses inputs."""
    commits = _FaustCommits()
    for offset in (2, 3, 4):  # 0 and 1 still on their way to the broker
        commits.ack(0, offset)
    assert commits.commit(0) == 5  # a crash now would never replay offsets 0 and 1


@settings_(max_examples=200, deadline=None)
@given(order=st.permutations(range(12)), partitions=st.integers(1, 3))
def test_delivery_never_lets_a_commit_pass_an_undelivered_input(
    order: list[int], partitions: int
) -> None:
    """Outputs delivered in any order: after every delivery, the offset faust would commit
    on each partition is at most the lowest offset not yet delivered there."""

    async def scenario() -> None:
        commits = _FaustCommits()
        delivery = Delivery(lambda error: None)
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in order]
        inputs = [(i % partitions, i // partitions) for i in range(len(order))]
        for (partition, offset), fut in zip(inputs, futures, strict=True):
            await delivery.track(_Event(offset, partition, commits.ack), [fut], "tag")
        undelivered = set(range(len(order)))
        for i in order:
            futures[i].set_result(None)
            undelivered.discard(i)
            await asyncio.sleep(0)
            for partition in range(partitions):
                lowest = min(
                    (inputs[j][1] for j in undelivered if inputs[j][0] == partition),
                    default=None,
                )
                committed = commits.commit(partition)
                if lowest is not None and committed is not None:
                    assert committed <= lowest
        for partition in range(partitions):  # everything delivered: everything committed
            assert commits.commit(partition) == sum(1 for p, _ in inputs if p == partition)

    asyncio.run(scenario())


def test_an_input_is_acknowledged_only_after_the_earlier_inputs_of_its_partition() -> None:
    async def scenario() -> None:
        delivery = Delivery(lambda error: None)
        loop = asyncio.get_running_loop()
        first, second, other = loop.create_future(), loop.create_future(), loop.create_future()
        a, b, c = _Event(0), _Event(1), _Event(0, partition=1)
        empty = _Event(2)
        await delivery.track(a, [first], "tag")
        await delivery.track(b, [second], "tag")
        await delivery.track(empty, [], "tag")  # no outputs: still waits its turn
        await delivery.track(c, [other], "tag")
        second.set_result(None)
        other.set_result(None)
        await asyncio.sleep(0)
        assert (a.acked, b.acked, empty.acked, c.acked) == (False, False, False, True)
        first.set_result(None)
        await asyncio.sleep(0)
        assert (a.acked, b.acked, empty.acked) == (True, True, True)

    asyncio.run(scenario())


def test_after_a_failed_delivery_nothing_later_is_acknowledged() -> None:
    async def scenario() -> None:
        failures: list[BaseException] = []
        delivery = Delivery(failures.append)
        loop = asyncio.get_running_loop()
        bad, good = loop.create_future(), loop.create_future()
        a, b = _Event(0), _Event(1)
        await delivery.track(a, [bad], "route")
        await delivery.track(b, [good], "route")
        bad.set_exception(RuntimeError("NotEnoughReplicas"))
        good.set_result(None)
        await asyncio.sleep(0)
        assert not a.acked
        assert not b.acked
        assert [str(f) for f in failures] == ["NotEnoughReplicas"]

    asyncio.run(scenario())


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


def test_an_alert_storm_publishes_one_record_per_material_change_and_every_source_once(
    settings: Settings, stages: Stages
) -> None:
    """20,000 articles on one story: the alert topic holds the new alert and one update
    per article that changed it; every article is on the sources topic once; no record
    nor the alert's table entry grows with the story. (The NER model is off: it would
    read 20,000 alerts' evidence here for nothing the routing uses; the worker's storm
    test runs it.)"""
    runner = MemoryRunner(replace(settings, ner="off"), stages, count_metrics=False)
    alerts: list[tuple[int, dict[str, Any]]] = []
    sources = source_bytes = largest = 0
    copies = {settings.country_topic("KP"), settings.country_topic("RU")}
    for i, raw in enumerate(story(STORM)):
        for w in runner.feed(raw, timestamp_ms=T0 + i * 1000).written:
            if w.topic == settings.topic_alerts:
                alerts.append((i, orjson.loads(w.value)))
            elif w.topic == settings.topic_alert_sources:
                sources += 1
                source_bytes += len(w.value)
            if w.topic in (settings.topic_alerts, settings.topic_alert_sources, *copies):
                largest = max(largest, len(w.value))
    assert [i for i, _ in alerts] == [0, *CHANGES]
    assert [a["revision"] for _, a in alerts] == list(range(1, len(CHANGES) + 2))
    assert all(a["changed"] for _, a in alerts[1:])
    assert {a["alert_id"] for _, a in alerts} == {alerts[0][1]["alert_id"]}
    assert alerts[-1][1]["source_count"] == CHANGES[-1] + 1
    assert len(alerts[-1][1]["sources"]) == settings.alert_latest_sources
    assert sources == STORM  # each article once, whether it updated the alert or not
    assert source_bytes < STORM * 1024
    assert largest <= RECORD_LIMIT
    (entry,) = runner.tables["alert-index"].values()
    (summary,) = orjson.loads(entry)
    assert summary["count"] == STORM
    assert len(entry) <= 64 * 1024
