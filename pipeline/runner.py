"""The in-memory runner: the topology without Kafka, for ``newsflow process``, ``eval``,
``bench`` and the wiring tests.

Every record a node writes goes to an in-memory topic (partition chosen from its key as
Kafka's default partitioner does) and on to the node that reads that topic, until
nothing is left; tables are dicts. Each derived record keeps its input's timestamp, as in
the worker. With one partition per topic, a stream run of the same inputs with the same
timestamps writes the same records in the same order (tests/integration/
test_equivalence.py checks it through the real broker).

    feed(raw bytes) -> Trace: every record written, every node's Processed, in order
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from aiokafka.partitioner import murmur2

from pipeline import observe
from pipeline.ner import in_process
from pipeline.records import Record
from pipeline.resources import LiveWatchlist, Stages
from pipeline.settings import Settings
from pipeline.steps import Clock
from pipeline.topology import Processed, bind, describe, process


@dataclass
class Trace:
    """Everything one input caused: the records written (the input first) and what each
    node made of each record it read, in processing order."""

    written: list[Record] = field(default_factory=list)
    processed: list[tuple[str, Processed]] = field(default_factory=list)

    def on(self, topic: str) -> list[Record]:
        """The records written to ``topic``."""
        return [w for w in self.written if w.topic == topic]

    def values(self, stage: str) -> Iterator[object]:
        """The typed values ``stage`` produced (a TaggedArticle for ``tag``, ...)."""
        for _, processed in self.processed:
            for run in processed.runs:
                if run.stage == stage and run.value is not None:
                    yield run.value

    @property
    def dead(self) -> list[Processed]:
        """The records that were dead-lettered."""
        return [p for _, p in self.processed if p.reason is not None]


def partition_for(key: bytes | None, partitions: int) -> int:
    """Kafka's default partitioner for a keyed record (murmur2); keyless: partition 0."""
    if key is None or partitions <= 1:
        return 0
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class MemoryRunner:
    """The pipeline's topology run in this process, one input at a time."""

    def __init__(
        self,
        settings: Settings,
        stages: Stages,
        *,
        clock: Clock = time.time,
        count_metrics: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.count_metrics = count_metrics
        self.topology = describe(settings, stages.rules.sanctioned)
        self.tables: dict[str, dict[bytes, bytes]] = {t.name: {} for t in self.topology.tables}
        self.live = LiveWatchlist(stages)
        self.steps = bind(self.topology, settings, stages, self.tables, live=self.live, clock=clock)
        self.annotate = None if settings.ner == "off" else in_process(settings.ner_model)
        self._offsets: dict[tuple[str, int], int] = {}

    def _write(self, topic: str, key: bytes | None, value: bytes, ts: int | None) -> Record:
        partition = partition_for(key, self.settings.partitions_of(topic))
        offset = self._offsets.get((topic, partition), 0)
        self._offsets[(topic, partition)] = offset + 1
        return Record(topic, partition, offset, ts, key, value)

    def feed(
        self,
        value: bytes,
        *,
        key: bytes | None = None,
        timestamp_ms: int | None = None,
        topic: str | None = None,
    ) -> Trace:
        """Publish one record (to the input topic unless ``topic`` is given; timestamped
        now unless ``timestamp_ms``) and run everything it causes."""
        ts = timestamp_ms if timestamp_ms is not None else int(self.clock() * 1000)
        trace = Trace()
        queue = deque([self._write(topic or self.settings.topic_raw, key, value, ts)])
        while queue:
            written = queue.popleft()
            trace.written.append(written)
            node = self.topology.node_reading(written.topic)
            if node is None:
                continue
            processed = process(
                self.steps[node.name],
                written,
                deadletter_topic=self.topology.deadletter,
                clock=self.clock,
                annotate=self.annotate,
            )
            if self.count_metrics:
                observe.count(processed)
            trace.processed.append((node.name, processed))
            for out in processed.records:
                queue.append(self._write(out.topic, out.key, out.value, written.timestamp_ms))
        return trace
