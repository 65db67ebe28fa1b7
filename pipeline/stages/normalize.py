"""Normalize stage: an input article -> clean text with stable sentence offsets.

    InputArticle (+ Kafka timestamp) -> NormalizedArticle

Raises ``StageRejected`` (``input.empty``, ``input.too_long``) for articles with nothing
to analyse; everything else about an article is repaired rather than refused.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.errors import StageRejected
from pipeline.models import DateSource, InputArticle, LanguageSource, NormalizedArticle
from pipeline.stages import language
from pipeline.stages.text import (
    clean_body,
    clean_inline,
    html_to_text,
    looks_like_html,
    split_sentences,
)

# A date more than this far in the future is a publisher's error, not a schedule.
_FUTURE_TOLERANCE = timedelta(days=1)
_TRACKING_PARAM = re.compile(r"^(utm_|fbclid$|gclid$|mc_|ref$|ref_src$)")


def normalize(
    article: InputArticle,
    *,
    kafka_timestamp_ms: int | None = None,
    max_body_chars: int = 500_000,
    now: datetime | None = None,
) -> NormalizedArticle:
    """Clean, segment and identify one article.

    Raises:
        StageRejected: ``input.empty`` when no text is left after cleaning,
            ``input.too_long`` when the cleaned body exceeds ``max_body_chars``.
    """
    raw_body = article.body
    if looks_like_html(raw_body):
        raw_body = html_to_text(raw_body)
    body = clean_body(raw_body)
    title = clean_inline(article.title)
    if not body:
        raise StageRejected("input.empty", "the body is empty after cleaning")
    if len(body) > max_body_chars:
        raise StageRejected("input.too_long", f"{len(body)} characters > {max_body_chars}")
    if not title:
        # A headline-less article keeps its first sentence as the title slot empty.
        title = ""
    text = f"{title}\n\n{body}" if title else body
    body_start = len(title) + 2 if title else 0
    sentences = ([(0, len(title))] if title else []) + split_sentences(text, body_start)
    published_at, published_source = _published(article.published_at, kafka_timestamp_ms, now)
    fingerprint = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
    lang, lang_confidence, lang_source = _language(article.language, title, body)
    return NormalizedArticle(
        id=article_id(article.id, article.url, fingerprint),
        title=title,
        body=body,
        text=text,
        body_start=body_start,
        sentences=tuple(sentences),
        published_at=published_at,
        published_at_source=published_source,
        source=clean_inline(article.source) if article.source else None,
        url=article.url.strip() if article.url else None,
        language=lang,
        fingerprint=fingerprint,
        language_confidence=lang_confidence,
        language_source=lang_source,
    )


def article_id(given: str | None, url: str | None, fingerprint: str) -> str:
    """The article's stable id: as given, else from the canonical URL, else from content."""
    if given and given.strip():
        return given.strip()
    if url and url.strip():
        digest = hashlib.blake2b(canonical_url(url).encode(), digest_size=8).hexdigest()
        return f"url-{digest}"
    return f"content-{fingerprint[:16]}"


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no trailing slash."""
    parts = urlsplit(url.strip())
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAM.match(k))
    )
    path = parts.path.rstrip("/") or "/"
    host = parts.netloc.lower().removeprefix("www.")
    return urlunsplit((parts.scheme.lower() or "https", host, path, query, ""))


def parse_date(value: str) -> datetime | None:
    """Parse ISO 8601, RFC 2822 or ``YYYY-MM-DD`` into an aware UTC datetime."""
    value = value.strip()
    if not value:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _published(
    value: str | None, kafka_timestamp_ms: int | None, now: datetime | None
) -> tuple[str | None, DateSource]:
    now = now or datetime.now(UTC)
    if value:
        parsed = parse_date(value)
        if parsed is not None and parsed <= now + _FUTURE_TOLERANCE:
            return _iso(parsed), "article"
    if kafka_timestamp_ms is not None and kafka_timestamp_ms > 0:
        return _iso(datetime.fromtimestamp(kafka_timestamp_ms / 1000, UTC)), "kafka"
    return None, "none"


def _language(given: str | None, title: str, body: str) -> tuple[str, float | None, LanguageSource]:
    """The record's language when it names one, else the one identified in the text."""
    if given and given.strip():
        return given.strip().lower(), None, "record"
    code, confidence = language.identify(language.sample(title, body))
    return code, confidence, ("detected" if code != "und" else "none")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
