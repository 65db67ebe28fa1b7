"""The pipeline's steps: one record in, the records it produces out. No faust, no I/O.

    Record (raw bytes)       --normalize-->  {"article", "sig"}      for the dedupe topic
    {"article", "sig"}       --dedupe----->  NormalizedArticle       (duplicate_of set)
    NormalizedArticle        --tag-------->  TaggedArticle
    TaggedArticle            --flag------->  candidate Alert         keyed by its actors
    candidate Alert          --route------>  new or updated Alert    (+ per-country copies)
                                             + its source record     (every candidate)

A step is ``decode`` (bytes of its input topic -> a typed value) and ``run`` (typed value
and the record it came in -> :class:`Result`). Runs that share a node hand the typed
value on without encoding it (the fused tag+flag layout). Tables are mappings passed in
by the runner: a faust table in the worker, a dict in the in-memory runner. Time comes
from the record's timestamp (the moment it was published), else from the injected clock.
Steps raise :class:`~pipeline.errors.RejectedMessage` for input they refuse; the topology
turns that (and any other exception) into a dead letter.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable, Generator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

import orjson

from pipeline import logs
from pipeline.codec import (
    decode_alert,
    decode_dedupe,
    decode_input,
    decode_normalized,
    decode_tagged,
    dumps,
)
from pipeline.dedupe_index import DedupeIndex
from pipeline.errors import DecodeFailed, SchemaViolation
from pipeline.models import (
    Alert,
    DedupeRecord,
    Entity,
    NormalizedArticle,
    TaggedArticle,
    replace,
)
from pipeline.records import Out, Record
from pipeline.resources import LiveWatchlist
from pipeline.settings import Settings
from pipeline.stages.alerts import Policy, actor_key, merge
from pipeline.stages.dedupe import from_hex, signature, to_hex
from pipeline.stages.entities import tag_article, with_model
from pipeline.stages.ner import ModelSpan, model_text, parties
from pipeline.stages.normalize import normalize
from pipeline.stages.sanctions import RuleSet, flag
from pipeline.stages.text import looks_like_html

log = logs.get("newsflow.steps")

T = TypeVar("T")

# How often (in the records' own time) a dedupe partition's expired entries are removed.
SWEEP_SECONDS = 600.0
_HANG_SECONDS = 3600.0  # the `hang` fault drill (NEWSFLOW_FAULT_ACTION)


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """What one step made of one input: its outcome, its records and its typed value
    (``None`` when nothing goes on to a following step of the same node)."""

    outcome: str
    article_id: str | None
    records: tuple[Out, ...] = ()
    value: T | None = None


# A step that needs the NER model yields the texts it wants read and gets back, per
# text, the model's spans; the runner decides where the model runs (in this process for
# ``newsflow process`` and ``eval``, in a process pool off the worker's event loop).
ModelTexts: TypeAlias = tuple[str, ...]
ModelReply: TypeAlias = Sequence[tuple[ModelSpan, ...]]
ModelRun: TypeAlias = Generator[ModelTexts, ModelReply, Result[Any]]


class Step(Protocol):
    """A step of the pipeline; ``stage`` names it in metrics, logs and dead letters."""

    stage: str

    def decode(self, value: bytes) -> Any: ...

    def run(self, item: Any, record: Record) -> Result[Any] | ModelRun: ...


def english(article: NormalizedArticle) -> bool:
    """Is the article English, or of a language not told for sure (an identifier's guess
    below 0.5 on a short text)? The NER model reads English."""
    lang = article.language
    unsure = article.language_source == "detected" and (article.language_confidence or 0) < 0.5
    return unsure or lang is None or lang in {"und", "en"} or lang.startswith("en-")


Clock = Callable[[], float]


def _seconds(record: Record, clock: Clock) -> float:
    return record.timestamp_ms / 1000 if record.timestamp_ms else clock()


class Normalize:
    """Raw input bytes -> the normalized article and its MinHash signature, keyed by the
    signature's first min-hash: near-duplicates meet in one dedupe partition with a
    probability equal to their similarity (always, with one dedupe partition)."""

    stage = "normalize"

    def __init__(
        self, settings: Settings, topic: str, fault_marker: bytes = b"", fault_hang: bool = False
    ) -> None:
        self.max_bytes = settings.max_message_bytes
        self.max_input_bytes = settings.max_input_bytes
        self.max_body_chars = settings.max_body_chars
        self.topic = topic
        self.fault_marker = fault_marker
        self.fault_hang = fault_hang

    def decode(self, value: bytes) -> bytes:
        return value

    def article(self, value: bytes, timestamp_ms: int | None) -> NormalizedArticle:
        """Decode and normalize one input record. Raises :class:`RejectedMessage`."""
        if self.fault_marker and self.fault_marker in value:
            # Fault drills only (NEWSFLOW_FAULT_MARKER, off by default): a step that
            # raises unexpectedly, to show such input is dead-lettered and work goes on;
            # or one that never returns, to show the stall watchdog stops the worker.
            if self.fault_hang:
                time.sleep(_HANG_SECONDS)
            raise RuntimeError("fault injection: input carries the configured fault marker")
        doc, _ = decode_input(value, max_bytes=self.max_input_bytes)
        if len(value) > self.max_bytes and not looks_like_html(doc.body):
            # Only a web page may be larger than NEWSFLOW_MAX_MESSAGE_BYTES.
            raise DecodeFailed("input.too_large", f"{len(value)} bytes > {self.max_bytes}")
        return normalize(doc, kafka_timestamp_ms=timestamp_ms, max_body_chars=self.max_body_chars)

    def run(self, item: bytes, record: Record) -> Result[NormalizedArticle]:
        article = self.article(item, record.timestamp_ms)
        sig = signature(article.body)
        key = str(int(sig[0])).encode() if sig is not None else article.id.encode()
        value = dumps(DedupeRecord(article, to_hex(sig) if sig is not None else None))
        return Result("ok", article.id, (Out(self.topic, key, value),), article)


class Dedupe:
    """``{"article", "sig"}`` -> the normalized article, ``duplicate_of`` set for a
    near-duplicate of one seen within the window (table: the dedupe index)."""

    stage = "dedupe"

    def __init__(
        self,
        settings: Settings,
        topic: str,
        table: MutableMapping[bytes, bytes],
        clock: Clock,
    ) -> None:
        self.topic = topic
        self.clock = clock
        self.index = DedupeIndex(
            table,
            window_seconds=settings.dedupe_window_hours * 3600,
            threshold=settings.dedupe_threshold,
        )
        self.last_sweep: dict[int, float] = {}

    def decode(self, value: bytes) -> DedupeRecord:
        return decode_dedupe(value)

    def run(self, item: DedupeRecord, record: Record) -> Result[NormalizedArticle]:
        article, sig_hex = item.article, item.sig
        outcome = "ok"
        if sig_hex is not None:
            try:
                sig = from_hex(sig_hex)
            except ValueError as exc:
                raise SchemaViolation("sig", f"not a signature: {exc!r}"[:300]) from exc
            ts = _seconds(record, self.clock)
            verdict = self.index.check_and_add(article.id, sig, ts, record.partition)
            if verdict.duplicate_of is not None:
                article = replace(
                    article, duplicate_of=verdict.duplicate_of, similarity=verdict.similarity
                )
                outcome = "duplicate"
            self._sweep(ts, record.partition)
        out = Out(self.topic, article.id.encode(), dumps(article))
        return Result(outcome, article.id, (out,), article)

    def _sweep(self, ts: float, partition: int) -> None:
        if ts - self.last_sweep.setdefault(partition, ts) > SWEEP_SECONDS:
            self.last_sweep[partition] = ts
            removed = self.index.sweep(ts, partition)
            log.info("dedupe index swept", partition=partition, removed=removed)


class Tag:
    """NormalizedArticle -> TaggedArticle (entities and summary) against the live
    watchlist's current tagger; with ``NEWSFLOW_NER=all``, the NER model's entities of
    every English article merged in."""

    stage = "tag"

    def __init__(self, topic: str, live: LiveWatchlist, *, model: bool = False) -> None:
        self.topic = topic
        self.live = live
        self.model = model

    def decode(self, value: bytes) -> NormalizedArticle:
        return decode_normalized(value)

    def run(self, item: NormalizedArticle, record: Record) -> ModelRun:
        spans = None
        if self.model and english(item):
            (spans,) = yield (model_text(item.text),)
        tagged = tag_article(self.live.tagger, item, spans)
        out = Out(self.topic, item.id.encode(), dumps(tagged))
        return Result("ok", item.id, (out,), tagged)


class Flag:
    """TaggedArticle -> a candidate Alert keyed by its sanctioned actors, or nothing.

    The alert lists its parties: the people, organisations, vessels and products of its
    evidence sentences. With ``NEWSFLOW_NER=alerts`` the NER model reads the evidence
    sentences of an English candidate first: its names join the article's entities
    (screened against the watchlist) and the article is flagged again with them. With
    ``defer``, the candidate's TaggedArticle goes to ``topic`` instead, for the NER agent
    (:class:`AnnotateAlert`)."""

    stage = "flag"

    def __init__(
        self,
        topic: str,
        rules: RuleSet,
        live: LiveWatchlist | None = None,
        *,
        model: bool = False,
        defer: bool = False,
    ) -> None:
        self.topic = topic
        self.rules = rules
        self.live = live
        self.model = model and live is not None
        self.defer = defer
        self.measures = frozenset(
            code for code, family in rules.families.items() if family in _MEASURES
        )

    def decode(self, value: bytes) -> TaggedArticle:
        return decode_tagged(value)

    def run(self, item: TaggedArticle, record: Record) -> ModelRun:
        alert = flag(item, self.rules)
        if alert is None:
            return Result("no_alert", item.article.id)
        if self.defer:
            # The NER agent flags it again with the model's names (AnnotateAlert); keyed
            # by its actors, so one actor's candidates stay in order through that hop.
            key = actor_key(alert, self.rules.sanctioned).encode()
            return Result("alert", alert.article_id, (Out(self.topic, key, dumps(item)),), alert)
        if self.model and self.live is not None and english(item.article):
            article = item.article
            chosen = sorted({ev.sentence for ev in alert.evidence})[:MODEL_SENTENCES]
            bounds = untagged_names(
                article.text,
                [article.sentences[i] for i in chosen if i < len(article.sentences)],
                item.entities,
            )
            if bounds:
                joined, starts = join_sentences(article.text, bounds)
                (found,) = yield (model_text(joined),)
                item = with_model(self.live.tagger, item, split_spans(found, bounds, starts))
                alert = flag(item, self.rules)
                if alert is None:
                    return Result("no_alert", item.article.id)
        article = item.article
        alert = replace(
            alert,
            parties=parties(article.text, article.sentences, alert, item.entities, self.measures),
        )
        key = actor_key(alert, self.rules.sanctioned).encode()
        return Result("alert", alert.article_id, (Out(self.topic, key, dumps(alert)),), alert)


class AnnotateAlert(Flag):
    """The NER agent's step (``NEWSFLOW_NER_PLACEMENT=agent``): the TaggedArticle of a
    candidate the flag step deferred -> the candidate Alert, flagged as :class:`Flag`
    with the model does (the model reads its evidence sentences first)."""

    stage = "annotate"


# The evidence sentences of one alert the model reads (the first ones in the text):
# read as one text, a dozen sentences cost the model 40 ms on this machine.
MODEL_SENTENCES = 10


_CAPITALISED = re.compile(r"(?<![\w'\u2019-])[A-Z][\w'\u2019-]*")


def untagged_names(
    text: str, bounds: Sequence[tuple[int, int]], entities: Sequence[Entity]
) -> list[tuple[int, int]]:
    """The sentences of ``bounds`` with a capitalised word (not the sentence's first)
    that no entity covers: only there can the model find a name the lists do not know
    (a third of real evidence sentences have none)."""
    spans = sorted((e.start, e.end) for e in entities)
    starts = [a for a, _ in spans]
    out: list[tuple[int, int]] = []
    for s, e in bounds:
        for word in _CAPITALISED.finditer(text, s, e):
            at = word.start()
            if at == s or text[s:at].strip() == "":
                continue
            i = bisect.bisect_right(starts, at)
            if any(a <= at < b for a, b in spans[max(0, i - 8) : i]):
                continue
            out.append((s, e))
            break
    return out


def join_sentences(text: str, bounds: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
    """The sentences ``bounds`` of ``text`` as one text, a line each, and where each
    starts in it (one text costs the model less than a batch of short ones)."""
    starts: list[int] = []
    at = 0
    for s, e in bounds:
        starts.append(at)
        at += e - s + 1
    return "\n".join(text[s:e] for s, e in bounds), starts


def split_spans(
    found: Sequence[ModelSpan], bounds: Sequence[tuple[int, int]], starts: Sequence[int]
) -> list[ModelSpan]:
    """The model's spans of :func:`join_sentences`'s text in the offsets of the article
    (a span across two sentences is dropped)."""
    out: list[ModelSpan] = []
    for span in found:
        i = bisect.bisect_right(starts, span.start) - 1
        if i < 0 or span.end - starts[i] > bounds[i][1] - bounds[i][0]:
            continue
        s = bounds[i][0]
        out.append(ModelSpan(span.label, s + span.start - starts[i], s + span.end - starts[i]))
    return out


# The rule families whose events put a measure on someone: their evidence makes a named
# party "designated" (seeds/rules/sanctions.toml, `family`).
_MEASURES = frozenset({"measure", "enforcement"})


class Route:
    """A candidate Alert -> the Alert to publish when it opens an alert or changes one
    materially (table: open alerts per actor key), with a copy on each per-country alert
    topic of its countries; and, for every candidate, its source record keyed by the
    alert id."""

    stage = "route"

    def __init__(
        self,
        settings: Settings,
        topics: tuple[str, str],
        rules: RuleSet,
        table: MutableMapping[bytes, bytes],
        clock: Clock,
    ) -> None:
        self.topic, self.sources_topic = topics
        self.rules = rules
        self.table = table
        self.clock = clock
        self.policy = Policy(
            window_seconds=settings.alert_update_window_hours * 3600,
            latest_sources=settings.alert_latest_sources,
            replay_memory=settings.alert_replay_memory,
            severity_thresholds=rules.severity,
            designators=rules.designators,
            families=rules.families,
        )
        self.country_topics = {
            c: settings.country_topic(c) for c in settings.alert_countries(rules.sanctioned)
        }

    def decode(self, value: bytes) -> Alert:
        return decode_alert(value)

    def run(self, item: Alert, record: Record) -> Result[Alert]:
        key = actor_key(item, self.rules.sanctioned).encode()
        raw = self.table.get(key)
        routed = merge(
            orjson.loads(raw) if raw else [],
            item,
            now=_seconds(record, self.clock),
            policy=self.policy,
        )
        self.table[key] = orjson.dumps(routed.open_alerts)
        out_key = routed.source.alert_id.encode()
        source = Out(self.sources_topic, out_key, dumps(routed.source))
        alert = routed.alert
        if alert is None:
            return Result("counted", item.article_id, (source,))
        value = dumps(alert)
        copies = tuple(
            Out(self.country_topics[c], out_key, value)
            for c in alert.countries
            if c in self.country_topics
        )
        records = (Out(self.topic, out_key, value), *copies, source)
        return Result(alert.status, alert.article_id, records, alert)
