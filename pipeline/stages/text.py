"""Text cleaning and sentence segmentation shared by the stages.

All functions here return new strings; offsets produced later index into the cleaned
text, so cleaning happens once, before any offset is taken.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import ftfy

# Zero-width, bidi embedding/override/isolate marks, soft hyphen, BOM: invisible, and
# used to split words ("sanc\u200btions") or reorder text. Removed outright.
_INVISIBLE = dict.fromkeys(
    [
        0x00AD,
        0x180E,
        0x200B,
        0x200C,
        0x200D,
        0x200E,
        0x200F,
        0x2060,
        0x2061,
        0x2062,
        0x2063,
        0x2064,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ],
)
_QUOTES_DASHES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_HTML_HINT = re.compile(
    r"<\s*(?:p|div|br|html|body|span|a|script|style|h[1-6]|li|ul|ol|table|article|section)\b",
    re.IGNORECASE,
)


def clean_inline(text: str) -> str:
    """Clean a string that must stay one line (a title)."""
    return _SPACES.sub(" ", _NEWLINES.sub(" ", _clean_chars(text))).strip()


def clean_body(text: str) -> str:
    """Clean a body: repaired, NFKC, plain quotes/dashes, paragraphs joined by a blank line."""
    text = _clean_chars(text)
    paragraphs = (_SPACES.sub(" ", p).strip() for p in _NEWLINES.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def _clean_chars(text: str) -> str:
    if not text.isascii():
        # ftfy repairs mojibake ("Ã©" -> "é"); NFKC folds compatibility forms
        # (full-width letters, ligatures) so matching sees plain letters.
        text = ftfy.fix_text(text, normalization="NFKC", uncurl_quotes=False)
        text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
        text = text.translate(_QUOTES_DASHES)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


def looks_like_html(text: str) -> bool:
    return _HTML_HINT.search(text) is not None


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr li main nav ol p pre section table td th tr ul".split()
)
_SKIP_TAGS = frozenset("script style noscript template nav header footer aside form svg".split())


class _TextExtractor(HTMLParser):
    """Collects visible text; a block element starts a new paragraph."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    """Visible text of an HTML document or fragment, one paragraph per block element."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# --- sentences -------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen col lt maj capt cpt sgt adm cmdr gov sen rep rev st jr sr
    no nos vs etc inc corp ltd co bros dept est fig approx jan feb mar apr jun jul aug sep
    sept oct nov dec mt ft pres amb gen.-lt u.s u.k u.n e.u u.a.e d.c a.m p.m ph.d i.e e.g
    al""".split()
)
# A candidate end: terminal punctuation, optional closing quotes/brackets, then space.
_CANDIDATE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+)")
_NEXT_STARTS = re.compile(r"\s+[\"'(\[]*[A-Z0-9]")


def split_sentences(text: str, start: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences in ``text[start:]``, paragraph-aware.

    Paragraphs (separated by a blank line) always end a sentence. Within a paragraph a
    sentence ends at ``. ! ?`` (with closing quotes) followed by a capital or digit,
    unless the word before the period is a known abbreviation or a single initial.
    """
    spans: list[tuple[int, int]] = []
    pos = start
    n = len(text)
    while pos < n:
        para_end = text.find("\n\n", pos)
        if para_end < 0:
            para_end = n
        _split_paragraph(text, pos, para_end, spans)
        pos = para_end + 2
    return spans


def _split_paragraph(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    sent_start = start
    for m in _CANDIDATE_END.finditer(text, start, end):
        stop = m.end()
        if not _NEXT_STARTS.match(text, stop, end):
            continue
        if text[m.start()] == "." and _is_abbreviation(text, sent_start, m.start()):
            continue
        _append(text, sent_start, stop, out)
        sent_start = stop
    _append(text, sent_start, end, out)


def _is_abbreviation(text: str, sent_start: int, dot: int) -> bool:
    word_start = dot
    while word_start > sent_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("\"'([").lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith"
    return word in _ABBREVIATIONS


def _append(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))
