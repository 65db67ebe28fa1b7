"""Cyrillic text seen in Latin letters, for matching names a list writes only in Latin.

    text -> LatinView(text in Latin letters, the span in the original of each character)

OFAC and most lists write Russian names in Latin letters ("SOVCOMFLOT", "Sergey
LAVROV"); Russian text writes them in Cyrillic and declines them ("Совкомфлота",
"Сергею Лаврову"). A :class:`LatinView` of such a text has every Cyrillic letter
romanised (a BGN/PCGN-like table, the scheme OFAC and the press mostly follow) and,
when a ``forms`` function is given, every capitalised Cyrillic word first put in its
nominative ("Лаврову" -> "Лавров"). Latin letters, digits and punctuation pass through
unchanged, so the name automaton runs on the view as on any text, and a find there maps
back (:meth:`LatinView.span`) to exact offsets in the original: a character of a
romanised letter to that letter, a character of a replaced word to the whole word.

Romanisation is not one-to-one: "й" is "y" or "i" ("Lukoil", "Sergey"), "к" before a
hard vowel or a consonant is "k" or, in some companies' own spellings, "c"
("Sovcomflot", "Sovcombank"). :data:`SPELLINGS` lists the few views the tagger builds;
spelling variants of given names (sergei/sergey) are the list's own variants
(``data/transliteration.toml``), not this module's.

Pure functions: the nominative comes from the caller (:mod:`pipeline.morphology`).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

# Lower-case Cyrillic letter -> Latin (BGN/PCGN 1947 for Russian, without its
# diacritics and apostrophes; the soft and hard signs are dropped, as OFAC drops them:
# "Glazyev", "Rosneft"). Ukrainian and Belarusian letters as their national systems.
LETTERS: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}  # fmt: skip
# "е" and "ё" are "ye" at the start of a word and after a vowel or a sign (BGN/PCGN:
# "Yevgeny", "Kiriyenko", "Afanasyev"), else "e" ("Medvedev", "Fedorov").
_IOTATED = {"е": "ye", "ё": "ye"}
_VOWELS_AND_SIGNS = frozenset("аеёиоуыэюяіїєъь")
# Before these "к" stays "k" in any spelling ("c" would read as "s": "Nikita", "Kirill").
_SOFT_AFTER_K = frozenset("еёиийыюяіїєь")

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")


@dataclass(frozen=True, slots=True, eq=False)
class Spelling:
    """One way of romanising: which forms of the words, which letters for ``й``, ``к``."""

    name: str
    nominative: bool = False  # capitalised words first put in their nominative
    short_i: str = "y"  # "й"
    hard_k: str = "k"  # "к" before a hard vowel, a consonant or the end of the word


# The views the tagger matches on: the words as written and each capitalised word in its
# nominative, each in BGN/PCGN and the two commonest other spellings. (A name needing
# both other spellings at once is left out: six views, not eight.)
SPELLINGS: tuple[Spelling, ...] = tuple(
    Spelling(f"{form}{other}", nominative=form == "nominative", short_i=i, hard_k=k)
    for form in ("as written", "nominative")
    for other, i, k in (("", "y", "k"), (", й as i", "i", "k"), (", к as c", "y", "c"))
)


# One piece of a view: (where it starts in the view, its span in the original, and how
# it maps: None for text passed through as it is, WHOLE for a word replaced by its
# nominative, else the Latin letters of each original character).
_Piece = tuple[int, int, int, "tuple[str, ...] | None"]
WHOLE: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LatinView:
    """``text`` in Latin letters, made of pieces of the original (see :func:`latin_view`);
    :meth:`origin` and :meth:`span` map the view's offsets back."""

    text: str
    pieces: tuple[_Piece, ...]
    _starts: tuple[int, ...]  # each piece's start in the view, for bisect

    def origin(self, i: int) -> tuple[int, int]:
        """The original span of the view's ``i``-th character: the character itself, the
        Cyrillic letter it romanises, or the whole word it is part of.

        Raises:
            IndexError: ``i`` is not inside the view.
        """
        if not 0 <= i < len(self.text):
            raise IndexError(f"{i} is not inside a view of {len(self.text)}")
        at, start, end, letters = self.pieces[bisect.bisect_right(self._starts, i) - 1]
        if letters is None:
            return start + i - at, start + i - at + 1
        if letters is WHOLE:
            return start, end
        offset = i - at
        for j, latin in enumerate(letters):
            if offset < len(latin):
                return start + j, start + j + 1
            offset -= len(latin)
        raise AssertionError("a piece shorter than its letters")  # pragma: no cover

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's ``[start, end)`` (``start < end``).

        Raises:
            IndexError: the span is not inside the view.
        """
        if not 0 <= start < end <= len(self.text):
            raise IndexError(f"[{start}, {end}) is not inside a view of {len(self.text)}")
        return self.origin(start)[0], self.origin(end - 1)[1]


def has_cyrillic(text: str) -> bool:
    """Does ``text`` hold a Cyrillic letter?"""
    return _CYRILLIC.search(text) is not None


def romanize_word(word: str, spelling: Spelling = SPELLINGS[0]) -> list[str]:
    """The Latin letters of each character of ``word`` (one string per character, empty
    for a sign): capitalised as the word is ("Щукин" -> "Shchukin", "ВТБ" -> "VTB");
    a character that is not Cyrillic is kept."""
    return list(_letters(word, spelling))


@functools.lru_cache(maxsize=65_536)
def _letters(word: str, spelling: Spelling) -> tuple[str, ...]:
    out: list[str] = []
    all_caps = word.isupper() and len(word) > 1
    lower = word.lower()
    for i, (c, low) in enumerate(zip(word, lower, strict=True)):
        prev = lower[i - 1] if i else ""
        nxt = lower[i + 1] if i + 1 < len(lower) else ""
        if low in _IOTATED and (not prev or prev in _VOWELS_AND_SIGNS):
            latin = _IOTATED[low]
        elif low == "й":
            latin = spelling.short_i
        elif low == "к" and nxt not in _SOFT_AFTER_K:
            latin = spelling.hard_k
        elif low in LETTERS:
            latin = LETTERS[low]
        else:
            out.append(c)
            continue
        if c != low and latin:  # an upper-case letter
            latin = latin.upper() if all_caps else latin[0].upper() + latin[1:]
        out.append(latin)
    return tuple(out)


def korean_in_cyrillic(
    syllables: Sequence[str], spellings: Mapping[str, Sequence[str]], limit: int = 48
) -> list[str]:
    """The keys (lower case, one word per syllable) under which the latin views of a
    Russian text show a Korean name: ``syllables`` family name first, each with its
    Cyrillic spellings in ``spellings``, the last word also in the Russian cases that
    change its ending ("Ким Чен Ына", "Ким Чен Ыном"), in every view's romanisation.
    Empty when a syllable has no Cyrillic spelling there. At most ``limit`` spellings
    of the name are declined."""
    options = [spellings.get(s) for s in syllables]
    if not syllables or not all(options):
        return []
    out: dict[str, None] = {}
    for combo in itertools.islice(itertools.product(*options), limit):  # type: ignore[arg-type]
        for last in _declined(combo[-1].lower()):
            words = [w.lower() for w in combo[:-1]] + [last]
            for spelling in SPELLINGS:
                out[" ".join("".join(_letters(w, spelling)) for w in words)] = None
    return list(out)


def _declined(word: str) -> tuple[str, ...]:
    """A Korean syllable as the last word of a name in the Russian cases that change
    it (genitive, dative, instrumental, prepositional): after a consonant the endings
    are added, a soft sign gives way to them; a vowel (the ending of most women's names
    too) is not declined."""
    if word.endswith("ь"):
        stem = word[:-1]
        return (word, stem + "я", stem + "ю", stem + "ем", stem + "е")
    if word[-1:] in _CONSONANTS:
        return (word, word + "а", word + "у", word + "ом", word + "е")
    return (word,)


_CONSONANTS = frozenset("бвгджзклмнпрстфхцчшщ")


def latin_view(
    text: str,
    spelling: Spelling = SPELLINGS[0],
    forms: Callable[[str, str], str] | None = None,
) -> LatinView:
    """``text`` with every Cyrillic letter romanised in ``spelling``.

    With ``spelling.nominative`` and ``forms`` (a word and the capitalised word just
    before it, or "" -> its nominative, lower case), each Cyrillic word that starts with
    a capital is replaced by its nominative, written
    with the word's capitals, before it is romanised; each character of a replaced word
    maps back to the whole word.
    """
    return latin_views(text, (spelling,), forms)[0]


def latin_views(
    text: str,
    spellings: Sequence[Spelling] = SPELLINGS,
    forms: Callable[[str, str], str] | None = None,
) -> list[LatinView]:
    """:func:`latin_view` of ``text`` in each of ``spellings``, the words found once."""
    parts: list[list[str]] = [[] for _ in spellings]
    pieces: list[list[_Piece]] = [[] for _ in spellings]
    at = [0] * len(spellings)
    pos = 0
    previous = ""  # the capitalised word just before, for a surname's gender
    for m in _CYRILLIC_WORD.finditer(text):
        start, end = m.span()
        word = m.group(0)
        nominative = None
        if forms is not None and word[:1].isupper():
            after = previous if text[pos:start].isspace() else ""
            nominative = _cased_like(forms(word, after), word)
            previous = word
        else:
            previous = ""
        for k, spelling in enumerate(spellings):
            if start > pos:  # what lies between words passes through
                parts[k].append(text[pos:start])
                pieces[k].append((at[k], pos, start, None))
                at[k] += start - pos
            letters: tuple[str, ...]
            if spelling.nominative and nominative is not None:
                latin = "".join(_letters(nominative, spelling))
                letters = WHOLE
            else:
                letters = _letters(word, spelling)
                latin = "".join(letters)
            if latin:  # a word of signs only romanises to nothing
                parts[k].append(latin)
                pieces[k].append((at[k], start, end, letters))
                at[k] += len(latin)
        pos = end
    views = []
    for k in range(len(spellings)):
        if pos < len(text):
            parts[k].append(text[pos:])
            pieces[k].append((at[k], pos, len(text), None))
        views.append(LatinView("".join(parts[k]), tuple(pieces[k]), tuple(p[0] for p in pieces[k])))
    return views


def _cased_like(form: str, word: str) -> str:
    """``form`` written with ``word``'s capitals: all capitals, or the first one."""
    if word.isupper() and len(word) > 1:
        return form.upper()
    return form[:1].upper() + form[1:].lower() if word[:1].isupper() else form
