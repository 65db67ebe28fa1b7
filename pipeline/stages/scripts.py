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

import re
from collections.abc import Callable
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class LatinView:
    """``text`` in Latin letters; ``starts[i]``/``ends[i]`` the span in the original
    text of the view's ``i``-th character."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's ``[start, end)`` (``start < end``).

        Raises:
            IndexError: the span is not inside the view.
        """
        if not 0 <= start < end <= len(self.text):
            raise IndexError(f"[{start}, {end}) is not inside a view of {len(self.text)}")
        return self.starts[start], self.ends[end - 1]


def has_cyrillic(text: str) -> bool:
    """Does ``text`` hold a Cyrillic letter?"""
    return _CYRILLIC.search(text) is not None


def romanize_word(word: str, spelling: Spelling = SPELLINGS[0]) -> list[str]:
    """The Latin letters of each character of ``word`` (one string per character, empty
    for a sign): capitalised as the word is ("Щукин" -> "Shchukin", "ВТБ" -> "VTB");
    a character that is not Cyrillic is kept."""
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
    return out


def latin_view(
    text: str,
    spelling: Spelling = SPELLINGS[0],
    forms: Callable[[str], str] | None = None,
) -> LatinView:
    """``text`` with every Cyrillic letter romanised in ``spelling``.

    With ``spelling.nominative`` and ``forms`` (a word -> its nominative, lower case),
    each Cyrillic word that starts with a capital is replaced by its nominative, written
    with the word's capitals, before it is romanised; each character of a replaced word
    maps back to the whole word.
    """
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _CYRILLIC_WORD.finditer(text):
        for i in range(pos, m.start()):  # what lies between words passes through
            parts.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        word = m.group(0)
        replaced = spelling.nominative and forms is not None and word[:1].isupper()
        if replaced and forms is not None:
            form = forms(word)
            form = _cased_like(form, word)
            letters = romanize_word(form, spelling)
            latin = "".join(letters)
            parts.append(latin)
            starts.extend([m.start()] * len(latin))
            ends.extend([m.end()] * len(latin))
        else:
            for j, letters_of in enumerate(romanize_word(word, spelling)):
                parts.append(letters_of)
                starts.extend([m.start() + j] * len(letters_of))
                ends.extend([m.start() + j + 1] * len(letters_of))
        pos = m.end()
    for i in range(pos, len(text)):
        parts.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return LatinView("".join(parts), tuple(starts), tuple(ends))


def _cased_like(form: str, word: str) -> str:
    """``form`` written with ``word``'s capitals: all capitals, or the first one."""
    if word.isupper() and len(word) > 1:
        return form.upper()
    return form[:1].upper() + form[1:].lower() if word[:1].isupper() else form
