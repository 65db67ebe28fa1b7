"""What the NER model costs the stream, through the real local broker, in one run:

for each NEWSFLOW_NER mode (off, alerts, all), one worker drains the same pre-published
backlog (synthetic articles, about 10 % of them raising an alert) and its throughput is
taken from its own counters; then, at 50 % of that mode's throughput and at 50 % of
``off``'s, articles are published at a steady rate and every alert's publish -> alert
latency is measured.

    .venv/bin/python -m tests.bench.bench_ner [--articles N] [--latency-seconds S]
                                              [--relevant SHARE] [--json PATH]

Needs the broker (`make kafka-start`). Prints the figures and writes them as JSON; the
issue's goals are printed as met or not, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from pipeline.corpus import articles
from pipeline.kafka import create_topics
from pipeline.settings import Settings
from tests.bench.bench_e2e import (
    BOOTSTRAP,
    _env,
    _fresh,
    _metrics,
    _paced,
    _percentiles,
    _pipeline_rate,
    _publish,
    _start,
)
from tests.bench.common import OUT, rss_mb, write_json
from tests.integration.conftest import CREATED, delete_topics_containing

MODES = ("off", "alerts", "all")


def _latency(workdir: Path, mode: str, rate: float, seconds: float, seed: int) -> dict[str, Any]:
    source = f"bench.{uuid.uuid4().hex[:8]}.paced-{mode}"
    asyncio.run(create_topics(Settings(kafka_bootstrap=BOOTSTRAP), [source]))
    env = _env(workdir, source, NEWSFLOW_NER=mode)
    worker = _start(env, f"latency-{mode}")
    try:
        warm = _fresh(articles(60, seed=seed, relevant_share=0.5), f"warm{seed}")
        asyncio.run(_paced(source, warm, 30, env.settings.topic_alerts))
        batch = _fresh(
            articles(max(40, int(rate * seconds)), seed=seed + 1, relevant_share=0.1),
            f"l{seed}",
        )
        lat = asyncio.run(_paced(source, batch, rate, env.settings.topic_alerts))
    finally:
        worker.stop()
    return {"offered_per_second": round(rate, 1), **_percentiles(lat)}


def run(count: int, seconds: float, relevant: float, workdir: Path) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    source = f"bench.{suffix}.ner-in"
    asyncio.run(create_topics(Settings(kafka_bootstrap=BOOTSTRAP), [source]))
    records = articles(count, relevant_share=relevant)
    _publish(source, records)
    print(
        f"{count} synthetic articles, {relevant:.0%} relevant; {os.cpu_count()} cores", flush=True
    )
    result: dict[str, Any] = {"articles": count, "relevant_share": relevant, "modes": {}}
    for mode in MODES:
        env = _env(workdir / f"drain-{mode}", source, NEWSFLOW_NER=mode)
        worker = _start(env, f"drain-{mode}")
        port = int(env.vars["NEWSFLOW_METRICS_PORT"])
        try:
            rate, _ = _pipeline_rate([port], count, 1800)
            counters = _metrics(port)
            rss = rss_mb(worker.proc.pid)  # type: ignore[union-attr]
        finally:
            worker.stop()
        alerts = counters.get(("flag", "alert"), 0.0)
        result["modes"][mode] = {
            "articles_per_second": round(rate, 1),
            "alert_share": round(alerts / count, 3),
            "rss_mb_worker": round(rss, 1),
        }
        print(
            f"NEWSFLOW_NER={mode:6} {rate:8.1f} articles/s; {alerts / count:.1%} raised an "
            f"alert candidate; worker RSS {rss:.0f} MB (the model's processes not counted)",
            flush=True,
        )
    off = result["modes"]["off"]["articles_per_second"]
    for k, mode in enumerate(MODES):
        own = result["modes"][mode]["articles_per_second"]
        row = result["modes"][mode]
        row["ratio_to_off"] = round(own / off, 3)
        row["latency_50pct_own"] = _latency(workdir / f"lat-{mode}", mode, own / 2, seconds, 10 * k)
        row["latency_50pct_of_off"] = (
            row["latency_50pct_own"]
            if mode == "off"
            else _latency(workdir / f"lat-off-{mode}", mode, off / 2, seconds, 10 * k + 5)
        )
        print(
            f"NEWSFLOW_NER={mode:6} x{row['ratio_to_off']:.3f} of off; latency at 50 % of its "
            f"own rate: {row['latency_50pct_own']}; at 50 % of off's: "
            f"{row['latency_50pct_of_off']}",
            flush=True,
        )
    alerts_row = result["modes"]["alerts"]
    p99 = alerts_row["latency_50pct_of_off"].get("p99_ms")
    result["goals"] = {
        "alerts mode within 15 % of off's throughput": alerts_row["ratio_to_off"] >= 0.85,
        "alerts mode p99 < 250 ms at 50 % of off's load": p99 < 250 if p99 else None,
    }
    for goal, met in result["goals"].items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--relevant", type=float, default=0.1, help="share of relevant articles")
    parser.add_argument("--json", type=Path, default=OUT / "ner.json")
    options = parser.parse_args()
    workdir = OUT / "work-ner"
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        result = run(options.articles, options.latency_seconds, options.relevant, workdir)
    finally:
        asyncio.run(delete_topics_containing(BOOTSTRAP, [*CREATED, "bench."]))
    write_json(options.json, result)
    print(f"written {options.json}", flush=True)


if __name__ == "__main__":
    main()
