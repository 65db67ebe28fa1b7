"""What exactly-once costs, against at-least-once, in one run on the three-node cluster
(`make cluster-start`): the same articles through one worker with each guarantee.

  drain:   a backlog of N articles published before the worker starts; articles per
           second from "Worker ready" until the last one is on the tagged topic (read
           as a subscriber of that guarantee would: read_committed for exactly-once)
  latency: articles published at one steady rate for both (half the slower drain unless
           --rate); publish -> tagged-topic arrival (p50/p95/p99), again as such a
           subscriber sees it

    .venv/bin/python -m tests.bench.bench_eos [--articles N] [--rate R] [--seconds S]
                                              [--json PATH]

Figures are printed (and written as JSON); nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

from pipeline.corpus import articles
from pipeline.kafka import producer as make_producer
from pipeline.kafka import publish, read_to_end
from pipeline.settings import Settings
from tests.bench.common import OUT, write_json
from tests.cluster.conftest import Cluster
from tests.integration.conftest import CREATED, Env, Worker, delete_topics_containing, make_env

GUARANTEES = {"at_least_once": "read_uncommitted", "exactly_once": "read_committed"}


def _fresh(n: int, tag: str, seed: int) -> list[tuple[bytes, bytes]]:
    out = []
    for i, raw in enumerate(articles(n, seed=seed)):
        doc = orjson.loads(raw)
        doc["id"] = f"{tag}-{i}"
        out.append((doc["id"].encode(), orjson.dumps(doc)))
    return out


def _drain(env: Env, n: int, isolation: str) -> tuple[Worker, float]:
    """Publish ``n`` articles, start the worker, time it through them."""
    asyncio.run(publish(env.settings, _fresh(n, "drain", seed=41)))
    worker = Worker(env, "bench")
    worker.start()
    ready = time.monotonic()
    while True:
        done = asyncio.run(
            read_to_end(env.settings, env.settings.topic_tagged, isolation_level=isolation)
        )
        if len(done) >= n:
            return worker, time.monotonic() - ready
        time.sleep(0.2)


async def _paced(env: Env, rate: float, seconds: float, isolation: str) -> list[float]:
    """Publish at ``rate`` per second for ``seconds``; every article's publish -> tagged
    arrival (s), as a reader with ``isolation`` sees it."""
    consumer = AIOKafkaConsumer(
        env.settings.topic_tagged,
        bootstrap_servers=env.settings.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        isolation_level=isolation,
    )
    await consumer.start()
    await consumer.seek_to_end()
    records = _fresh(int(rate * seconds), f"paced-{time.time_ns()}", seed=43)
    sent: dict[bytes, float] = {}
    latencies: list[float] = []

    async def observe() -> None:
        while len(latencies) < len(records):
            batch = await consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for messages in batch.values():
                for m in messages:
                    if m.key in sent:
                        latencies.append(now - sent[m.key])

    observer = asyncio.create_task(observe())
    producer = make_producer(env.settings)
    await producer.start()
    try:
        t0 = time.monotonic()
        for i, (key, value) in enumerate(records):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[key] = time.monotonic()
            await producer.send(env.settings.topic_raw, value, key=key)
        await producer.flush()
        await asyncio.wait_for(observer, seconds + 120)
    finally:
        await producer.stop()
        await consumer.stop()
    return latencies


def _percentiles(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def run(articles_n: int, rate: float | None, seconds: float) -> dict[str, Any]:
    """Drain with each guarantee, then the paced latency of each at one offered rate:
    ``rate``, or half the slower drain (a worker at saturation only measures its queue)."""
    cluster = Cluster()
    cluster.start()
    bootstrap = cluster.bootstrap
    results: dict[str, Any] = {}
    envs: dict[str, Env] = {}
    with TemporaryDirectory(prefix="bench-eos-") as tmp:
        try:
            for guarantee, isolation in GUARANTEES.items():
                workdir = Path(tmp) / guarantee
                workdir.mkdir(parents=True)
                env = envs[guarantee] = make_env(
                    bootstrap,
                    workdir,
                    NEWSFLOW_TOPIC_REPLICATION="3",
                    NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS="2",
                    NEWSFLOW_PROCESSING_GUARANTEE=guarantee,
                )
                assert env.run_cli("topics", "create").returncode == 0
                worker, drain_s = _drain(env, articles_n, isolation)
                worker.stop()
                results[guarantee] = {"drain_articles_per_second": round(articles_n / drain_s, 1)}
                print(f"{guarantee}: drain {results[guarantee]}", flush=True)
            offered = rate or round(
                0.5 * min(r["drain_articles_per_second"] for r in results.values()), 1
            )
            for guarantee, isolation in GUARANTEES.items():
                worker = Worker(envs[guarantee], "paced")
                worker.start()
                try:
                    latencies = asyncio.run(_paced(envs[guarantee], offered, seconds, isolation))
                finally:
                    worker.stop()
                results[guarantee].update(paced_per_second=offered, **_percentiles(latencies))
                print(f"{guarantee}: {results[guarantee]}", flush=True)
        finally:
            asyncio.run(delete_topics_containing(bootstrap, CREATED))
    alo, eos = results["at_least_once"], results["exactly_once"]
    results["exactly_once_vs_at_least_once"] = {
        "drain": round(eos["drain_articles_per_second"] / alo["drain_articles_per_second"], 2),
        "p50": round(eos["p50_ms"] / alo["p50_ms"], 2),
        "p99": round(eos["p99_ms"] / alo["p99_ms"], 2),
    }
    results["settings"] = {
        "articles": articles_n,
        "bootstrap": bootstrap,
        "producer_linger_ms": Settings().producer_linger_ms,
    }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=None, help="default: half the slower drain")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", type=Path, default=OUT / "eos.json")
    args = parser.parse_args(argv)
    results = run(args.articles, args.rate, args.seconds)
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
