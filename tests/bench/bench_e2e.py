"""End-to-end benchmark through the real local broker, one run, one message set:

  (a) a raw aiokafka consume -> produce passthrough,
  (b) a no-op faust agent passthrough (the worker's transport settings),
  (b4) four no-op faust agents chained through topics: the pipeline's topology, no work,
  (c) the full newsflow pipeline (one worker), then two workers in one group,

then publish -> alert latency at 25 / 50 / 75 % of (c)'s throughput, and the worker's
resident memory at steady state with the sample watchlist and with 100,000 extra names.

    .venv/bin/python -m tests.bench.bench_e2e [--articles N] [--latency-seconds S]
                                              [--json PATH]

Throughput is sustained drain rate of a backlog: every run reads the same pre-published
input topic with its own consumer group; the clock runs from the first output to the
last, so start-up and group joins are not counted. Needs the broker (`make kafka-start`).
Figures are printed and written as JSON; tests/bench/plot.py draws them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from pipeline.corpus import articles, watchlist_lines
from pipeline.kafka import create_topics, publish
from pipeline.settings import Settings
from tests.bench.common import OUT, rss_mb, write_json
from tests.integration.conftest import (
    CREATED,
    Env,
    Worker,
    assigned_partitions,
    delete_topics_containing,
    make_env,
    second_worker_env,
)

BOOTSTRAP = os.environ.get("NEWSFLOW_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
FETCH_BYTES = Settings().consumer_fetch_bytes


def _producer(linger_ms: int = 5) -> AIOKafkaProducer:
    # The worker's producer: idempotent, acks=all, 5 ms linger, 1 MiB batches.
    return AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=1024 * 1024,
        max_request_size=4 * 1024 * 1024,
    )


def _consumer(*topics: str, group: str | None, **extra: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=BOOTSTRAP,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=FETCH_BYTES,
        fetch_max_bytes=4 * FETCH_BYTES,
        **extra,
    )


# ---- (a) raw aiokafka passthrough, run as its own process -------------------------------


# Agents an article passes through in the default (fused) layout: normalize, dedupe,
# tag+flag, route.
PIPELINE_HOPS = 4


async def raw_passthrough(src: str, dst: str, group: str, count: int) -> None:
    """Consume ``src`` in a group, produce every record to ``dst``, commit after the
    producer has them: the least any consume -> produce service can do."""
    consumer, producer = _consumer(src, group=group), _producer()
    await consumer.start()
    await producer.start()
    forwarded = 0
    try:
        while forwarded < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            futures = [
                await producer.send(dst, m.value, key=m.key, timestamp_ms=m.timestamp)
                for messages in batch.values()
                for m in messages
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
                forwarded += len(futures)
    finally:
        await producer.stop()
        await consumer.stop()


def faust_passthrough(src: str, dst: str, hops: int = 1) -> None:
    """(b): the no-op faust agent with the worker's settings, as a faust worker; with
    ``hops`` > 1, that many agents chained through topics (the pipeline's topology)."""
    from faust.worker import Worker as FaustWorker

    from tests.bench.yardstick import passthrough_app

    settings = Settings.from_env()
    app = passthrough_app(settings, src, dst, hops)
    FaustWorker(app, loglevel="info", quiet=True).execute_from_commandline()


def wired_noop() -> None:
    """(w): the worker itself (``newsflow worker``'s app: agents from the topology,
    delivery tracking, metrics, tables, the watchlist and lag tasks) with every step a
    no-op forward; the input is the env's raw topic, the output its alerts topic."""
    from pipeline.worker.run import main as run_worker
    from tests.bench.yardstick import noop_steps

    run_worker(Settings.from_env(), bind_steps=noop_steps)


# ---- measuring --------------------------------------------------------------------------


# A run that sees no new output for this long has stalled: it fails instead of waiting.
STALL_SECONDS = 90.0


async def _arrivals(topic: str, count: int, timeout: float) -> list[tuple[float, int]]:
    """(arrival time, record timestamp ms) of the first ``count`` records of ``topic``.

    Raises:
        SystemExit: nothing new arrived for STALL_SECONDS (a stuck worker), or the
            records did not all arrive within ``timeout``.
    """
    consumer = _consumer(topic, group=None)
    await consumer.start()
    seen: list[tuple[float, int]] = []
    deadline = time.monotonic() + timeout
    last = time.monotonic()
    try:
        while len(seen) < count:
            now = time.monotonic()
            if now > deadline or now - last > STALL_SECONDS:
                waited = timeout if now > deadline else STALL_SECONDS
                raise SystemExit(
                    f"{topic}: {len(seen)} of {count} records, none new for {waited:.0f} s; "
                    "the worker's log is in the benchmark's work directory"
                )
            batch = await consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            got = [(now, m.timestamp) for msgs in batch.values() for m in msgs]
            if got:
                last = now
                seen.extend(got)
    finally:
        await consumer.stop()
    return seen


def _drain_rate(arrivals: list[tuple[float, int]], count: int) -> float:
    """Records per second after the first batch seen: the clock starts when that batch
    arrives, so only the records after it count."""
    if len(arrivals) < count:
        raise SystemExit(f"only {len(arrivals)} of {count} records arrived")
    first = arrivals[0][0]
    after = sum(1 for t, _ in arrivals[:count] if t > first)
    span = arrivals[count - 1][0] - first
    if after < count // 2 or span <= 0:
        raise SystemExit("too few arrival batches to time: publish more records")
    return after / span


def _metrics(port: int) -> dict[tuple[str, str], float]:
    """newsflow_messages_total by (stage, outcome)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    counts: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "newsflow_messages":
            for s in family.samples:
                if s.name.endswith("_total"):
                    counts[(s.labels["stage"], s.labels["outcome"])] = s.value
    return counts


def _done(counts: Counter[tuple[str, str]], count: int, *, deferred: bool = False) -> bool:
    """Every article through the flag stage and every alert candidate routed (with
    ``deferred``, through the NER agent's annotate stage first)."""
    flagged = sum(v for (stage, _), v in counts.items() if stage == "flag")
    candidates = counts[("flag", "alert")]
    routed = sum(v for (stage, _), v in counts.items() if stage == "route")
    if deferred:
        annotated = sum(v for (stage, _), v in counts.items() if stage == "annotate")
        if annotated < candidates:
            return False
        candidates = counts[("annotate", "alert")]
    return flagged >= count and routed >= candidates


def _pipeline_rate(
    ports: list[int], count: int, timeout: float, *, deferred: bool = False
) -> tuple[float, list[float]]:
    """Drain rate of the workers behind ``ports`` (from their own counters) and each
    worker's share of the normalized articles; ``deferred``: candidates go through the
    NER agent's workers (among ``ports``)."""
    started: float | None = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        per_worker = [_metrics(p) for p in ports]
        total: Counter[tuple[str, str]] = Counter()
        for c in per_worker:
            total.update(c)
        now = time.monotonic()
        if started is None and any(s == "normalize" and v for (s, _), v in total.items()):
            started = now
        if _done(total, count, deferred=deferred):
            assert started is not None
            shares = [
                sum(v for (s, _), v in c.items() if s == "normalize") / count for c in per_worker
            ]
            return count / max(now - started, 1e-9), shares
        time.sleep(0.1)
    raise SystemExit(f"pipeline did not finish {count} articles in {timeout} s")


def _publish(topic: str, records: list[bytes]) -> None:
    keyed = [(str(i).encode(), r) for i, r in enumerate(records)]
    asyncio.run(publish(Settings(kafka_bootstrap=BOOTSTRAP), keyed, topic))


def _env(workdir: Path, source: str, **extra: str) -> Env:
    workdir.mkdir(parents=True, exist_ok=True)
    return make_env(BOOTSTRAP, workdir, NEWSFLOW_TOPIC_RAW=source, **extra)


def _start(env: Env, name: str, argv: tuple[str, ...] | None = None) -> Worker:
    worker = Worker(env, name, argv) if argv else Worker(env, name)
    worker.start()
    return worker


# ---- latency -----------------------------------------------------------------------------


def _fresh(records: list[bytes], tag: str) -> list[bytes]:
    """The same articles under new ids (a re-published id is a redelivery to the pipeline)."""
    out = []
    for raw in records:
        doc = orjson.loads(raw)
        doc["id"] = f"{tag}-{doc['id']}"
        out.append(orjson.dumps(doc))
    return out


async def _paced(topic: str, records: list[bytes], rate: float, alerts_topic: str) -> list[float]:
    """Publish ``records`` at ``rate`` per second while reading ``alerts_topic``; the
    publish -> alert latency (s) of every alert that arrives, until 5 s pass quietly."""
    consumer = AIOKafkaConsumer(
        alerts_topic, bootstrap_servers=BOOTSTRAP, group_id=None, auto_offset_reset="latest"
    )
    await consumer.start()
    await consumer.seek_to_end()
    latencies: list[float] = []
    stop = asyncio.Event()

    async def observe() -> None:
        quiet_since = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=100)
            now = time.time()
            got = [now - m.timestamp / 1000 for msgs in batch.values() for m in msgs]
            latencies.extend(got)
            if got:
                quiet_since = time.monotonic()
            elif stop.is_set() and time.monotonic() - quiet_since > 5:
                return

    observer = asyncio.create_task(observe())
    producer = _producer(linger_ms=0)
    await producer.start()
    try:
        t0 = time.monotonic()
        for i, record in enumerate(records):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await producer.send(topic, record, key=str(i).encode())
        await producer.flush()
        stop.set()
        await observer
    finally:
        await producer.stop()
        await consumer.stop()
    return latencies


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"alerts": len(values)}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "alerts": len(values),
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


# ---- the run -----------------------------------------------------------------------------


def _passthrough(role: str, source: str, total: int, workdir: Path, suffix: str) -> float:
    from tests.bench.yardstick import hop_topics

    dst = f"bench.{suffix}.{role}-out"
    # every topic of the chain, created and with a leader per partition before the worker
    # joins: one that joins before they exist is assigned none of their partitions and
    # waits for ever ("not found in cluster metadata")
    hops = PIPELINE_HOPS if role == "faust-chain" else 1
    env = _env(workdir / role, source)
    asyncio.run(create_topics(env.settings, hop_topics(source, dst, hops)[1:]))
    argv = ("-m", "tests.bench.bench_e2e", "--role", role, source, dst, f"bench-{role}-{suffix}")
    proc = _start(env, role, argv)
    try:
        return _drain_rate(asyncio.run(_arrivals(dst, total, 600)), total)
    finally:
        proc.stop()


def _settled(ports: list[int], topic: str, partitions: int, timeout: float = 90) -> list[set[int]]:
    """Wait until the workers behind ``ports`` hold disjoint shares of ``topic``."""
    deadline = time.monotonic() + timeout
    split: list[set[int]] = []
    while time.monotonic() < deadline:
        split = [assigned_partitions(p, topic) for p in ports]
        if all(split) and sum(map(len, split)) == partitions == len(set().union(*split)):
            return split
        time.sleep(0.5)
    raise SystemExit(f"the group did not settle in {timeout} s: {split}")


def run(count: int, repeat: int, latency_seconds: float, workdir: Path) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(kafka_bootstrap=BOOTSTRAP)
    once, many, later = (f"bench.{suffix}.{n}" for n in ("in", "in-repeated", "in-two"))
    asyncio.run(create_topics(settings, [once, many, later]))
    records = articles(count)
    _publish(once, records)
    # The passthroughs drain a copy of the set in a fraction of a second: they get the set
    # ``repeat`` times (under new ids), so their rate is sustained over seconds too.
    _publish(many, [r for k in range(repeat) for r in _fresh(records, f"r{k}")])
    size = sum(map(len, records)) / count
    print(
        f"{count} synthetic articles, {size / 1000:.1f} KB on average; passthroughs get them "
        f"x{repeat}; {settings.topic_partitions} partitions; {os.cpu_count()} cores",
        flush=True,
    )
    result: dict[str, Any] = {
        "cores": os.cpu_count(),
        "articles": count,
        "passthrough_articles": count * repeat,
        "mean_article_bytes": round(size),
        "partitions": settings.topic_partitions,
    }

    result["raw_aiokafka"] = _passthrough("raw", many, count * repeat, workdir, suffix)
    print(f"(a) raw aiokafka passthrough   {result['raw_aiokafka']:8.0f} articles/s", flush=True)
    result["faust_passthrough"] = _passthrough("faust", many, count * repeat, workdir, suffix)
    print(
        f"(b) faust no-op passthrough    {result['faust_passthrough']:8.0f} articles/s", flush=True
    )
    # (b4) the pipeline's topology with no work: four no-op agents chained through topics
    # (normalize -> dedupe -> tag+flag -> route have four hops)
    result["faust_chain_passthrough"] = _passthrough(
        "faust-chain", many, count * repeat, workdir, suffix
    )
    print(
        f"(b4) faust no-op, {PIPELINE_HOPS} agents chained {result['faust_chain_passthrough']:7.0f}"
        " articles/s",
        flush=True,
    )

    # (w) the worker's own wiring over the same four hops, with no-op steps
    env = _env(workdir / "wired", many)
    argv = ("-m", "tests.bench.bench_e2e", "--role", "wired")
    wired = _start(env, "wired", argv)
    try:
        result["wired_noop"] = _drain_rate(
            asyncio.run(_arrivals(env.settings.topic_alerts, count * repeat, 600)), count * repeat
        )
    finally:
        wired.stop()
    bare_ms = 1000 / (result["faust_chain_passthrough"] * PIPELINE_HOPS)
    wired_ms = 1000 / (result["wired_noop"] * PIPELINE_HOPS)
    result["hop_ms"] = {"bare_faust": round(bare_ms, 3), "wired": round(wired_ms, 3)}
    print(
        f"(w) the worker's wiring, no-op steps {result['wired_noop']:7.0f} articles/s: "
        f"{wired_ms:.3f} ms a hop against {bare_ms:.3f} ms for (b4)'s bare hops",
        flush=True,
    )

    # (c) the pipeline, one worker, in each stage layout (NEWSFLOW_STAGE_LAYOUT)
    layouts = {}
    for layout in ("chained", "fused"):
        env = _env(workdir / f"c-{layout}", once, NEWSFLOW_STAGE_LAYOUT=layout)
        worker = _start(env, "pipeline")
        rate, _ = _pipeline_rate([int(env.vars["NEWSFLOW_METRICS_PORT"])], count, 900)
        rss = rss_mb(worker.proc.pid)  # type: ignore[union-attr]
        worker.stop()
        layouts[layout] = {"articles_per_second": rate, "rss_mb": round(rss, 1)}
        print(f"(c) newsflow pipeline, {layout:8} {rate:8.0f} articles/s", flush=True)
    result["pipeline_layouts"] = layouts
    default = Settings().stage_layout
    rate = layouts[default]["articles_per_second"]
    result["pipeline"] = rate
    result["rss_mb_sample_watchlist"] = layouts[default]["rss_mb"]
    result["ratio_pipeline_to_faust"] = rate / result["faust_passthrough"]
    result["ratio_pipeline_to_raw"] = rate / result["raw_aiokafka"]
    result["ratio_pipeline_to_faust_chain"] = rate / result["faust_chain_passthrough"]
    print(
        f"(c) default layout ({default}): (c)/(b) {result['ratio_pipeline_to_faust']:.3f}   "
        f"(c)/(a) {result['ratio_pipeline_to_raw']:.4f}   "
        f"(c)/(b4) {result['ratio_pipeline_to_faust_chain']:.3f}",
        flush=True,
    )

    # (d) two workers in one group: the input is published once both hold partitions
    env = _env(workdir / "d", later, NEWSFLOW_LAG_INTERVAL="1")
    first = _start(env, "pipeline-1")
    second_env = second_worker_env(env, workdir / "d")
    second = _start(second_env, "pipeline-2")
    ports = [int(env.vars["NEWSFLOW_METRICS_PORT"]), int(second_env.vars["NEWSFLOW_METRICS_PORT"])]
    try:
        split = _settled(ports, later, settings.topic_partitions)
        _publish(later, records)
        rate2, shares = _pipeline_rate(ports, count, 900)
    finally:
        second.stop()
        first.stop()
    result["two_workers"] = {
        "articles_per_second": rate2,
        "share_of_articles": [round(s, 3) for s in shares],
        "input_partitions": [sorted(s) for s in split],
        "speedup_over_one": rate2 / rate,
    }
    print(
        f"(d) two workers, one group     {rate2:8.0f} articles/s   x{rate2 / rate:.2f}; "
        f"shares {shares[0]:.0%}/{shares[1]:.0%}; input partitions {split[0]} / {split[1]}",
        flush=True,
    )

    # latency at 25 / 50 / 75 % of (c)
    result["latency"] = _latency(workdir / "e", rate, latency_seconds, suffix)

    # memory with 100,000 more watchlist names
    result["rss_mb_100k_watchlist"] = _rss_with_names(workdir / "f", once, 100_000, count)
    print(
        f"worker RSS at steady state: sample watchlist {result['rss_mb_sample_watchlist']:.0f} MB,"
        f" +100,000 names {result['rss_mb_100k_watchlist']:.0f} MB",
        flush=True,
    )
    result["goals"] = _goals(result)
    for goal, met in result["goals"].items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}", flush=True)
    return result


def _goals(result: dict[str, Any]) -> dict[str, bool | None]:
    """The issue's end-to-end goals against this run's figures (printed, never asserted)."""
    at_half = result["latency"].get("50%", {})
    return {
        "pipeline >= 50% of the faust passthrough": result["ratio_pipeline_to_faust"] >= 0.5,
        "p99 publish->alert < 250 ms at 50% load": (
            at_half["p99_ms"] < 250 if "p99_ms" in at_half else None
        ),
        "worker RSS < 500 MB with 100,000 more names": result["rss_mb_100k_watchlist"] < 500,
    }


def _latency(workdir: Path, max_rate: float, seconds: float, suffix: str) -> dict[str, Any]:
    source = f"bench.{suffix}.paced"
    asyncio.run(create_topics(Settings(kafka_bootstrap=BOOTSTRAP), [source]))
    env = _env(workdir, source)
    worker = _start(env, "latency")
    out: dict[str, Any] = {}
    try:
        warm = _fresh(articles(100, seed=99), "warm")
        asyncio.run(_paced(source, warm, 50, env.settings.topic_alerts))
        for k, share in enumerate((0.25, 0.50, 0.75)):
            rate = max_rate * share
            batch = _fresh(articles(max(20, int(rate * seconds)), seed=100 + k), f"l{k}")
            lat = asyncio.run(_paced(source, batch, rate, env.settings.topic_alerts))
            out[f"{int(share * 100)}%"] = {
                "offered_per_second": round(rate, 1),
                **_percentiles(lat),
            }
            row = out[f"{int(share * 100)}%"]
            print(
                f"latency at {share:.0%} load ({rate:.0f}/s): "
                + ", ".join(f"{k} {v}" for k, v in row.items() if k != "offered_per_second"),
                flush=True,
            )
    finally:
        worker.stop()
    return out


def _rss_with_names(workdir: Path, source: str, names: int, count: int) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "synthetic.ftm.jsonl"
    path.write_bytes(b"\n".join(watchlist_lines(names)) + b"\n")
    sample = os.pathsep.join(str(p) for p in Settings().watchlists)
    env = _env(workdir, source, NEWSFLOW_WATCHLISTS=f"{sample}{os.pathsep}{path}")
    worker = _start(env, "rss-100k", None)
    try:
        _pipeline_rate([int(env.vars["NEWSFLOW_METRICS_PORT"])], count, 900)
        return round(rss_mb(worker.proc.pid), 1)  # type: ignore[union-attr]
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=10, help="copies for the passthroughs")
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path, default=OUT / "e2e.json")
    parser.add_argument(
        "--latency-only",
        type=float,
        metavar="MAX_RATE",
        help="only the latency runs, at shares of this articles/s figure",
    )
    parser.add_argument(
        "--role", choices=["raw", "faust", "faust-chain", "wired"], help=argparse.SUPPRESS
    )
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.role == "raw":
        src, dst, group = options.args
        print("Worker ready", flush=True)
        asyncio.run(raw_passthrough(src, dst, group, 10**12))
        return
    if options.role == "wired":
        sys.argv = [sys.argv[0]]
        wired_noop()
        return
    if options.role in ("faust", "faust-chain"):
        sys.argv = [sys.argv[0]]
        faust_passthrough(*options.args[:2], PIPELINE_HOPS if options.role == "faust-chain" else 1)
        return
    # Worker logs and state stay here until the next run (look here when a run fails).
    workdir = OUT / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        if options.latency_only:
            suffix = uuid.uuid4().hex[:8]
            _latency(workdir, options.latency_only, options.latency_seconds, suffix)
            return
        result = run(options.articles, options.repeat, options.latency_seconds, workdir)
    finally:
        # this run's topics: bench.<suffix>.* and every worker env's own
        deleted = asyncio.run(delete_topics_containing(BOOTSTRAP, ["bench.", *CREATED]))
        print(f"deleted {deleted} benchmark topics")
    write_json(options.json, result)
    print(f"written {options.json}")


if __name__ == "__main__":
    main()
