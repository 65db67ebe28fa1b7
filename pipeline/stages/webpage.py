"""A web page's own article: its main text and its metadata, by trafilatura.

    HTML page -> Page(text, title, published, author, site_name, canonical_url, language)

trafilatura was chosen on invented pages and on real pages of two public benchmarks
(``tests/bench/bench_real_pages.py``; figures in ``docs/performance.md``): it drops consent
notices, share links, newsletter blurbs and related-story lists that the plain cleaner
(:func:`pipeline.stages.text.html_to_text`) keeps. It runs in its precision mode with its
second opinion (its bundled readability and jusText): of the settings measured, the one
with the best precision on both benchmarks and the best F1 on the news pages. Around it,
in this module:

- before it runs, what it would discard anyway and what no article is made of: menus
  (``<nav>``, ``<menu>``) and blocks whose text is links with little else (related
  stories, section indexes). Each of its passes (the metadata search, its cleaning, its
  second opinion) walked every link of them: ~80-100 ms for a 300 KB page with 4,000
  links in a ``<nav>``, ~6 ms without them (``bench_extract``).
- a header inside an ``<article>`` is read as an ordinary block (standfirsts, which it
  would drop as page furniture);
- after it ran, a paragraph of the page's own furniture that it kept ("Read more", "Sign
  up for our newsletter", "All rights reserved") is dropped;
- a page whose visible article is (almost) empty, as a script-rendered page's is, gives the
  article it carries for scripts: JSON-LD ``articleBody``, an HTML template in a
  ``<script>``, or ``<noscript>`` content.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import lxml.etree
import lxml.html
import orjson
import trafilatura

from pipeline.stages.text import html_to_text

_NOT_CONTENT = "//script[not(@type='application/ld+json')]|//style"
_MENUS = ("nav", "menu")
_DEEP = lxml.etree.XPath("boolean(//*[count(ancestor::*) > 100])")
# A block of two links or more whose text is at least this share link text, with no more
# than so many characters outside its links (an article's container has more), is an
# index of other pages.
_LINK_BLOCKS = lxml.etree.XPath(
    "//*[self::div or self::section or self::ul or self::ol or self::table][count(.//a) >= 2]"
)
_LINK_BLOCK_SHARE = 0.8
_CHARS = lxml.etree.XPath("string-length(normalize-space(string(.)))")
_UNLINKED_TEXT = lxml.etree.XPath(".//text()[not(ancestor::a)]", smart_strings=False)
_LINK_BLOCK_PROSE = 300  # characters, some 50 words
# Script types that carry markup for the page's own scripts to render (template engines).
_TEMPLATE_TYPES = frozenset(
    "text/template text/x-template text/html text/x-handlebars-template "
    "text/x-jsrender text/ng-template text/x-underscore-template".split()
)
# Shorter than this, the visible text is no article (a "Loading..." or "enable JavaScript"
# shell), and the article the page carries for its scripts is read instead, if longer.
MIN_VISIBLE_CHARS = 200
# A kept paragraph that opens with one of these, or is short and holds one, or holds a
# copyright line, is the page's furniture: calls to subscribe, follow or read on.
_FURNITURE_OPENING = re.compile(
    r"^\W*(?:related(?: stories| articles| coverage| news)?\s*:|(?:read more|read also|see also|"
    r"more on this|you may also like|don't miss|sign up|subscribe|follow us|click here|"
    r"lesen sie auch|mehr zum thema|jetzt abonnieren|lire aussi|abonnez-vous|suivez-nous|"
    r"lea también|léase también|suscríbete|síguenos|читайте также|подписывайтесь)\b)",
    re.IGNORECASE,
)
_FURNITURE_ANYWHERE = re.compile(
    r"\b(?:sign up (?:for|to)|subscribe (?:to|now)|follow us|"
    r"newsletters?\b.{0,60}\b(?:inbox|sign(?:ing)? up|subscri)|inbox\b.{0,60}\bnewsletter|"
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés)|©",
    re.IGNORECASE,
)
_FURNITURE_MAX_WORDS = 30


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
    # What the page's scripts would render; read only if the visible page has no article.
    scripted = _scripted_markup(tree)
    # Scripts and styles are never article text, and trafilatura's metadata search reads
    # them whole (a third of its time on a page with 300 KB of inline script); structured
    # data (JSON-LD) stays, it carries dates and authors.
    for element in tree.xpath(_NOT_CONTENT):
        element.drop_tree()
    _drop_link_indexes(tree)
    for article in tree.iter("article"):
        for header in article.iter("header"):
            header.tag = "div"  # a header inside the article is the article's (standfirst)
    language = _page_language(tree)
    # jusText (the second opinion) takes time quadratic in the nesting depth: a pathological
    # page gets the balanced fast mode alone.
    doc = _extract(tree, precise=True) if not _DEEP(tree) else None
    if doc is None or len(doc.text or "") < MIN_VISIBLE_CHARS:
        # Precision mode keeps too little of a short page or fragment: the balanced mode.
        balanced = _extract(tree, precise=False)
        if balanced is not None and (doc is None or len(balanced.text or "") > len(doc.text or "")):
            doc = balanced
    text = without_furniture(doc.text or "") if doc is not None else ""
    if len(text) < MIN_VISIBLE_CHARS:
        hidden = _hidden_article(tree, scripted)
        if len(hidden) > len(text):
            text = hidden
    if doc is None:
        return Page(text=text or None, language=language)
    return Page(
        text=_text_or_none(text),
        title=_text_or_none(doc.title),
        published=_text_or_none(doc.date),
        author=_text_or_none(doc.author),
        site_name=_text_or_none(doc.sitename),
        canonical_url=_text_or_none(doc.url),
        language=language,
    )


def _extract(tree: lxml.html.HtmlElement, *, precise: bool) -> Any:
    """trafilatura's document for ``tree`` (``None`` when it finds none)."""
    doc = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        # Precision mode with the second opinion (its bundled readability and jusText): the
        # best precision of the settings measured on both benchmarks, the best F1 on the
        # news pages; the balanced mode, fast, for what it leaves too short. Dates from the
        # markup only, not from every number in the text that could be one (htmldate's
        # extensive search: 95 ms on a 300 KB page).
        fast=not precise,
        favor_precision=precise,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return None if doc is None or isinstance(doc, dict) else doc


def without_furniture(text: str) -> str:
    """``text`` (one paragraph a line) without the paragraphs that are page furniture."""
    return "\n".join(line for line in text.split("\n") if not _is_furniture(line))


def _is_furniture(line: str) -> bool:
    if len(line.split()) > _FURNITURE_MAX_WORDS:
        return False
    return bool(_FURNITURE_OPENING.search(line) or _FURNITURE_ANYWHERE.search(line))


def _drop_link_indexes(tree: lxml.html.HtmlElement) -> None:
    """Remove menus and blocks of links (related stories, section indexes): what
    trafilatura drops, or should drop, once, before its passes walk them."""
    for menu in list(tree.iter(*_MENUS)):
        menu.drop_tree()
    dropped: set[lxml.html.HtmlElement] = set()
    # Outermost first (document order); a block inside a dropped one went with it.
    for block in _LINK_BLOCKS(tree):
        if dropped and any(parent in dropped for parent in block.iterancestors()):
            continue
        prose = " ".join(" ".join(_UNLINKED_TEXT(block)).split())
        if len(prose) > _LINK_BLOCK_PROSE:
            continue  # an article's container, or a block of text with links in it
        chars = _CHARS(block)
        if chars and chars - len(prose) >= _LINK_BLOCK_SHARE * chars:
            block.drop_tree()
            dropped.add(block)


def _scripted_markup(tree: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    """``(type, text)`` of the scripts that may carry the article: JSON-LD with an
    ``articleBody``, HTML templates."""
    found = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        content = script.text or ""
        if (kind == "application/ld+json" and "articleBody" in content) or (
            kind in _TEMPLATE_TYPES and content.strip()
        ):
            found.append((kind, content))
    return found


def _hidden_article(tree: lxml.html.HtmlElement, scripted: list[tuple[str, str]]) -> str:
    """The longest article text the page carries for its scripts rather than shows (JSON-LD
    ``articleBody``, markup in template scripts, ``<noscript>`` content), or ``""``; one
    shorter than an article is a notice ("Please enable JavaScript"), not an article."""
    candidates = [t for t in _hidden_texts(tree, scripted) if len(t) >= MIN_VISIBLE_CHARS]
    return max(candidates, key=len, default="")


def _hidden_texts(tree: lxml.html.HtmlElement, scripted: list[tuple[str, str]]) -> Iterator[str]:
    for kind, content in scripted:
        if kind == "application/ld+json":
            try:
                yield from _article_bodies(orjson.loads(content))
            except orjson.JSONDecodeError:
                continue
        else:
            yield _visible_text(content)
    for noscript in tree.iter("noscript"):
        inner = (noscript.text or "") + "".join(
            lxml.html.tostring(child, encoding="unicode") for child in noscript
        )
        yield _visible_text(inner)


def _article_bodies(data: object) -> Iterator[str]:
    """Every ``articleBody`` string in JSON-LD data (an object, a list, an ``@graph``)."""
    if isinstance(data, list):
        for item in data:
            yield from _article_bodies(item)
    elif isinstance(data, dict):
        body = data.get("articleBody")
        if isinstance(body, str) and body.strip():
            yield _visible_text(body) if "<" in body else body.strip()
        for value in data.values():
            if isinstance(value, list | dict):
                yield from _article_bodies(value)


def _visible_text(markup: str) -> str:
    """Paragraphs of a fragment of markup, one a line."""
    lines = (line.strip() for line in html_to_text(markup).split("\n"))
    return "\n".join(line for line in lines if line)


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
