"""The worker process: start-up, faust's worker with a bound on shutdown, a loud stop.

Stopping waits for the broker (commits, leaving the group); with the broker gone it
waited forever and SIGTERM never ended the process. After ``shutdown_timeout`` seconds
the process exits with status 1: inputs not yet committed are replayed by the next
worker (at-least-once), nothing is lost. :meth:`Worker.fail` is how a failure that
cannot be handled (an output the broker finally refused; input partitions that stopped
advancing, pipeline/worker/watchdog.py) stops the worker: a clean stop when it can, then
exit status 3.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
from typing import Any, NoReturn

import faust
from prometheus_client import start_http_server

from pipeline import logs, morphology
from pipeline.kafka import create_topics
from pipeline.ner import ModelPool
from pipeline.resources import LiveWatchlist, Stages, build_stages, pipeline_topics
from pipeline.settings import Settings
from pipeline.stages import charmap, language, screening
from pipeline.topology import describe, uses_model
from pipeline.worker.app import BindSteps, create_app
from pipeline.worker.tasks import catch_up_watchlist
from pipeline.worker.watchdog import Watchdog, WorkerState

log = logs.get("newsflow.worker")

# Exit status after Worker.fail (1 is a shutdown that hit its deadline).
EXIT_FATAL = 3


class Worker(faust.Worker):
    """faust's worker with a shutdown deadline and :meth:`fail`."""

    shutdown_timeout: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failure: BaseException | None = None

    def _on_sigterm(self) -> None:
        self._arm_deadline("SIGTERM", 1)
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        self._arm_deadline("SIGINT", 1)
        super()._on_sigint()

    def fail(self, reason: BaseException) -> None:
        """Stop the worker because of ``reason``; the process exits with EXIT_FATAL."""
        if self.failure is not None:
            return
        self.failure = reason
        log.critical("worker stopping after a fatal failure", error=repr(reason)[:300])
        # The failed input will never be acknowledged: stopping must not wait for it
        # (faust's consumer waits for every unacknowledged event on stop). It commits
        # what was acknowledged and leaves the group, so another worker takes over now.
        self.app.conf.stream_wait_empty = False
        self._arm_deadline("fatal failure", EXIT_FATAL)
        self._schedule_shutdown(signal.SIGTERM)

    def fail_from_thread(self, reason: BaseException) -> None:
        """:meth:`fail` from another thread (the stall watchdog). The deadline is armed
        here as well: if the worker's own loop is the stuck part, ``fail`` never runs and
        the process still ends, with EXIT_FATAL, within ``shutdown_timeout`` seconds."""
        self._arm_deadline("stalled", EXIT_FATAL)
        self.loop.call_soon_threadsafe(self.fail, reason)

    def _arm_deadline(self, cause: str, status: int) -> None:
        def give_up() -> None:
            log.error(
                "shutdown did not finish in time; exiting without it (uncommitted input "
                "will be replayed)",
                cause=cause,
                timeout_seconds=self.shutdown_timeout,
            )
            os._exit(EXIT_FATAL if self.failure is not None else status)

        timer = threading.Timer(self.shutdown_timeout, give_up)
        timer.daemon = True
        timer.start()

    def execute_from_commandline(self) -> NoReturn:
        try:
            super().execute_from_commandline()
        except SystemExit:
            if self.failure is not None:
                raise SystemExit(EXIT_FATAL) from None
            raise


def main(settings: Settings, bind_steps: BindSteps | None = None) -> NoReturn:
    """``newsflow worker``: logging, the stage objects, the topics, the metrics endpoint,
    then the worker until it stops.

    Raises:
        FatalError: a data file or the configuration is broken.
    """
    logs.configure(settings.log_level, settings.log_format)
    stages = build_stages(settings)
    asyncio.run(create_topics(settings, pipeline_topics(settings)))
    start_http_server(settings.metrics_port, addr=settings.metrics_host)
    log.info(
        "worker starting",
        bootstrap=settings.kafka_bootstrap,
        group=settings.app_id,
        layout=settings.stage_layout,
        nodes=settings.worker_nodes or "all",
        watchlist_entries=stages.watchlist_size,
        rule_version=stages.rules.version,
        metrics=f"http://{settings.metrics_host}:{settings.metrics_port}/metrics",
    )
    if settings.event_loop == "uvloop":
        import mode.loop

        mode.loop.use("uvloop")  # before faust makes its loop
    run(settings, stages, bind_steps)


def run(settings: Settings, stages: Stages, bind_steps: BindSteps | None = None) -> NoReturn:
    """Build the app and run it until SIGINT/SIGTERM or a fatal failure."""
    workers: list[Worker] = []

    def on_failure(reason: BaseException) -> None:
        workers[0].fail(reason)

    # The watchlist topic applied before faust starts: no agent sees an article before
    # every listed party on it is known, and none is idle while faust fetches for it.
    live = LiveWatchlist(stages)
    caught = asyncio.run(catch_up_watchlist(settings, live))
    pool = None
    topology = describe(settings, stages.rules.sanctioned).only(settings.nodes)
    if any(uses_model(node, settings) for node in topology.nodes):
        # The NER model in its own processes, loaded before faust starts (docs/entities.md)
        pool = ModelPool(settings.ner_model, settings.ner_processes)
        pool.start()
        log.info(
            "ner model ready",
            mode=settings.ner,
            placement=settings.ner_placement,
            processes=settings.ner_processes,
        )
    app = create_app(
        settings,
        stages,
        on_failure=on_failure,
        live=live,
        caught=caught,
        bind_steps=bind_steps,
        annotate=pool,
    )
    worker = Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.shutdown_timeout = settings.shutdown_timeout
    workers.append(worker)
    charmap.prepare_all()
    language.prepare()
    screening.prepare()
    morphology.prepare()  # the Russian analyser, read now rather than at the first article
    # Everything built so far (the watchlist automaton, rules, the app) lives as long as
    # the worker: out of the collector's sight, full collections stay short (p99 publish
    # -> alert at 105 articles/s: 139-162 ms without, 65-84 ms with).
    gc.freeze()
    # The lag gauges and, unless NEWSFLOW_STALL_TIMEOUT=0, the stall watchdog
    watchdog = Watchdog(
        settings,
        topology.sources,
        WorkerState(
            assignment=lambda: [(tp.topic, tp.partition) for tp in app.consumer.assignment()],
            settling=lambda: bool(app.rebalancing or getattr(app, "in_recovery", False)),
        ),
        on_stall=worker.fail_from_thread,
    )
    watchdog.start()
    try:
        worker.execute_from_commandline()
    finally:
        watchdog.stop()
        if pool is not None:
            pool.close()
