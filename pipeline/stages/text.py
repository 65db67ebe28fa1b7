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
# UTF-8 read as Latin-1/cp1252: a lead byte (Â..ô) followed by a continuation byte shown
# as a C1 control, a Latin-1 symbol or a cp1252 punctuation mark ("â€™", "Ã©", "Ð¾").
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
    "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039"
    "\u203a\u20ac\u2122]"
)
_C0_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Runs of two or more spaces, or any other non-newline whitespace: what collapses to " ".
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S \n]")
_NEWLINES = re.compile(r"\s*\n\s*")
# Whitespace other than the space and the newline (what the second branch of _SPACES
# matches), as an explicit class so that a search skips through a text quickly. Unicode
# has no whitespace above U+3000 (a test checks), so only that far is looked at: the
# whole range cost 40 ms at every import.
_LAST_SPACE = 0x3000
_OTHER_SPACE = re.compile(
    "["
    + re.escape(
        "".join(c for c in map(chr, range(_LAST_SPACE + 1)) if c.isspace() and c not in " \n")
    )
    + "]"
)
_HTML_HINT = re.compile(
    r"<\s*(?:p|div|br|html|body|span|a|script|style|h[1-6]|li|ul|ol|table|article|section)\b",
    re.IGNORECASE,
)


# Cyrillic and Greek letters that look like Latin ones. A word that mixes them with Latin
# letters ("Rosoboronexport" with a Cyrillic o, U+043E) is an evasion or an encoding slip, and
# is folded to Latin; a word written wholly in Cyrillic or Greek is left alone.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "\u0430": "a",
        "\u0435": "e",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0443": "y",
        "\u0445": "x",
        "\u0456": "i",
        "\u0458": "j",
        "\u0455": "s",
        "\u0501": "d",
        "\u04bb": "h",
        "\u0410": "A",
        "\u0412": "B",
        "\u0415": "E",
        "\u041a": "K",
        "\u041c": "M",
        "\u041d": "H",
        "\u041e": "O",
        "\u0420": "P",
        "\u0421": "C",
        "\u0422": "T",
        "\u0425": "X",
        "\u0423": "Y",
        "\u0406": "I",
        "\u0408": "J",
        "\u0405": "S",
        # Greek
        "\u0391": "A",
        "\u0392": "B",
        "\u0395": "E",
        "\u0396": "Z",
        "\u0397": "H",
        "\u0399": "I",
        "\u039a": "K",
        "\u039c": "M",
        "\u039d": "N",
        "\u039f": "O",
        "\u03a1": "P",
        "\u03a4": "T",
        "\u03a5": "Y",
        "\u03a7": "X",
        "\u03bf": "o",
        "\u03bd": "v",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03c1": "p",
        "\u03c5": "u",
        "\u03c7": "x",
        "\u03b1": "a",
    }
)
_GREEK_OR_CYRILLIC = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f]")
_MIXED_CANDIDATE = re.compile(r"[^\W\d_]*[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f][^\W\d_]*")


def _unmix_word(m: re.Match[str]) -> str:
    word = m.group(0)
    if any("a" <= c <= "z" or "A" <= c <= "Z" for c in word):
        return word.translate(_CONFUSABLES)
    return word


def fold_homoglyphs(text: str) -> str:
    """Fold Cyrillic/Greek look-alikes to Latin inside words that mix the scripts."""
    if not _GREEK_OR_CYRILLIC.search(text):
        return text  # the common case, found by a quick scan instead of a word-by-word one
    return _MIXED_CANDIDATE.sub(_unmix_word, text)


def clean_inline(text: str) -> str:
    """Clean a string that must stay one line (a title)."""
    return _SPACES.sub(" ", _NEWLINES.sub(" ", _clean_chars(text))).strip()


def clean_body(text: str) -> str:
    """Clean a body: repaired, NFKC, plain quotes/dashes, paragraphs joined by a blank line."""
    text = _collapse_spaces(_clean_chars(text))
    # Splitting at each newline and stripping the pieces gives what splitting at runs of
    # whitespace around newlines gives (blank pieces are dropped either way), at a tenth
    # of the cost.
    paragraphs = (p.strip() for p in text.split("\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _collapse_spaces(cleaned: str) -> str:
    """``_SPACES.sub(" ", cleaned)``, skipped when there is nothing to collapse: the regex
    tries every space of the text, and most texts have no double space and no whitespace
    but spaces and newlines (after ``_clean_chars`` an ASCII text has no other)."""
    if "  " not in cleaned and (cleaned.isascii() or not _OTHER_SPACE.search(cleaned)):
        return cleaned
    return _SPACES.sub(" ", cleaned)


def _clean_chars(text: str) -> str:
    cleaned = _clean_once(text)
    # Garbage or doubly broken text can still look like mojibake after one pass; cleaning
    # again until it stops changing makes normalizing twice the same as normalizing once.
    for _ in range(3):
        if cleaned.isascii() or not _MOJIBAKE_HINT.search(cleaned):
            break
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def _clean_once(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # C0 controls go first; C1 controls (\x80-\x9f) can be the middle of mojibake
    # ("\u00e2\x80\x99" is a right quote read as Latin-1), so they go after the repair.
    text = _C0_CONTROL.sub("", text)
    if not text.isascii():
        text = _drop_invisible(text)
        # ftfy repairs mojibake ("Ã©" -> "é"); it is slow, so only where it is needed, and
        # repeated until nothing looks broken (doubly encoded text, garbage), so that
        # normalizing twice gives what normalizing once gave.
        for _ in range(4):
            if not _MOJIBAKE_HINT.search(text):
                break
            fixed = ftfy.fix_text(text, normalization="NFKC", uncurl_quotes=False)
            fixed = _CONTROL.sub("", _drop_invisible(fixed))
            if fixed == text:
                break
            text = fixed
        # NFKC folds compatibility forms (full-width letters, ligatures) to plain letters.
        text = unicodedata.normalize("NFKC", _CONTROL.sub("", text))
        text = fold_homoglyphs(_plain_quotes(text))
    return text


# str.translate looks up every character of a non-ASCII text (~130 µs for 3 KB); these
# find the few characters to change first (a scan of a few µs) and change only those.
_INVISIBLE_CHARS = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
_QUOTE_CHARS = re.compile("[" + re.escape("".join(map(chr, _QUOTES_DASHES))) + "]")


def _drop_invisible(text: str) -> str:
    """``text.translate(_INVISIBLE)``."""
    return _INVISIBLE_CHARS.sub("", text) if _INVISIBLE_CHARS.search(text) else text


def _plain_quote(m: re.Match[str]) -> str:
    return str(_QUOTES_DASHES[ord(m.group())])


def _plain_quotes(text: str) -> str:
    """``text.translate(_QUOTES_DASHES)``."""
    return _QUOTE_CHARS.sub(_plain_quote, text)


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
# A sentence end: terminal punctuation with closing quotes/brackets (the match up to the
# end of group 1), the spaces after it (group 2), and then an opening quote or a capital
# or a digit. The capital may be accented or Cyrillic ("À", "Über", "Él", "Это") and the
# quotes guillemets, curly or low quotes: otherwise a French, German, Spanish or Russian
# sentence that starts so stays glued to the one before (a Russian paragraph was one
# sentence). English sentences start with an ASCII capital and stay as they were.
# (The first mark stands outside the group so that the regex engine can skip to the next
# mark quickly: twice as fast as "([.!?]+...)". The match starts at the first mark.)
_BOUNDARY = re.compile(
    r"[.!?]([.!?]*[\"')\]\u00bb\u201c\u201d]*)(\s+)"
    r"(?=[\"'(\[\u00ab\u201e\u201c]*[A-Z0-9\u00c0-\u00d6\u00d8-\u00de\u0400-\u042f])"
)


def split_sentences(text: str, start: int = 0, *, glued: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences in ``text[start:]``, paragraph-aware.

    Paragraphs (separated by a blank line) always end a sentence. Within a paragraph a
    sentence ends at ``. ! ?`` (with closing quotes) followed by a capital (accented or
    Cyrillic too) or digit, unless the word before the period is a known abbreviation, a
    single initial or a German ordinal before a month ("am 23. Februar"). With ``glued``
    (articles in :data:`GLUED_LANGUAGES`) a mark with no space between a lower-case word
    and a capitalised one ends a sentence too ("étrangères.Affrété").
    """
    spans: list[tuple[int, int]] = []
    pos = start
    n = len(text)
    while pos < n:
        para_end = text.find("\n\n", pos)
        if para_end < 0:
            para_end = n
        _split_paragraph(text, pos, para_end, spans, glued)
        pos = para_end + 2
    return spans


# Paragraphs glued without a space ("...des Affaires étrangères.Affrété par..."), as pages
# whose blocks were joined come: a mark between a word of two lower-case letters or more
# and a capitalised word ends a sentence too ("U.S.Army", "Mr.Smith" have no such word).
# Only in these languages' articles: English sentences stay as they were.
GLUED_LANGUAGES = frozenset({"fr", "de", "es", "ru"})
# (The mark first, the letters before it looked behind: the engine skips to each mark.)
_GLUED = re.compile(
    r"[.!?](?<=[a-z\u00df-\u00f6\u00f8-\u00ff\u0430-\u044f\u0451]{2}[.!?])"
    r"(?=[A-Z\u00c0-\u00d6\u00d8-\u00de\u0400-\u042f][a-z\u00df-\u00f6\u00f8-\u00ff\u0430-\u044f\u0451])"
)
# A German ordinal before a month ("am 23. Februar") is a date, not a sentence end.
_ORDINAL_MONTH = re.compile(
    r"(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November"
    r"|Dezember)\b"
)


def _glued_boundaries(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(mark, end of the closing quotes, start of the next sentence) of each candidate
    sentence end in ``text[start:end]``, glued ones too, in text order."""
    found = [(m.start(), m.end(1), m.end(2)) for m in _BOUNDARY.finditer(text, start, end)]
    joined = [(m.start(), m.end(), m.end()) for m in _GLUED.finditer(text, start, end)]
    return sorted(found + joined) if joined else found


def _split_paragraph(
    text: str, start: int, end: int, out: list[tuple[int, int]], glued: bool
) -> None:
    sent_start = start
    if not glued:  # the common case, match by match
        for m in _BOUNDARY.finditer(text, start, end):
            punct = m.start()
            if text[punct] == "." and _no_end(text, sent_start, punct, m.end(2)):
                continue
            _append(text, sent_start, m.end(1), out)
            sent_start = m.end(2)
    else:
        for punct, closed, next_start in _glued_boundaries(text, start, end):
            if text[punct] == "." and _no_end(text, sent_start, punct, next_start):
                continue
            _append(text, sent_start, closed, out)
            sent_start = next_start
    _append(text, sent_start, end, out)


def _no_end(text: str, sent_start: int, dot: int, after: int) -> bool:
    """Whether the full stop at ``dot`` ends no sentence: an abbreviation, an initial, a
    German ordinal before a month."""
    return _is_abbreviation(text, sent_start, dot) or (
        text[dot - 1].isdigit() and _is_ordinal_date(text, sent_start, dot, after)
    )


def _is_ordinal_date(text: str, sent_start: int, dot: int, after: int) -> bool:
    digits = dot
    while digits > sent_start and text[digits - 1].isdigit():
        digits -= 1
    if not 1 <= dot - digits <= 2 or (digits > sent_start and text[digits - 1].isalnum()):
        return False
    return _ORDINAL_MONTH.match(text, after) is not None


def _is_abbreviation(text: str, sent_start: int, dot: int) -> bool:
    space = max(text.rfind(" ", sent_start, dot), text.rfind("\n", sent_start, dot))
    word = text[max(space + 1, sent_start) : dot].lstrip("\"'([").lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith"
    return word in _ABBREVIATIONS


def _append(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    if start < end and not (text[start].isspace() or text[end - 1].isspace()):
        out.append((start, end))  # the common case: nothing to trim
        return
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))
