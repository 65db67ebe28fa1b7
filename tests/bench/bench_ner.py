"""What the NER model costs the stream, through the real local broker, in one run:

for each NEWSFLOW_NER mode (off, alerts, all) and for ``agent`` (alerts with
NEWSFLOW_NER_PLACEMENT=agent: a flagging worker without the model, and one NER agent
worker of its own group), the workers drain the same pre-published backlog (synthetic
articles, about 10 % of them raising an alert) and the throughput is taken from their
own counters; then, at 50 % of that mode's throughput and at 50 % of ``off``'s, articles
are published at a steady rate and every alert's publish -> alert latency is measured.

    .venv/bin/python -m tests.bench.bench_ner [--articles N] [--latency-seconds S]
                                              [--relevant SHARE] [--json PATH]
                                              [--corpus LABELLED.jsonl ...]

With ``--corpus``, the stream is made of the English articles of labelled files
(``newsflow eval``'s format, e.g. ../shared/eval/real-dev.jsonl): relevant ones for the
given share, the others for the rest, each under a fresh id (real alerts have about three
evidence sentences; the synthetic ones a dozen).

Needs the broker (`make kafka-start`). Prints the figures and writes them as JSON; the
issue's goals are printed as met or not, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

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
from tests.integration.conftest import (
    CREATED,
    Env,
    Worker,
    delete_topics_containing,
    ner_agent_envs,
)

MODES = ("off", "alerts", "agent", "all")


def real_stream(paths: list[Path], count: int, relevant: float, seed: int = 7) -> list[bytes]:
    """``count`` input records from labelled articles: a ``relevant`` share of relevant
    ones, the rest not, English only, drawn in turn under fresh ids."""
    docs = [orjson.loads(line) for p in paths for line in p.read_bytes().splitlines() if line]
    english = [d for d in docs if d.get("language", "en") == "en" and _english(d)]
    hot = [d for d in english if d.get("relevant")]
    cold = [d for d in english if not d.get("relevant")]
    if not hot or not cold:
        raise SystemExit("the corpus needs relevant and other English articles")
    rng = random.Random(seed)
    out = []
    for i in range(count):
        doc = rng.choice(hot if rng.random() < relevant else cold)
        out.append(
            orjson.dumps(
                {"id": f"{doc['id']}-{seed}-{i}", "title": doc["title"], "body": doc["text"]}
            )
        )
    return out


def _english(doc: dict[str, Any]) -> bool:
    text = f"{doc.get('title', '')} {doc.get('text', '')}"
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) > 0.97


Make = Callable[[int, float, int], list[bytes]]


def _workers(workdir: Path, source: str, mode: str, name: str) -> tuple[Env, list[Worker]]:
    """The started workers of ``mode`` (two for ``agent``) and the first one's env."""
    if mode != "agent":
        env = _env(workdir, source, NEWSFLOW_NER=mode)
        return env, [_start(env, name)]
    workdir.mkdir(parents=True, exist_ok=True)
    env, agent_env = ner_agent_envs(BOOTSTRAP, workdir, NEWSFLOW_TOPIC_RAW=source)
    agent = Worker(agent_env, f"{name}-ner")
    flagging = Worker(env, name)
    flagging.spawn()
    agent.spawn()
    flagging.wait_ready()
    agent.wait_ready()
    return env, [flagging, agent]


def _ports(workers: list[Worker]) -> list[int]:
    return [int(w.env_vars["NEWSFLOW_METRICS_PORT"]) for w in workers]


def _latency(
    workdir: Path, mode: str, rate: float, *, seconds: float, seed: int, make: Make
) -> dict[str, Any]:
    source = f"bench.{uuid.uuid4().hex[:8]}.paced-{mode}"
    asyncio.run(create_topics(Settings(kafka_bootstrap=BOOTSTRAP), [source]))
    env, workers = _workers(workdir, source, mode, f"latency-{mode}")
    try:
        warm = _fresh(make(60, 0.5, seed), f"warm{seed}")
        asyncio.run(_paced(source, warm, 30, env.settings.topic_alerts))
        batch = _fresh(make(max(40, int(rate * seconds)), 0.1, seed + 1), f"l{seed}")
        lat = asyncio.run(_paced(source, batch, rate, env.settings.topic_alerts))
    finally:
        for worker in workers:
            worker.stop()
    return {"offered_per_second": round(rate, 1), **_percentiles(lat)}


def run(
    count: int,
    seconds: float,
    relevant: float,
    workdir: Path,
    *,
    corpus: list[Path],
    rounds: int = 1,
) -> dict[str, Any]:
    def make(n: int, share: float, seed: int) -> list[bytes]:
        if corpus:
            return real_stream(corpus, n, share, seed)
        return articles(n, relevant_share=share, seed=seed)

    suffix = uuid.uuid4().hex[:8]
    source = f"bench.{suffix}.ner-in"
    asyncio.run(create_topics(Settings(kafka_bootstrap=BOOTSTRAP), [source]))
    records = make(count, relevant, 7)
    _publish(source, records)
    print(
        f"{count} {'real' if corpus else 'synthetic'} articles, {relevant:.0%} relevant; "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    result: dict[str, Any] = {
        "articles": count,
        "corpus": [str(p) for p in corpus] or "synthetic",
        "relevant_share": relevant,
        "modes": {},
    }
    # The modes take turns, ``rounds`` times, and each keeps its best drain: the machine's
    # other load then weighs on every mode alike.
    for r in range(rounds):
        for mode in MODES:
            _, workers = _workers(workdir / f"drain-{mode}-{r}", source, mode, f"drain-{mode}-{r}")
            ports = _ports(workers)
            try:
                rate, _ = _pipeline_rate(ports, count, 1800, deferred=mode == "agent")
                counters = _metrics(ports[0])
                rss = sum(rss_mb(w.proc.pid) for w in workers)  # type: ignore[union-attr]
            finally:
                for worker in workers:
                    worker.stop()
            alerts = counters.get(("flag", "alert"), 0.0)
            row = result["modes"].setdefault(mode, {"drains": []})
            row["drains"].append(round(rate, 1))
            row["articles_per_second"] = max(row["drains"])
            row["alert_share"] = round(alerts / count, 3)
            row["rss_mb_worker"] = round(rss, 1)
            print(
                f"round {r + 1}: NEWSFLOW_NER={mode:6} {rate:8.1f} articles/s; "
                f"{alerts / count:.1%} raised an alert candidate; worker RSS {rss:.0f} MB "
                "(the model's pool processes not counted)",
                flush=True,
            )
    off = result["modes"]["off"]["articles_per_second"]
    for k, mode in enumerate(MODES):
        own = result["modes"][mode]["articles_per_second"]
        row = result["modes"][mode]
        row["ratio_to_off"] = round(own / off, 3)
        row["latency_50pct_own"] = _latency(
            workdir / f"lat-{mode}", mode, own / 2, seconds=seconds, seed=10 * k, make=make
        )
        row["latency_50pct_of_off"] = (
            row["latency_50pct_own"]
            if mode == "off"
            else _latency(
                workdir / f"lat-off-{mode}",
                mode,
                off / 2,
                seconds=seconds,
                seed=10 * k + 5,
                make=make,
            )
        )
        print(
            f"NEWSFLOW_NER={mode:6} x{row['ratio_to_off']:.3f} of off; latency at 50 % of its "
            f"own rate: {row['latency_50pct_own']}; at 50 % of off's: "
            f"{row['latency_50pct_of_off']}",
            flush=True,
        )
    result["goals"] = {}
    for mode in ("alerts", "agent"):
        row = result["modes"][mode]
        p99 = row["latency_50pct_of_off"].get("p99_ms")
        result["goals"][f"{mode} within 15 % of off's throughput"] = row["ratio_to_off"] >= 0.85
        result["goals"][f"{mode} p99 < 250 ms at 50 % of off's load"] = p99 < 250 if p99 else None
    for goal, met in result["goals"].items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--relevant", type=float, default=0.1, help="share of relevant articles")
    parser.add_argument("--json", type=Path, default=OUT / "ner.json")
    parser.add_argument("--corpus", type=Path, nargs="*", default=[], help="labelled JSONL")
    parser.add_argument("--rounds", type=int, default=2, help="drains per mode, in turns")
    options = parser.parse_args()
    workdir = OUT / "work-ner"
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        result = run(
            options.articles,
            options.latency_seconds,
            options.relevant,
            workdir,
            corpus=options.corpus,
            rounds=options.rounds,
        )
    finally:
        asyncio.run(delete_topics_containing(BOOTSTRAP, [*CREATED, "bench."]))
    write_json(options.json, result)
    print(f"written {options.json}", flush=True)


if __name__ == "__main__":
    main()
