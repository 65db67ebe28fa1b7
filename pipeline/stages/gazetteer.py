"""A name gazetteer: one Aho-Corasick automaton over every alias, built once.

Matching runs on a case-folded copy of the text in which every character that is not a
letter or digit becomes a space, so ``Kim Jong-un``, ``KIM JONG UN`` and ``Kim Jong Un``
meet the same key, and offsets stay those of the original text. Each candidate then
passes the alias's own checks: whole words, capitalisation for proper names, exact case
for acronyms, context for ambiguous names. Overlaps resolve to the longest match.
"""

from __future__ import annotations

import unicodedata
from enum import Enum
from typing import NamedTuple

from ahocorasick_rs import AhoCorasick, Implementation, MatchKind
from msgspec import Struct

from pipeline.stages.charmap import ASCII_NON_ALNUM_TO_SPACE, CharMap


class Case(Enum):
    """How the surface text must be written for an alias to count."""

    ANY = "any"  # lower case is fine ("front company")
    PROPER = "proper"  # starts with a capital ("Russia", "North Korean")
    EXACT = "exact"  # exactly as listed, letters and case ("US", "DPRK")


class Alias(Struct, frozen=True, gc=False):
    """One name of one thing, with what the tagger should emit for it. (A msgspec struct:
    a million names make more than a million of these at start-up.)"""

    surface: str
    label: str
    id: str
    name: str
    case: Case = Case.PROPER
    ambiguous: bool = False
    country: str | None = None
    dataset: str | None = None
    kind: str | None = None
    score: float = 1.0
    why: str = "exact"


class Match(NamedTuple):
    """A name found in the text (a tuple: made per candidate on the hot path)."""

    alias: Alias
    start: int
    end: int


def fold(text: str) -> str:
    """Lower-case, without diacritics, every non-alphanumeric character a space.

    The result has exactly the length of ``text``, so offsets found in it are offsets in
    ``text``. ASCII text is translated; any other text is mapped through a table of every
    character's fold (the same as ``"".join(map(_fold_char, text))``).
    """
    if text.isascii():
        return text.lower().translate(ASCII_NON_ALNUM_TO_SPACE)
    return _FOLD(text)


def _fold_char(c: str) -> str:
    """One character folded to one character: "É" -> "e", "ß" -> "ß", "-" -> " "."""
    if not c.isalnum():
        return " "
    lower = c.lower()
    if len(lower) != 1:
        lower = c
    base = unicodedata.normalize("NFKD", lower)[:1].lower()
    return base if base.isalnum() else lower


_FOLD = CharMap(_fold_char)


def key(surface: str) -> str:
    """The automaton key of an alias: folded, single-spaced, trimmed."""
    return " ".join(fold(surface).split())


class Gazetteer:
    """Finds every alias in a text. Build once; :meth:`find` is safe to call concurrently.

    The automaton is ahocorasick_rs's contiguous NFA (the Rust aho-corasick crate): for a
    million names it takes about half the memory of pyahocorasick's trie and searches
    faster; its values (the aliases of each key) are a list indexed by pattern.
    """

    __slots__ = ("_automaton", "_entries", "size")

    def __init__(self, aliases: list[Alias]) -> None:
        # key -> its aliases; one alias (the common case) is kept as a 1-tuple, not a list,
        # so a million names cost a tuple each, not a list and a dict each.
        by_key: dict[str, tuple[Alias, ...]] = {}
        for alias in aliases:
            k = key(alias.surface)
            if len(k) < 2:
                continue
            known = by_key.get(k)
            if known is None:
                by_key[k] = (alias,)
                continue
            same = next(
                (i for i, a in enumerate(known) if a.id == alias.id and a.label == alias.label),
                None,
            )
            if same is None:
                by_key[k] = (*known, alias)
            elif known[same].score < alias.score:  # an exact listing beats a variant
                by_key[k] = (*known[:same], alias, *known[same + 1 :])
        self.size = len(by_key)
        self._entries: list[tuple[Alias, ...]] = list(by_key.values())
        # Keys carry a space on each side and the text is searched with one added at each
        # end: every hit is then a run of whole words, and no partial-word hit ("korea" in
        # "koreans") has to be found and thrown away.
        self._automaton = (
            AhoCorasick(
                [f" {k} " for k in by_key],
                matchkind=MatchKind.Standard,
                store_patterns=False,
                implementation=Implementation.ContiguousNFA,
            )
            if by_key
            else None
        )

    def find(self, text: str, folded: str | None = None) -> list[Match]:
        """Non-overlapping matches in ``text``, longest first, in text order."""
        return longest_first(self.candidates(text, folded))

    def candidates(self, text: str, folded: str | None = None) -> list[Match]:
        """Every whole-word match that passes its alias's checks, overlaps included."""
        if self._automaton is None:
            return []
        folded = fold(text) if folded is None else folded
        candidates: list[Match] = []
        entries_of = self._entries
        for index, start, padded_end in self._automaton.find_matches_as_indexes(
            f" {folded} ", overlapping=True
        ):
            # The match spans the padding spaces: in the unpadded text the name starts
            # where the leading space was found and ends two characters before the end.
            end = padded_end - 2
            surface = text[start:end]
            for alias in entries_of[index]:
                if _case_ok(alias, surface) and (
                    not alias.ambiguous or _context_ok(text, start, end)
                ):
                    candidates.append(Match(alias, start, end))
        return candidates


def _case_ok(alias: Alias, surface: str) -> bool:
    if alias.case is Case.ANY:
        return True
    if alias.case is Case.EXACT:
        return surface.replace(".", "") == alias.surface.replace(".", "")
    return surface[:1].isupper() or surface[:1].isdigit()


def _context_ok(text: str, start: int, end: int) -> bool:
    """An ambiguous name ("Jordan", "Georgia", "Turkey") counts only standing alone.

    It must not be part of a longer capitalised name ("Michael Jordan", "Georgia Tech",
    "Atlanta, Georgia") and must not be in an all-lower-case context of its own.
    """
    before = text[max(0, start - 30) : start].split()
    prev_word = before[-1] if before else ""
    after = text[end : end + 30]
    if prev_word.endswith(",") and prev_word[:1].isupper():
        return False  # "Atlanta, Georgia"
    if prev_word.endswith(("'s", "s'")):
        prev_word = ""  # "Russia's Kursk": a possessive does not make a longer name
    if (
        prev_word[:1].isupper()
        and not prev_word.endswith((".", "!", "?", ":", '"'))
        and prev_word.lower() not in {"the", "in", "to", "and", "of", "from", "with", "a"}
    ):
        return False  # "Michael Jordan"
    # "Georgia Tech", "Jordan Peterson": the name goes on with another capitalised word.
    return not (after[:1] == " " and after[1:2].isupper())


def longest_first(candidates: list[Match]) -> list[Match]:
    """Overlapping candidates resolved: the longest at each place wins; a span found for
    several things keeps them all."""
    candidates.sort(key=lambda m: (m[1], -m[2]))
    kept: list[Match] = []
    last_end = -1
    for m in candidates:
        if m.start >= last_end:
            kept.append(m)
            last_end = m.end
        elif kept and m.start == kept[-1].start and m.end == kept[-1].end:
            kept.append(m)  # the same span for another thing (a country and its army)
    return kept
