"""One input through the whole pipeline (the in-memory runner), for tests that look at
one article: its tagged form, its candidate alert and what routing published."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import RejectedMessage
from pipeline.models import Alert, Entity, InputArticle, NormalizedArticle, TaggedArticle
from pipeline.resources import Stages
from pipeline.runner import MemoryRunner, Trace
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.normalize import normalize
from pipeline.stages.sanctions import flag
from pipeline.steps import Normalize


@dataclass(frozen=True)
class One:
    tagged: TaggedArticle
    alert: Alert | None  # the flag step's candidate
    published: tuple[Alert, ...]  # what the route step published for it
    trace: Trace

    @property
    def article(self) -> NormalizedArticle:
        return self.tagged.article

    @property
    def entities(self) -> tuple[Entity, ...]:
        return self.tagged.entities


def run_one(raw: bytes, stages: Stages, settings: Settings, timestamp_ms: int | None = None) -> One:
    """Feed ``raw`` to a fresh in-memory pipeline.

    Raises:
        RejectedMessage: the input was dead-lettered (``reason`` as in the dead letter).
    """
    trace = MemoryRunner(settings, stages, count_metrics=False).feed(raw, timestamp_ms=timestamp_ms)
    if trace.dead:
        dead = trace.dead[0]
        raise RejectedMessage(str(dead.reason), str(dead.error))
    tagged = next(v for v in trace.values("tag") if isinstance(v, TaggedArticle))
    alert = next((v for v in trace.values("flag") if isinstance(v, Alert)), None)
    published = tuple(v for v in trace.values("route") if isinstance(v, Alert))
    return One(tagged, alert, published, trace)


def normalize_one(
    raw: bytes, settings: Settings, timestamp_ms: int | None = None
) -> NormalizedArticle:
    """The normalize step's article for ``raw``. Raises :class:`RejectedMessage`."""
    return Normalize(settings, settings.topic_dedupe).article(raw, timestamp_ms)


def flag_one(stages: Stages, title: str, body: str) -> Alert | None:
    """The flag stage's alert for an article of ``title`` and ``body`` (normalize, tag,
    flag as pure functions: no routing), or ``None``."""
    article = normalize(InputArticle(title=title, body=body))
    return flag(tag_article(stages.tagger, article), stages.rules)
