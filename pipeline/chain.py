"""The three stages in a row, in-process: what ``newsflow process`` and the benchmarks run.

    raw bytes -> normalize -> tag -> flag -> ChainResult

The streaming worker (``app.py``) runs the same stage functions, one agent per topic.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.codec import decode_input
from pipeline.errors import RejectedMessage
from pipeline.models import Alert, Entity, NormalizedArticle, TaggedArticle
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.normalize import normalize
from pipeline.stages.sanctions import flag


@dataclass(frozen=True, slots=True)
class ChainResult:
    tagged: TaggedArticle
    alert: Alert | None

    @property
    def article(self) -> NormalizedArticle:
        return self.tagged.article

    @property
    def entities(self) -> tuple[Entity, ...]:
        return self.tagged.entities


def run_normalize(raw: bytes, settings: Settings, timestamp_ms: int | None) -> NormalizedArticle:
    """Decode and normalize one input record. Raises :class:`RejectedMessage`."""
    article, _ = decode_input(raw, max_bytes=settings.max_message_bytes)
    return normalize(
        article, kafka_timestamp_ms=timestamp_ms, max_body_chars=settings.max_body_chars
    )


def run_chain(
    raw: bytes, stages: Stages, settings: Settings, timestamp_ms: int | None = None
) -> ChainResult:
    """All three stages on one record.

    Raises:
        RejectedMessage: the record would be dead-lettered (``reason`` says why).
    """
    article = run_normalize(raw, settings, timestamp_ms)
    tagged = tag_article(stages.tagger, article)
    return ChainResult(tagged, flag(tagged, stages.rules))


__all__ = ["ChainResult", "RejectedMessage", "run_chain", "run_normalize"]
