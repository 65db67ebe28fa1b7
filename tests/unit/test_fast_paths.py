"""Each shortcut taken on the hot path gives exactly what the plain way gives.

The plain ways are written out here (they are what the code did before it was made
faster) and compared on generated text, including the odd corners: every kind of
whitespace, mixed scripts, punctuation runs, names at the very start and end.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline.resources import Stages
from pipeline.stages import cues, dedupe, sanctions, text
from pipeline.stages.charmap import CharMap, ascii_fold
from pipeline.stages.gazetteer import (
    Alias,
    Case,
    Gazetteer,
    Match,
    _case_ok,
    _context_ok,
    fold,
    key,
    longest_first,
)

_FAST = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)


# Whitespace of every kind, controls, mojibake, look-alike letters and plain words.
def _joined(pieces: str, *more: str, size: int) -> st.SearchStrategy[str]:
    """Strings made of the characters of ``pieces`` and the longer ``more`` pieces."""
    return st.lists(st.sampled_from([*pieces, *more]), max_size=size).map("".join)


_MESSY = _joined(
    "ab Z.!?\"')(\n\t\r\x0b\x0c\x1c\x85\xa0\u2028\u3000\u200b\u00e9\u0430\u03bf\x00\x7f",
    "  ", "\n\n", " \n ", "\u00c3\u00a9", "Mr. ", "U.S. ", "Kim", "\u041e",
    size=60,
)  # fmt: skip


def _clean_body_plain(raw: str) -> str:
    collapsed = text._SPACES.sub(" ", text._clean_chars(raw))
    paragraphs = (p.strip() for p in text._NEWLINES.split(collapsed))
    return "\n\n".join(p for p in paragraphs if p)


def test_no_whitespace_lies_beyond_what_the_other_space_class_covers() -> None:
    import sys

    beyond = [c for c in map(chr, range(text._LAST_SPACE + 1, sys.maxunicode + 1)) if c.isspace()]
    assert beyond == []


@_FAST
@given(_MESSY)
def test_clean_body_equals_the_regex_way(raw: str) -> None:
    assert text.clean_body(raw) == _clean_body_plain(raw)


@_FAST
@given(_MESSY)
def test_homoglyph_folding_skips_only_texts_it_would_not_change(raw: str) -> None:
    assert text.fold_homoglyphs(raw) == text._MIXED_CANDIDATE.sub(text._unmix_word, raw)


# The signature's words as a regex found them before (letters and digits, no "_").
_SIGNATURE_WORD = re.compile(r"[^\W_]+")
_OLD_BOUNDARY = re.compile(
    r"([.!?]+[\"')\]\u00bb\u201c\u201d]*)(\s+)"
    r"(?=[\"'(\[\u00ab\u201e\u201c]*[A-Z0-9\u00c0-\u00d6\u00d8-\u00de\u0400-\u042f])"
)


@_FAST
@given(
    _joined(
        ".!?\"')([] \n\taZ09\u00ab\u00bb\u201c\u201d\u201e\u00c0\u00d7\u00e9\u042d\u044d",
        "Mr. ",
        ". A",
        size=50,
    )
)
def test_sentence_boundaries_are_those_of_the_plain_regex(sample: str) -> None:
    plain = [(m.start(1), m.end(1), m.end(2)) for m in _OLD_BOUNDARY.finditer(sample)]
    fast = [(m.start(), m.end(1), m.end(2)) for m in text._BOUNDARY.finditer(sample)]
    assert fast == plain


@_FAST
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=120))
def test_signature_words_of_ascii_text_are_the_regex_words(sample: str) -> None:
    low = sample.lower()
    assert ascii_fold(low).split() == _SIGNATURE_WORD.findall(low)


@_FAST
@given(st.from_regex(sanctions._BACKDROP_BEFORE))
@example("amid tensions with \n")  # "$" matches before a final newline
def test_the_backdrop_regex_is_never_skipped_when_it_would_match(before: str) -> None:
    # from_regex gives strings the pattern finds a match in
    assert sanctions._BACKDROP_BEFORE.search(before)
    assert before.endswith(sanctions._BACKDROP_BEFORE_ENDINGS)


@_FAST
@given(st.from_regex(cues._OFFICE_BEFORE))
@example("Secretary of \n")
def test_the_office_regex_is_never_skipped_when_it_would_match(before: str) -> None:
    assert cues._OFFICE_BEFORE.search(before)
    assert before.endswith(cues._OFFICE_ENDINGS)


_ALIASES = [
    Alias("Korea", "COUNTRY", "KR", "Korea"),
    Alias("North Korea", "COUNTRY", "KP", "North Korea"),
    Alias("Kim Jong Un", "PERSON", "kim", "Kim Jong Un"),
    Alias("DPRK", "COUNTRY", "KP", "North Korea", case=Case.EXACT),
    Alias("front company", "TERM", "front", "front company", case=Case.ANY),
    Alias("Jordan", "COUNTRY", "JO", "Jordan", ambiguous=True),
]
_WORDS = st.sampled_from(
    ["Korea", "korea", "North", "Koreans", "Kim", "Jong-un", "Jong", "Un", "DPRK", "dprk",
     "front", "company", "Jordan", "Michael", "the", "in", "-", ".", ",", "'s"]
)  # fmt: skip


def _find_plain(gazetteer_aliases: list[Alias], sample: str) -> list[Match]:
    """Every occurrence of every key with a non-letter (or the end) on both sides."""
    folded = fold(sample)
    by_key: dict[str, list[Alias]] = {}
    for alias in gazetteer_aliases:
        by_key.setdefault(key(alias.surface), []).append(alias)
    found: list[Match] = []
    for k, aliases in by_key.items():
        at = folded.find(k)
        while at >= 0:
            end = at + len(k)
            if (at == 0 or folded[at - 1] == " ") and (end == len(folded) or folded[end] == " "):
                surface = sample[at:end]
                for alias in aliases:
                    if _case_ok(alias, surface) and (
                        not alias.ambiguous or _context_ok(sample, at, end)
                    ):
                        found.append(Match(alias, at, end))
            at = folded.find(k, at + 1)
    return longest_first(found)


@_FAST
@given(st.lists(_WORDS, max_size=14), st.sampled_from([" ", "  ", "-", ", "]))
def test_gazetteer_finds_what_a_plain_scan_finds(words: list[str], sep: str) -> None:
    sample = sep.join(words)
    assert Gazetteer(_ALIASES).find(sample) == _find_plain(_ALIASES, sample)
    # a list compiled as several automata (a million names are) finds the same
    assert Gazetteer(_ALIASES, shard_size=3).find(sample) == _find_plain(_ALIASES, sample)


_ANCHORISH = st.sampled_from(
    ["arms", "farms", "Sanctions", "ship-to-ship", "ship to ship", "export", "exporters",
     "_list", "list", "co-operation", "price cap", "Security Council", "troops", "x",
     "froze", "1718", ".", ",", "(", "\"", "-", "'"]
)  # fmt: skip


@_FAST
@given(
    st.lists(st.lists(_ANCHORISH, min_size=1, max_size=8), min_size=1, max_size=5),
    st.sampled_from([".", ""]),
)
def test_word_start_anchor_pass_misses_no_candidate(
    stages: Stages, sentences: list[list[str]], stop: str
) -> None:
    # a stem can end a sentence (no full stop) or the text
    body = " ".join(" ".join(words) + stop for words in sentences)
    spans: list[tuple[int, int]] = []
    at = 0
    for words in sentences:
        length = len(" ".join(words) + stop)
        spans.append((at, at + length))
        at += length + 1
    rules = stages.rules
    fast = sanctions._candidates_by_sentence(body, tuple(spans), rules)
    for i, (start, end) in enumerate(spans):
        plain = sanctions._candidates(body[start:end], rules)
        # one pass may find more (punctuation inside a stem), never fewer
        assert plain <= fast.get(i, set())


# Any text at all: every plane, combining marks, letters whose case changes their length.
_ANY = st.text(max_size=80) | _joined(
    "aZ\u00e9\u0130\u00df\u0149\u1e9e\U0001f600\U00020000- .", size=30
)


@_FAST
@given(_ANY)
def test_fold_of_any_text_is_its_characters_folded_one_by_one(sample: str) -> None:
    from pipeline.stages.gazetteer import _fold_char

    folded = fold(sample)
    assert folded == "".join(map(_fold_char, sample))
    assert len(folded) == len(sample)


@_FAST
@given(_ANY)
def test_signature_words_of_any_text_are_the_regex_words(sample: str) -> None:
    low = sample.lower()
    assert dedupe._NON_WORD(low).split() == _SIGNATURE_WORD.findall(low)


@_FAST
@given(_ANY | _MESSY | _joined("a\u2019\u201c\u201d\u00ab\u2014\u200b\u00ad\u202e\ufeff", size=30))
def test_invisible_and_quote_replacement_equal_translate(sample: str) -> None:
    assert text._drop_invisible(sample) == sample.translate(text._INVISIBLE)
    assert text._plain_quotes(sample) == sample.translate(text._QUOTES_DASHES)


_UPPER = CharMap(str.upper)  # "ß" -> "SS", "\u0149" -> "\u02bcN": not one to one


@_FAST
@given(_ANY)
def test_a_char_map_whose_function_changes_lengths_falls_back_to_the_function(
    sample: str,
) -> None:
    assert _UPPER(sample) == "".join(map(str.upper, sample))


def test_the_worker_can_build_every_table_before_the_first_article() -> None:
    from pipeline.stages import gazetteer
    from pipeline.stages.charmap import prepare_all

    late = CharMap(str.lower)
    assert late._table is None
    prepare_all()
    assert late._table is not None
    assert gazetteer._FOLD._table is not None


_WORDS = st.sampled_from(
    "the ministry said port shipments rose again officials told reporters capital "
    "on Tuesday council harbour ferry crossing week".split()
)
_SENTENCE = st.lists(_WORDS, min_size=8, max_size=25).map(lambda w: " ".join(w).capitalize() + ".")


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    paragraphs=st.lists(_SENTENCE, min_size=1, max_size=8),
    links=st.lists(st.lists(_WORDS, min_size=1, max_size=4).map(" ".join), max_size=60),
    where=st.sampled_from(["before", "after", "inside"]),
)
def test_menus_removed_before_trafilatura_leave_the_text_it_extracts(
    paragraphs: list[str], links: list[str], where: str
) -> None:
    # The shortcut: menus go before trafilatura runs (its passes walked every link of
    # them). The plain way: trafilatura on the page as it is, menus and all.
    import lxml.html

    from pipeline.stages import webpage

    menu = "<nav>" + "".join(f"<a href='/{i}'>{t}</a> " for i, t in enumerate(links)) + "</nav>"
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    article = {
        "before": f"{menu}<main><article>{body}</article></main>",
        "after": f"<main><article>{body}</article></main>{menu}",
        "inside": f"<main><article>{menu}{body}</article></main>",
    }[where]
    html = f"<html><head><title>T</title></head><body>{article}</body></html>"
    plain = webpage._extract(lxml.html.fromstring(html), precise=True)
    tree = lxml.html.fromstring(html)
    webpage._drop_link_indexes(tree)
    fast = webpage._extract(tree, precise=True)
    assert (fast.text if fast else None) == (plain.text if plain else None)
