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
from pipeline.models import (
    DateSource,
    InputArticle,
    LanguageSource,
    NormalizedArticle,
    TitleSource,
)
from pipeline.stages import language
from pipeline.stages.text import (
    GLUED_LANGUAGES,
    clean_body,
    clean_inline,
    html_to_text,
    looks_like_html,
    split_sentences,
)
from pipeline.stages.webpage import Page, read_page

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
    page = Page()
    if looks_like_html(raw_body):
        page = read_page(raw_body)
        # The plain cleaner when the extractor finds no article (a fragment, a list page).
        raw_body = page.text or html_to_text(raw_body)
    title, title_source = _title(article.title, page.title)
    body = clean_body(raw_body)
    if page.text:
        # An extracted article starts with the page's headline; text already holds the title.
        body = _drop_leading_title(body, title)
    if not body:
        raise StageRejected("input.empty", "the body is empty after cleaning")
    if len(body) > max_body_chars:
        raise StageRejected("input.too_long", f"{len(body)} characters > {max_body_chars}")
    if not title:
        # A headline-less article keeps its first sentence as the title slot empty.
        title = ""
    text = f"{title}\n\n{body}" if title else body
    body_start = len(title) + 2 if title else 0
    lang, lang_confidence, lang_source = _language(article.language, page.language, title, body)
    sentences = ([(0, len(title))] if title else []) + split_sentences(
        text, body_start, glued=lang in GLUED_LANGUAGES
    )
    published_at, published_source = _published(
        article.published_at, page.published, kafka_timestamp_ms, now
    )
    fingerprint = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
    site_name = clean_inline(article.source) if article.source else None
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
        title_source=title_source,
        author=clean_inline(page.author) if page.author else None,
        site_name=site_name or (clean_inline(page.site_name) if page.site_name else None),
        site_name_source="record" if site_name else ("page" if page.site_name else "none"),
        canonical_url=page.canonical_url,
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
    value: str | None,
    on_page: str | None,
    kafka_timestamp_ms: int | None,
    now: datetime | None,
) -> tuple[str | None, DateSource]:
    now = now or datetime.now(UTC)
    given: tuple[tuple[str | None, DateSource], ...] = ((value, "article"), (on_page, "page"))
    for text, source in given:
        parsed = parse_date(text) if text else None
        if parsed is not None and parsed <= now + _FUTURE_TOLERANCE:
            return _iso(parsed), source
    if kafka_timestamp_ms is not None and kafka_timestamp_ms > 0:
        return _iso(datetime.fromtimestamp(kafka_timestamp_ms / 1000, UTC)), "kafka"
    return None, "none"


def _title(given: str, on_page: str | None) -> tuple[str, TitleSource]:
    title = clean_inline(given)
    if title:
        return title, "record"
    title = clean_inline(on_page) if on_page else ""
    return title, ("page" if title else "none")


def _drop_leading_title(body: str, title: str) -> str:
    """The body without a first paragraph that repeats the title (a page's headline)."""
    if not title or not body.startswith(title):
        return body
    first, _, rest = body.partition("\n\n")
    return rest if first == title and rest else body


# Below this probability a language the page declares is trusted over the identifier's.
_TRUSTED_IDENTIFICATION = 0.5


def _language(
    given: str | None, on_page: str | None, title: str, body: str
) -> tuple[str, float | None, LanguageSource]:
    """The record's language when it names one, else the one identified in the text, else
    (when the identifier is unsure) the one the page declares."""
    if given and given.strip():
        return given.strip().lower(), None, "record"
    code, confidence = language.identify(language.sample(title, body))
    if on_page and (code == "und" or confidence < _TRUSTED_IDENTIFICATION):
        return on_page, None, "page"
    return code, confidence, ("detected" if code != "und" else "none")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
