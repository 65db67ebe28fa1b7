"""The topology: which step reads which topic, what it writes, with which table.

One description, read by every runner: the faust worker (``pipeline/worker``), the
in-memory runner behind ``newsflow process``, ``eval`` and ``bench``
(``pipeline/runner.py``), the wiring tests and the reference docs. The default, fused
layout (``NEWSFLOW_STAGE_LAYOUT=fused``):

    news.articles.raw        --normalize_articles-->  news.articles.dedupe (MinHash-keyed)
    news.articles.dedupe     --dedupe_articles----->  news.articles.normalized   [dedupe-index]
    news.articles.normalized --tag_and_flag-------->  news.articles.tagged
                                                 +->  news.alerts.candidates (actor-keyed)
    news.alerts.candidates   --route_alerts-------->  news.alerts.sanctions (+ .kp, .ru, ...)
                                                 +->  news.alerts.sources   [alert-index]
    any node, input it cannot process ------------->  news.deadletter

With ``chained``, tag_and_flag is two nodes: tag_entities (normalized -> tagged) and
flag_events (tagged -> candidates). With ``NEWSFLOW_NER_PLACEMENT=agent`` the candidates
take one more hop, through the NER model's own node (run by workers of its own group):

    tag_and_flag  -->  news.alerts.unannotated (actor-keyed tagged articles)
    news.alerts.unannotated --annotate_alerts----->  news.alerts.candidates
 :func:`process` runs one record through one node's
steps and turns a refused or failing record into a dead letter: the only place that
decides what becomes of bad input, whichever runner calls it.
"""

from __future__ import annotations

import time
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Mapping,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from pipeline.codec import dumps
from pipeline.deadletters import build_dead_letter
from pipeline.errors import FatalError, RejectedMessage
from pipeline.records import Out, Record
from pipeline.resources import LiveWatchlist, Stages
from pipeline.settings import Settings
from pipeline.steps import (
    AnnotateAlert,
    Clock,
    Dedupe,
    Flag,
    ModelReply,
    ModelTexts,
    Normalize,
    Result,
    Route,
    Step,
    Tag,
)

DEDUPE_TABLE = "dedupe-index"
ALERT_TABLE = "alert-index"


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A key-value table one node keeps (a faust table with a changelog in the worker)."""

    name: str
    partitions: int
    description: str


@dataclass(frozen=True, slots=True)
class Node:
    """One agent of the worker: the steps it runs on every record of ``source``."""

    name: str
    source: str
    stages: tuple[str, ...]
    writes: tuple[str, ...]
    description: str
    table: str | None = None


@dataclass(frozen=True, slots=True)
class Topology:
    """Every node, table and topic of the pipeline."""

    nodes: tuple[Node, ...]
    tables: tuple[TableSpec, ...]
    deadletter: str
    country_topics: tuple[str, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The topics some node reads (those whose consumer lag is measured)."""
        return tuple(n.source for n in self.nodes)

    def node_reading(self, topic: str) -> Node | None:
        return next((n for n in self.nodes if n.source == topic), None)

    def only(self, names: frozenset[str]) -> Topology:
        """The nodes named (every node when ``names`` is empty) and the tables they keep:
        what one worker runs (``NEWSFLOW_WORKER_NODES``).

        Raises:
            FatalError: a name is no node of this topology.
        """
        if not names:
            return self
        unknown = names - {n.name for n in self.nodes}
        if unknown:
            known = ", ".join(n.name for n in self.nodes)
            raise FatalError(
                f"NEWSFLOW_WORKER_NODES: no node {', '.join(sorted(unknown))} (nodes: {known})"
            )
        nodes = tuple(n for n in self.nodes if n.name in names)
        kept = {n.table for n in nodes}
        tables = tuple(t for t in self.tables if t.name in kept)
        return Topology(nodes, tables, self.deadletter, self.country_topics)


def uses_model(node: Node, settings: Settings) -> bool:
    """Does ``node`` ask for the NER model (so its worker needs the model's processes)?"""
    s = settings
    return (
        ("tag" in node.stages and s.ner == "all")
        or ("flag" in node.stages and s.ner == "alerts" and not s.ner_agent)
        or "annotate" in node.stages
    )


def describe(settings: Settings, sanctioned: frozenset[str]) -> Topology:
    """The topology for ``settings`` (layout, topic names, partitions); ``sanctioned`` are
    the jurisdictions that may get a per-country alert topic."""
    s = settings
    country_topics = tuple(s.country_topic(c) for c in s.alert_countries(sanctioned))
    flagged = s.topic_alert_unannotated if s.ner_agent else s.topic_alert_candidates
    annotate: tuple[Node, ...] = ()
    if s.ner_agent:
        annotate = (
            Node(
                "annotate_alerts",
                s.topic_alert_unannotated,
                ("annotate",),
                (s.topic_alert_candidates,),
                "candidate's TaggedArticle -> candidate Alert, the NER model having read "
                "its evidence sentences (workers of its own consumer group)",
            ),
        )
    if s.stage_layout == "fused":
        middle: tuple[Node, ...] = (
            Node(
                "tag_and_flag",
                s.topic_normalized,
                ("tag", "flag"),
                (s.topic_tagged, flagged),
                "NormalizedArticle -> TaggedArticle, and the candidate Alert if any "
                "(one hop, no re-decoding)",
            ),
        )
    else:
        middle = (
            Node(
                "tag_entities",
                s.topic_normalized,
                ("tag",),
                (s.topic_tagged,),
                "NormalizedArticle -> TaggedArticle (article + entities)",
            ),
            Node(
                "flag_events",
                s.topic_tagged,
                ("flag",),
                (flagged,),
                "TaggedArticle -> candidate Alert keyed by its sanctioned actors",
            ),
        )
    nodes = (
        Node(
            "normalize_articles",
            s.topic_raw,
            ("normalize",),
            (s.topic_dedupe,),
            'raw input bytes -> {"article", "sig"} keyed by the first min-hash',
        ),
        Node(
            "dedupe_articles",
            s.topic_dedupe,
            ("dedupe",),
            (s.topic_normalized,),
            "{article, sig} -> NormalizedArticle, duplicate_of set for near-duplicates",
            table=DEDUPE_TABLE,
        ),
        *middle,
        *annotate,
        Node(
            "route_alerts",
            s.topic_alert_candidates,
            ("route",),
            (s.topic_alerts, *country_topics, s.topic_alert_sources),
            "candidate Alert -> new or materially updated Alert, copied to per-country "
            "topics; every candidate's source record, keyed by alert id",
            table=ALERT_TABLE,
        ),
    )
    tables = (
        TableSpec(
            DEDUPE_TABLE,
            s.dedupe_partitions,
            "article id -> its signature, bands and verdict (near-duplicate index)",
        ),
        TableSpec(
            ALERT_TABLE,
            s.topic_partitions,
            "actor key -> the open alerts of those actors: summary, latest sources, "
            "recent article ids (bounded)",
        ),
    )
    return Topology(nodes, tables, s.topic_deadletter, country_topics)


def bind(
    topology: Topology,
    settings: Settings,
    stages: Stages,
    tables: Mapping[str, MutableMapping[bytes, bytes]],
    *,
    live: LiveWatchlist | None = None,
    clock: Clock = time.time,
) -> dict[str, tuple[Step, ...]]:
    """The steps of every node, by node name, bound to the runner's ``tables`` (one
    mapping per :class:`TableSpec`) and to the live watchlist."""
    s = settings
    live = live if live is not None else LiveWatchlist(stages)
    rules = stages.rules
    # Made only for the nodes present (a worker of some nodes keeps only their tables).
    steps: dict[str, Callable[[], Step]] = {
        "normalize": lambda: Normalize(
            s, s.topic_dedupe, s.fault_marker.encode(), fault_hang=s.fault_action == "hang"
        ),
        "dedupe": lambda: Dedupe(s, s.topic_normalized, tables[DEDUPE_TABLE], clock),
        "tag": lambda: Tag(s.topic_tagged, live, model=s.ner == "all"),
        "flag": lambda: (
            Flag(s.topic_alert_unannotated, rules, live, defer=True)
            if s.ner_agent
            else Flag(s.topic_alert_candidates, rules, live, model=s.ner == "alerts")
        ),
        "annotate": lambda: AnnotateAlert(s.topic_alert_candidates, rules, live, model=True),
        "route": lambda: Route(
            s, (s.topic_alerts, s.topic_alert_sources), rules, tables[ALERT_TABLE], clock
        ),
    }
    return {node.name: tuple(steps[name]() for name in node.stages) for node in topology.nodes}


@dataclass(frozen=True, slots=True)
class StageRun:
    """One step's part of processing a record: for metrics and for callers that want
    the typed value (``newsflow process`` prints the tagged article and the alerts)."""

    stage: str
    outcome: str
    seconds: float
    value: object | None


@dataclass(frozen=True, slots=True)
class Processed:
    """Everything one node made of one record: the records to send (a dead letter among
    them when a step refused the record) and each step's run."""

    records: tuple[Out, ...]
    runs: tuple[StageRun, ...]
    article_id: str | None
    input_bytes: int
    # set when the record was dead-lettered
    stage: str | None = None
    reason: str | None = None
    error: str | None = None
    exception: BaseException | None = None


# Where the NER model runs, for a step that asks for it: texts -> spans of each.
Annotate = Callable[[ModelTexts], ModelReply]
AsyncAnnotate = Callable[[ModelTexts], Awaitable[ModelReply]]


def process(
    steps: Sequence[Step],
    record: Record,
    *,
    deadletter_topic: str,
    clock: Clock = time.time,
    annotate: Annotate | None = None,
) -> Processed:
    """Run ``record`` through a node's ``steps``; never raises for bad input.

    Each step's typed value goes to the next step without re-encoding. A
    :class:`RejectedMessage` (or, being a bug, any other exception) from a step keeps
    the records of the steps before it and adds a dead letter with the original bytes
    and the reason; records of the failing step are not sent. A step that asks for the
    NER model gets ``annotate``'s spans (the model in this process).
    """
    run = processing(steps, record, deadletter_topic=deadletter_topic, clock=clock)
    try:
        texts = next(run)
        while True:
            if annotate is None:
                raise FatalError("a step asked for the NER model and none is loaded")
            texts = run.send(annotate(texts))
    except StopIteration as done:
        return cast("Processed", done.value)


def begin(
    steps: Sequence[Step],
    record: Record,
    *,
    deadletter_topic: str,
    annotate: AsyncAnnotate,
    clock: Clock = time.time,
) -> Processed | Coroutine[Any, Any, Processed]:
    """:func:`process` for the worker: the :class:`Processed` record at once when no step
    asks for the NER model (most records), else a coroutine that awaits ``annotate``
    (the model's process pool) and finishes. A failure of the model itself (its process
    died) raises from the coroutine: the worker must stop, the input stays uncommitted."""
    run = processing(steps, record, deadletter_topic=deadletter_topic, clock=clock)
    try:
        texts = next(run)
    except StopIteration as done:
        return cast("Processed", done.value)
    return _finish(run, texts, annotate)


async def _finish(
    run: Generator[ModelTexts, ModelReply, Processed],
    texts: ModelTexts,
    annotate: AsyncAnnotate,
) -> Processed:
    try:
        while True:
            texts = run.send(await annotate(texts))
    except StopIteration as done:
        return cast("Processed", done.value)
    finally:
        run.close()


def processing(
    steps: Sequence[Step],
    record: Record,
    *,
    deadletter_topic: str,
    clock: Clock = time.time,
) -> Generator[ModelTexts, ModelReply, Processed]:
    """:func:`process` as a generator: it yields the texts a step wants the NER model to
    read, is sent their spans, and returns the :class:`Processed` record."""
    runs: list[StageRun] = []
    records: list[Out] = []
    article_id: str | None = None
    stage = steps[0].stage
    started = time.perf_counter()
    failure: tuple[str, str, BaseException | None] | None = None
    try:
        item = steps[0].decode(record.value)
        for step in steps:
            stage = step.stage
            ran = step.run(item, record)
            result = ran if isinstance(ran, Result) else (yield from ran)
            now = time.perf_counter()
            runs.append(StageRun(stage, result.outcome, now - started, result.value))
            started = now
            records.extend(result.records)
            article_id = result.article_id or article_id
            if result.value is None:
                break
            item = result.value
    except RejectedMessage as exc:
        failure = (exc.reason, str(exc), None)
    except Exception as exc:  # a bug in a step: keep the partition flowing, keep the input
        failure = (f"bug.{type(exc).__name__}", repr(exc)[:1000], exc)
    if failure is None:
        return Processed(tuple(records), tuple(runs), article_id, len(record.value))
    reason, error, exception = failure
    letter = build_dead_letter(
        record,
        stage=stage,
        reason=reason,
        error=error,
        failed_at=datetime.fromtimestamp(clock(), UTC).isoformat(timespec="milliseconds"),
    )
    records.append(Out(deadletter_topic, record.key, dumps(letter)))
    return Processed(
        tuple(records),
        tuple(runs),
        article_id,
        len(record.value),
        stage=stage,
        reason=reason,
        error=error,
        exception=exception,
    )
