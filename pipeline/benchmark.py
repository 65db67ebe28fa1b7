"""In-process benchmark behind ``newsflow bench``: articles per second for each step and
for the whole pipeline on one core, next to a baseline measured in the same run
(``orjson.loads`` + ``str.split`` of the same articles).

``chain`` is the in-memory runner over the pipeline's topology (normalize, dedupe, tag,
flag, route, with their tables, decoding and encoding between nodes): what the worker
computes for an article, without Kafka. Each step is timed on the records it reads in
that run (decoding its input included), with fresh tables for every pass.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from pipeline.corpus import articles
from pipeline.ner import in_process
from pipeline.records import Record
from pipeline.resources import Stages, build_stages
from pipeline.runner import MemoryRunner
from pipeline.settings import Settings
from pipeline.steps import Step
from pipeline.topology import bind, describe, process


def rate(fn: Callable[[Any], object], items: Sequence[Any], repeat: int) -> float:
    """Items per second: the best of ``repeat`` timed passes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return len(items) / best if best > 0 else float("inf")


def _rate_fresh(
    make: Callable[[], Callable[[Any], object]], items: Sequence[Any], repeat: int
) -> float:
    """Like :func:`rate`, with a new ``make()`` (fresh tables) for every pass."""
    best = float("inf")
    for _ in range(repeat):
        fn = make()
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return len(items) / best if best > 0 else float("inf")


def _step(settings: Settings, stages: Stages, stage: str) -> Callable[[], Callable[[Any], object]]:
    topology = describe(settings, stages.rules.sanctioned)

    def make() -> Callable[[Any], object]:
        tables: dict[str, dict[bytes, bytes]] = {t.name: {} for t in topology.tables}
        bound = bind(topology, settings, stages, tables)
        step: Step = next(s for steps in bound.values() for s in steps if s.stage == stage)
        annotate = None if settings.ner == "off" else in_process(settings.ner_model)

        def run(record: Record) -> object:
            return process((step,), record, deadletter_topic=topology.deadletter, annotate=annotate)

        return run

    return make


def quick(
    settings: Settings, count: int = 1500, repeat: int = 2, size: int = 3000
) -> dict[str, Any]:
    """Measure with ``count`` synthetic articles of about ``size`` characters; returns the
    figures as a JSON-ready dict."""
    stages = build_stages(settings)
    raws = articles(count, size=size)
    # One run of the pipeline gives every step's input records.
    runner = MemoryRunner(settings, stages, count_metrics=False)
    reads: dict[str, list[Record]] = {}
    alerts = 0
    for raw in raws:
        trace = runner.feed(raw)
        alerts += len(trace.on(settings.topic_alerts))
        for record in trace.written:
            reads.setdefault(record.topic, []).append(record)
    inputs = {
        "normalize": settings.topic_raw,
        "dedupe": settings.topic_dedupe,
        "tag": settings.topic_normalized,
        "flag": settings.topic_tagged,
        **({"annotate": settings.topic_alert_unannotated} if settings.ner_agent else {}),
        "route": settings.topic_alert_candidates,
    }

    def whole() -> Callable[[bytes], object]:
        return MemoryRunner(settings, stages).feed

    rates: dict[str, float | None] = {}
    for stage, topic in inputs.items():
        records = reads.get(topic, [])
        rates[stage] = (
            _rate_fresh(_step(settings, stages, stage), records, repeat) if records else None
        )
    chain_rate = _rate_fresh(whole, raws, repeat)
    rates["chain"] = chain_rate
    baseline = rate(lambda r: orjson.loads(r)["body"].split(), raws, repeat)
    return {
        "articles": count,
        "mean_bytes": round(sum(len(r) for r in raws) / len(raws)),
        "alerts": alerts,
        "layout": settings.stage_layout,
        "cpu_count": os.cpu_count(),
        "articles_per_second": {
            k: (round(v, 1) if v is not None else None) for k, v in rates.items()
        },
        "baseline_articles_per_second": round(baseline, 1),
        "chain_ratio_to_baseline": round(chain_rate / baseline, 5),
    }
