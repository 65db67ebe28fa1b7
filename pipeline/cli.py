"""The ``newsflow`` command: one entry point for the worker and every tool.

newsflow worker                  run the streaming pipeline
newsflow topics create|list      create the configured topics (idempotent)
newsflow publish PATH...         publish articles to the input topic
newsflow tail [TOPIC]            print what arrives on a topic (default: alerts)
newsflow process PATH...         run the whole pipeline in-process, no Kafka (JSON lines)
newsflow eval FILE               measure flagging and tagging on labelled articles
newsflow bench [--quick] [--json]  in-process throughput per stage and for the chain
newsflow watchlist publish|delete  live updates of every worker's watchlist
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import orjson

from pipeline import __version__, logs
from pipeline.codec import dumps, read_article_file
from pipeline.errors import FatalError, RejectedMessage
from pipeline.settings import Settings

ARTICLE_SUFFIXES = {".json", ".jsonl", ".ndjson", ".txt", ".html", ".htm"}


def _settings() -> Settings:
    """The settings, and logging set up by them (to stderr: ``process`` writes its
    records to stdout)."""
    try:
        settings = Settings.from_env()
    except FatalError as exc:
        raise click.ClickException(str(exc)) from exc
    logs.configure(settings.log_level, settings.log_format)
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsflow")
def cli() -> None:
    """newsflow: normalize, tag and flag news articles flowing through Kafka."""


@cli.command()
def worker() -> None:
    """Run the streaming pipeline (normalize, tag, flag) until SIGINT/SIGTERM."""
    from pipeline.worker.run import main as run_worker

    try:
        run_worker(_settings())
    except FatalError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.group()
def topics() -> None:
    """Manage the pipeline's topics."""


@topics.command("create")
def topics_create() -> None:
    """Create every configured topic that does not exist yet (idempotent)."""
    from pipeline.kafka import create_topics
    from pipeline.resources import pipeline_topics

    settings = _settings()
    try:
        result = asyncio.run(create_topics(settings, pipeline_topics(settings)))
    except FatalError as exc:
        raise click.ClickException(str(exc)) from exc
    for name, state in result.items():
        click.echo(f"{state:8} {name} (partitions={settings.topic_partitions})")


@topics.command("list")
def topics_list() -> None:
    """List the pipeline's topics and whether they exist."""
    from aiokafka.admin import AIOKafkaAdminClient

    from pipeline.security import aiokafka_security

    settings = _settings()

    async def run() -> set[str]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap, **aiokafka_security(settings)
        )
        await admin.start()
        try:
            return set(await admin.list_topics())
        finally:
            await admin.close()

    existing = asyncio.run(run())
    from pipeline.resources import pipeline_topics

    for name in pipeline_topics(settings):
        click.echo(f"{'exists' if name in existing else 'missing':8} {name}")


def _walk(paths: tuple[Path, ...]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
            )
        else:
            yield path


def _key(raw: bytes, settings: Settings) -> bytes | None:
    """The record key: the id the normalize step will give the article, if it decodes."""
    from pipeline.steps import Normalize

    try:
        return Normalize(settings, settings.topic_dedupe).article(raw, None).id.encode()
    except RejectedMessage:
        return None


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--topic", help="Topic to publish to (default: the input topic).")
def publish(paths: tuple[Path, ...], topic: str | None) -> None:
    """Publish articles: JSON, JSON lines, HTML or seed-format text; directories are walked."""
    from pipeline.kafka import publish as send

    settings = _settings()
    records: list[tuple[bytes | None, bytes]] = []
    for path in _walk(paths):
        for raw in read_article_file(path):
            records.append((_key(raw, settings), raw))
    with click.progressbar(length=len(records), label="publishing", file=sys.stderr) as bar:
        sent = asyncio.run(send(settings, _progress(records, bar), topic))
    click.echo(f"sent {sent} article(s) to {topic or settings.topic_raw}")


def _progress(
    records: list[tuple[bytes | None, bytes]], bar: Any
) -> Iterator[tuple[bytes | None, bytes]]:
    for record in records:
        yield record
        bar.update(1)


@cli.group()
def watchlist() -> None:
    """Update the sanctions watchlist of every running worker (topic news.watchlist)."""


@watchlist.command("publish")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def watchlist_publish(paths: tuple[Path, ...]) -> None:
    """Publish FollowTheMoney entities (JSON lines) keyed by their id; workers pick them up."""
    from pipeline.kafka import publish as send

    settings = _settings()
    records: list[tuple[bytes | None, bytes | None]] = []
    for path in paths:
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                entity_id = str(orjson.loads(line)["id"])
            except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
                raise click.ClickException(f"{path}:{number}: not an entity with an id") from exc
            records.append((entity_id.encode(), line))
    sent = asyncio.run(send(settings, records, settings.topic_watchlist))
    click.echo(f"sent {sent} entit{'y' if sent == 1 else 'ies'} to {settings.topic_watchlist}")


@watchlist.command("delete")
@click.argument("ids", nargs=-1, required=True)
def watchlist_delete(ids: tuple[str, ...]) -> None:
    """Remove entities by id (a tombstone per id on the compacted topic)."""
    from pipeline.kafka import publish as send

    settings = _settings()
    sent = asyncio.run(send(settings, [(i.encode(), None) for i in ids], settings.topic_watchlist))
    click.echo(f"deleted {sent} id(s) via {settings.topic_watchlist}")


@cli.command()
@click.argument("topic", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print raw JSON lines.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest retained record.")
@click.option("--max", "max_records", type=int, default=None, help="Stop after N records.")
@click.option("--timeout", type=float, default=None, help="Stop after S idle seconds.")
def tail(
    topic: str | None,
    as_json: bool,
    from_beginning: bool,
    max_records: int | None,
    timeout: float | None,
) -> None:
    """Print each record of TOPIC (default: the alerts topic) as it arrives."""
    from pipeline.kafka import tail as follow

    settings = _settings()
    name = topic or settings.topic_alerts

    async def run() -> int:
        count = 0
        async for record in follow(
            settings, name, from_beginning=from_beginning, idle_timeout=timeout
        ):
            if as_json:
                click.echo(record.value.decode("utf-8", "replace"))
            else:
                click.echo(_readable(record.value))
            count += 1
            if max_records is not None and count >= max_records:
                break
        return count

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def _readable(value: bytes) -> str:
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", "replace")
    if not isinstance(doc, dict):
        return value.decode("utf-8", "replace")
    if "alert_id" in doc:
        flows = ", ".join(f"{f['supplier']}->{f['recipient']}" for f in doc.get("flows", []))
        lines = [
            f"[{doc['severity']} {doc['score']:.2f}] {doc['title']}",
            f"  article {doc['article_id']}  published {doc.get('published_at')}",
            f"  events: {', '.join(doc['event_types'])}   countries: "
            f"{', '.join(doc['countries'])}" + (f"   flows: {flows}" if flows else ""),
        ]
        lines += [f"  watchlist: {w['name']} ({w['dataset']})" for w in doc.get("watchlist", [])]
        lines += [
            f'  - {e["event_type"]} [{e["start"]}:{e["end"]}] "{e["text"]}"'
            for e in doc["evidence"]
        ]
        return "\n".join(lines)
    if "reason" in doc and "original_b64" in doc:
        return (
            f"deadletter stage={doc['stage']} reason={doc['reason']} "
            f"from={doc['source_topic']}[{doc['partition']}]@{doc['offset']} "
            f"size={doc['original_size']} error={doc['error'][:120]}"
        )
    if "article" in doc and "entities" in doc:
        ents = ", ".join(sorted({f"{e['label']}:{e['id']}" for e in doc["entities"]}))
        return f"tagged {doc['article']['id']}: {ents}"
    if "fingerprint" in doc:
        return f"article {doc['id']} [{doc.get('language')}] {doc['title']}"
    return value.decode("utf-8", "replace")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--records",
    "as_records",
    is_flag=True,
    help="Print every record written to every topic instead of one line per article.",
)
def process(paths: tuple[Path, ...], as_records: bool) -> None:
    """Run the whole pipeline in-process on files, no Kafka: normalize, dedupe, tag, flag
    and route, with the worker's tables held in memory (the stream's steps and topology).

    One JSON line per input: {"article", "entities", "summary", "alerts", "sources"} (the
    alerts published for it: new, or material updates of an alert opened by an earlier
    input; and its source record, also written when it was only counted into an alert), or
    {"deadletter": {...}} for input the worker would dead-letter. With --records, one
    line per record written: {"topic", "partition", "offset", "key", "value"}. Exit
    status 1 only when a file cannot be read.
    """
    from pipeline.resources import build_stages
    from pipeline.runner import MemoryRunner

    settings = _settings()
    try:
        stages = build_stages(settings)
    except FatalError as exc:
        raise click.ClickException(str(exc)) from exc
    runner = MemoryRunner(settings, stages)
    failed = False
    out = sys.stdout.buffer
    for path in _walk(paths):
        try:
            raws = read_article_file(path)
        except OSError as exc:
            click.echo(f"newsflow: cannot read {path}: {exc}", err=True)
            failed = True
            continue
        for index, raw in enumerate(raws):
            trace = runner.feed(raw)
            lines = (
                _record_lines(trace)
                if as_records
                else [_article_line(trace, path, index, settings.topic_alert_sources)]
            )
            for line in lines:
                out.write(dumps(line) + b"\n")
        out.flush()
    if failed:
        sys.exit(1)


def _article_line(trace: Any, path: Path, index: int, sources_topic: str) -> dict[str, Any]:
    from pipeline.models import TaggedArticle

    tagged = next((v for v in trace.values("tag") if isinstance(v, TaggedArticle)), None)
    if tagged is None or trace.dead:
        dead = trace.dead[0]
        return {
            "deadletter": {
                "stage": dead.stage,
                "reason": dead.reason,
                "error": dead.error,
                "path": str(path),
                "index": index,
            }
        }
    return {
        "article": tagged.article,
        "entities": tagged.entities,
        "summary": tagged.summary,
        "alerts": list(trace.values("route")),
        "sources": [orjson.loads(w.value) for w in trace.on(sources_topic)],
    }


def _record_lines(trace: Any) -> list[dict[str, Any]]:
    lines = []
    for w in trace.written:
        try:
            value: Any = orjson.loads(w.value)
        except orjson.JSONDecodeError:
            value = w.value.decode("utf-8", "replace")
        key = w.key.decode("utf-8", "replace") if w.key is not None else None
        lines.append(
            {
                "topic": w.topic,
                "partition": w.partition,
                "offset": w.offset,
                "key": key,
                "value": value,
            }
        )
    return lines


@cli.command("replay-deadletters")
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    help="Only letters whose reason starts with this (repeatable).",
)
@click.option("--stage", "stages_", multiple=True, help="Only letters from this stage.")
@click.option(
    "--since",
    default=None,
    help="Only letters that failed at or after this time (ISO 8601, UTC if no zone).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be replayed; send nothing.")
@click.option(
    "--to",
    "target",
    default=None,
    help="Topic to publish to (default: the topic each letter failed on).",
)
def replay_deadletters(
    reasons: tuple[str, ...],
    stages_: tuple[str, ...],
    since: str | None,
    dry_run: bool,
    target: str | None,
) -> None:
    """Re-publish dead-lettered originals (after a fix) with their original keys."""
    from pipeline.deadletters import count, select_for_replay
    from pipeline.kafka import publish as send
    from pipeline.kafka import read_to_end

    settings = _settings()
    try:
        records = asyncio.run(read_to_end(settings, settings.topic_deadletter))
        plan = select_for_replay(
            [r.value for r in records], reasons=reasons, stages=stages_, since=since
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{len(records)} dead letter(s); {count(plan)} match; "
        f"{plan.truncated} cannot be replayed (original truncated); "
        f"{plan.unreadable} unreadable"
    )
    for source, batch in sorted(plan.replay.items()):
        topic = target or source
        if dry_run:
            click.echo(f"dry run: would replay {len(batch)} to {topic}")
            continue
        sent = asyncio.run(send(settings, list(batch), topic))
        click.echo(f"replayed {sent} to {topic}")


@cli.command()
@click.option("--quick", is_flag=True, help="The in-process part only (under a minute).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--articles",
    "count",
    type=int,
    default=1500,
    show_default=True,
    help="How many synthetic articles to measure with.",
)
def bench(quick: bool, as_json: bool, count: int) -> None:
    """Articles per second for each step and the whole pipeline (the in-memory runner:
    every step, table and encoding the worker has, no Kafka), with a same-run baseline.

    The in-process measurement runs always; the broker benchmarks live in tests/bench
    (`make bench`). --quick is accepted for scripts that ask for the fast run explicitly.
    """
    from pipeline.benchmark import quick as run_quick

    figures = run_quick(_settings(), count=count)
    if as_json:
        click.echo(dumps(figures).decode())
        return
    for stage, rate in figures["articles_per_second"].items():
        click.echo(f"{stage:10} {rate} articles/s")
    click.echo(
        f"{'baseline':10} {figures['baseline_articles_per_second']} articles/s "
        "(orjson.loads + str.split)"
    )
    chain = figures["articles_per_second"]["chain"]
    verdict = "met" if chain >= 3000 else "NOT met"
    click.echo(f"goal: chain (whole pipeline) >= 3,000 articles/s on one core: {verdict}")


@cli.command("eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--verbose", "-v", is_flag=True, help="Print every article's verdict.")
def evaluate(path: Path, as_json: bool, verbose: bool) -> None:
    """Measure relevance, event types, countries and tagging on labelled JSON lines."""
    from pipeline.evaluation import evaluate_file

    report = evaluate_file(path, _settings(), verbose=verbose and not as_json)
    click.echo(dumps(report.as_dict()).decode() if as_json else str(report))


def main() -> None:
    cli()
