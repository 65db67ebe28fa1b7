"""Messages that flow between stages: frozen, slotted dataclasses.

orjson serializes these dataclasses directly (``codec.dumps``); the ``from_dict``
constructors rebuild them from decoded JSON and raise ``KeyError``/``TypeError``/
``ValueError`` on a wrong shape, which the codec turns into a ``SchemaViolation``.
Each class matches one file in ``schemas/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class InputArticle:
    """An article as publishers send it (``schemas/article-input.schema.json``)."""

    title: str
    body: str
    id: str | None = None
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class NormalizedArticle:
    """Clean text with sentence offsets (``schemas/article-normalized.schema.json``).

    ``text`` is the title, a blank line, then the body; every offset anywhere in the
    pipeline indexes into ``text``. ``sentences`` holds ``(start, end)`` pairs; the
    title is sentence 0.
    """

    id: str
    title: str
    body: str
    text: str
    body_start: int
    sentences: tuple[tuple[int, int], ...]
    published_at: str | None
    published_at_source: str
    source: str | None
    url: str | None
    language: str | None
    fingerprint: str
    duplicate_of: str | None = None
    similarity: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NormalizedArticle:
        return cls(
            id=str(d["id"]),
            title=str(d["title"]),
            body=str(d["body"]),
            text=str(d["text"]),
            body_start=int(d["body_start"]),
            sentences=tuple((int(s), int(e)) for s, e in d["sentences"]),
            published_at=d.get("published_at"),
            published_at_source=str(d["published_at_source"]),
            source=d.get("source"),
            url=d.get("url"),
            language=d.get("language"),
            fingerprint=str(d["fingerprint"]),
            duplicate_of=d.get("duplicate_of"),
            similarity=None if d.get("similarity") is None else float(d["similarity"]),
        )


@dataclass(frozen=True, slots=True)
class Entity:
    """One tagged mention. ``text == article.text[start:end]``."""

    label: str
    id: str
    text: str
    start: int
    end: int
    sentence: int
    name: str | None = None
    country: str | None = None
    dataset: str | None = None
    score: float | None = None
    match: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entity:
        score = d.get("score")
        return cls(
            label=str(d["label"]),
            id=str(d["id"]),
            text=str(d["text"]),
            start=int(d["start"]),
            end=int(d["end"]),
            sentence=int(d["sentence"]),
            name=d.get("name"),
            country=d.get("country"),
            dataset=d.get("dataset"),
            score=None if score is None else float(score),
            match=d.get("match"),
        )


@dataclass(frozen=True, slots=True)
class TaggedArticle:
    """A normalized article with its entities (``schemas/article-tagged.schema.json``)."""

    article: NormalizedArticle
    entities: tuple[Entity, ...]
    summary: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaggedArticle:
        return cls(
            article=NormalizedArticle.from_dict(d["article"]),
            entities=tuple(Entity.from_dict(e) for e in d["entities"]),
            summary=d.get("summary"),
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """A rule hit: the sentence that triggered it. ``text == article.text[start:end]``."""

    event_type: str
    rule: str
    text: str
    start: int
    end: int
    sentence: int
    trigger: str


@dataclass(frozen=True, slots=True)
class WatchlistHit:
    """A sanctioned party named in the article."""

    id: str
    name: str
    dataset: str
    matched: str
    score: float


@dataclass(frozen=True, slots=True)
class Source:
    """One article behind an alert."""

    article_id: str
    title: str
    url: str | None
    published_at: str | None
    score: float
    revision: int = 1


@dataclass(frozen=True, slots=True)
class Flow:
    """Something (arms, troops) moving from a supplier to a recipient country."""

    supplier: str
    recipient: str
    sentence: int


@dataclass(frozen=True, slots=True)
class Alert:
    """A sanctions-relevant event found in one article (``schemas/alert.schema.json``)."""

    alert_id: str
    article_id: str
    title: str
    url: str | None
    published_at: str | None
    event_types: tuple[str, ...]
    countries: tuple[str, ...]
    watchlist: tuple[WatchlistHit, ...]
    score: float
    severity: str
    evidence: tuple[Evidence, ...]
    flows: tuple[Flow, ...]
    quantities: tuple[str, ...]
    rule_version: str
    status: str = "new"
    revision: int = 1
    sources: tuple[Source, ...] = ()
    first_seen_at: str | None = None
    updated_at: str | None = None
    duplicate_of: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Alert:
        return cls(
            alert_id=str(d["alert_id"]),
            article_id=str(d["article_id"]),
            title=str(d["title"]),
            url=d.get("url"),
            published_at=d.get("published_at"),
            event_types=tuple(str(t) for t in d["event_types"]),
            countries=tuple(str(c) for c in d["countries"]),
            watchlist=tuple(WatchlistHit(**w) for w in d["watchlist"]),
            score=float(d["score"]),
            severity=str(d["severity"]),
            evidence=tuple(Evidence(**e) for e in d["evidence"]),
            flows=tuple(Flow(**f) for f in d["flows"]),
            quantities=tuple(str(q) for q in d["quantities"]),
            rule_version=str(d["rule_version"]),
            status=str(d.get("status", "new")),
            revision=int(d.get("revision", 1)),
            sources=tuple(Source(**x) for x in d.get("sources", ())),
            first_seen_at=d.get("first_seen_at"),
            updated_at=d.get("updated_at"),
            duplicate_of=d.get("duplicate_of"),
        )


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message the pipeline could not process, with its original bytes (base64)."""

    stage: str
    reason: str
    error: str
    source_topic: str
    partition: int | None
    offset: int | None
    timestamp_ms: int | None
    key_b64: str | None
    original_b64: str
    original_size: int
    failed_at: str
    original_sha256: str = ""
    original_truncated: bool = False
