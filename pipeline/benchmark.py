"""In-process benchmark behind ``newsflow bench --quick``: articles per second for each
stage and for the whole chain on one core, next to a baseline measured in the same run
(``orjson.loads`` + ``str.split`` of the same articles)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import orjson

from pipeline.chain import run_normalize
from pipeline.corpus import articles
from pipeline.models import Alert, NormalizedArticle, TaggedArticle
from pipeline.resources import build_stages
from pipeline.settings import Settings
from pipeline.stages.alerts import actor_key, merge
from pipeline.stages.dedupe import signature
from pipeline.stages.entities import tag_article
from pipeline.stages.sanctions import flag


def rate(fn: Callable[[Any], object], items: list[Any], repeat: int) -> float:
    """Items per second: the best of ``repeat`` timed passes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return len(items) / best if best > 0 else float("inf")


def quick(
    settings: Settings, count: int = 1500, repeat: int = 2, size: int = 3000
) -> dict[str, Any]:
    """Measure with ``count`` synthetic articles of about ``size`` characters; returns the
    figures as a JSON-ready dict."""
    stages = build_stages(settings)
    raws = articles(count, size=size)
    normalized: list[NormalizedArticle] = [run_normalize(r, settings, None) for r in raws]
    tagged: list[TaggedArticle] = [tag_article(stages.tagger, a) for a in normalized]
    alerts: list[Alert] = [a for a in (flag(t, stages.rules) for t in tagged) if a is not None]
    open_alerts: dict[str, list[dict[str, Any]]] = {}

    def route(alert: Alert) -> None:
        key = actor_key(alert, stages.rules.sanctioned)
        _, open_alerts[key] = merge(
            open_alerts.get(key, []),
            alert,
            now=0.0,
            window_seconds=3600,
            severity_thresholds=stages.rules.severity,
        )

    def chain(raw: bytes) -> None:
        article = run_normalize(raw, settings, None)
        signature(article.body)
        alert = flag(tag_article(stages.tagger, article), stages.rules)
        if alert is not None:
            route(alert)

    chain_rate = rate(chain, raws, repeat)
    rates: dict[str, float | None] = {
        "normalize": rate(lambda r: run_normalize(r, settings, None), raws, repeat),
        "dedupe": rate(lambda a: signature(a.body), normalized, repeat),
        "tag": rate(lambda a: tag_article(stages.tagger, a), normalized, repeat),
        "flag": rate(lambda t: flag(t, stages.rules), tagged, repeat),
        "route": rate(route, alerts, repeat) if alerts else None,
        "chain": chain_rate,
    }
    baseline = rate(lambda r: orjson.loads(r)["body"].split(), raws, repeat)
    return {
        "articles": count,
        "mean_bytes": round(sum(len(r) for r in raws) / len(raws)),
        "alerts": len(alerts),
        "cpu_count": os.cpu_count(),
        "articles_per_second": {
            k: (round(v, 1) if v is not None else None) for k, v in rates.items()
        },
        "baseline_articles_per_second": round(baseline, 1),
        "chain_ratio_to_baseline": round(chain_rate / baseline, 5),
    }
