"""A web page's own article: its main text and its metadata, by trafilatura.

    HTML page -> Page(text, title, published, author, site_name, canonical_url, language)

trafilatura was chosen on invented pages and real news pages (``tests/bench/bench_extract.py``):
it drops consent notices, share links, newsletter blurbs and related-story lists that the
plain cleaner (:func:`pipeline.stages.text.html_to_text`) keeps. Its one loss that matters
here, text inside a ``<header>`` within an ``<article>`` (standfirsts), is undone before it
runs: such a header is read as an ordinary block.
"""

from __future__ import annotations

from dataclasses import dataclass

import lxml.etree
import lxml.html
import trafilatura

_NOT_CONTENT = "//script[not(@type='application/ld+json')]|//style"


@dataclass(frozen=True, slots=True)
class Page:
    """What a page says about its article; ``None`` for what it does not say.

    ``text`` holds one paragraph a line, markup removed, not yet cleaned."""

    text: str | None = None
    title: str | None = None
    published: str | None = None
    author: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    language: str | None = None


def read_page(html: str) -> Page:
    """The article of an HTML page. A page the parser cannot read gives an empty
    :class:`Page` (the caller falls back to the plain cleaner)."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return Page()
    # Scripts and styles are never article text, and trafilatura's metadata search reads
    # them whole (a third of its time on a page with 300 KB of inline script); structured
    # data (JSON-LD) stays, it carries dates and authors.
    for element in tree.xpath(_NOT_CONTENT):
        element.drop_tree()
    for article in tree.iter("article"):
        for header in article.iter("header"):
            header.tag = "div"  # a header inside the article is the article's (standfirst)
    language = _page_language(tree)
    doc = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        # No second opinion from its bundled readability and jusText (they doubled the
        # time of a 300 KB page), and dates from the markup only, not from every number
        # in the text that could be one (htmldate's extensive search: 95 ms there).
        fast=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None or isinstance(doc, dict):
        return Page(language=language)
    return Page(
        text=_text_or_none(doc.text),
        title=_text_or_none(doc.title),
        published=_text_or_none(doc.date),
        author=_text_or_none(doc.author),
        site_name=_text_or_none(doc.sitename),
        canonical_url=_text_or_none(doc.url),
        language=language,
    )


def _page_language(tree: lxml.html.HtmlElement) -> str | None:
    """The page's declared language: ``<html lang>``, else ``og:locale``; primary subtag."""
    root = tree.getroottree().getroot()
    declared = root.get("lang") or root.get("xml:lang")
    if not declared:
        locales = root.xpath("//meta[@property='og:locale']/@content")
        declared = str(locales[0]) if locales else None
    if not declared:
        return None
    primary = declared.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _text_or_none(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None
