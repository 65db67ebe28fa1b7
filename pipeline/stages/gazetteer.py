"""A name gazetteer: Aho-Corasick automata over every alias, built once.

Matching runs on a case-folded copy of the text in which every character that is not a
letter or digit becomes a space, so ``Kim Jong-un``, ``KIM JONG UN`` and ``Kim Jong Un``
meet the same key, and offsets stay those of the original text. Each candidate then
passes the alias's own checks: whole words, capitalisation for proper names, exact case
for acronyms, context for ambiguous names. Overlaps resolve to the longest match.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import unicodedata
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import Enum
from typing import Any, NamedTuple

import msgspec
from daachorse import CharwiseDoubleArrayAhoCorasick
from msgspec import Struct

from pipeline.stages import legal_forms
from pipeline.stages.charmap import CharMap, ascii_fold


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
    # The listed name with its legal form, when ``surface`` is that name without it
    # (:mod:`pipeline.stages.legal_forms`): a find is widened over the form where the
    # text writes it, and is then the listed name exactly.
    full: str | None = None


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
        return ascii_fold(text)
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


# Aliases per automaton: larger lists are built as several, in parallel threads. Every
# shard is one more pass over each text, so shards are as large as start-up allows (two
# for a million names on two cores).
SHARD_SIZE = 800_000
_TRIM_ABOVE = 100_000


class Gazetteer:
    """Finds every alias in a text. Build once; :meth:`find` is safe to call concurrently.

    The automata are daachorse's character-wise double-array Aho-Corasick (Rust, from
    PyPI): built without holding the GIL, so a large list is compiled as several shards in
    threads, each one while the next one's aliases are made in Python; a text is searched
    by every shard. A list of up to ``shard_size`` aliases is one automaton (every list
    but the million-name exports). Its values (the aliases of each key) are a list
    indexed by pattern.
    """

    __slots__ = ("_automata", "_pending", "size")

    def __init__(
        self,
        aliases: Iterable[Alias] = (),
        *,
        keyed: Iterable[tuple[str, Alias]] = (),
        shard_size: int = SHARD_SIZE,
    ) -> None:
        """``aliases`` are keyed here; ``keyed`` pairs come with their key already made
        (:func:`key` of the surface, or the same string)."""
        self._automata: list[_Shard] = []
        self._pending: list[Future[_Shard]] = []
        pairs = itertools.chain(((key(a.surface), a) for a in aliases), keyed)
        shard, read = _grouped(itertools.islice(pairs, shard_size))
        self.size = len(shard)
        if read < shard_size:  # one automaton: built here, no thread
            self._automata = [_compiled(shard)] if shard else []
            return
        pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
        while shard:
            self._pending.append(pool.submit(_compiled, shard))
            shard, read = _grouped(itertools.islice(pairs, shard_size))
            self.size += len(shard)
        pool.shutdown(wait=False)  # the builds go on; :meth:`wait` collects them

    def wait(self) -> Gazetteer:
        """Wait for the automata still being built (the constructor returns as soon as the
        last shard's build has started, so the caller can do other work meanwhile)."""
        if self._pending:
            self._automata = [f.result() for f in self._pending]
            self._pending = []
            if self.size > _TRIM_ABOVE:
                _return_freed_memory()
        return self

    def find(self, text: str, folded: str | None = None) -> list[Match]:
        """Non-overlapping matches in ``text``, longest first, in text order."""
        return longest_first(self.candidates(text, folded))

    def candidates(self, text: str, folded: str | None = None) -> list[Match]:
        """Every whole-word match that passes its alias's checks, overlaps included (in no
        particular order: :func:`longest_first` orders them)."""
        if self._pending:
            self.wait()
        if not self._automata:
            return []
        folded = fold(text) if folded is None else folded
        padded = f" {folded} "
        candidates: list[Match] = []
        for automaton, entries_of in self._automata:
            for start, padded_end, index in automaton.find_overlapping(padded):
                # The match spans the padding spaces: in the unpadded text the name starts
                # where the leading space was found and ends two characters before the end.
                end = padded_end - 2
                surface = text[start:end]
                found = entries_of[index]
                for alias in (found,) if found.__class__ is Alias else found:
                    if _case_ok(alias, surface) and (
                        not alias.ambiguous or _context_ok(text, start, end)
                    ):
                        if alias.full is None:
                            candidates.append(Match(alias, start, end))
                        else:
                            candidates += _with_legal_form(
                                alias, alias.full, found, folded, start=start, end=end
                            )
        return candidates


def _grouped(pairs: Iterable[tuple[str, Alias]]) -> tuple[dict[str, _Aliases], int]:
    """key -> its aliases, and how many pairs were read. One alias (the common case) is
    kept as itself, several as a tuple: a million names cost no container each. An exact
    listing beats a variant of the same name of the same thing."""
    by_key: dict[str, _Aliases] = {}
    read = 0
    for k, alias in pairs:
        read += 1
        if len(k) < 2:
            continue
        found = by_key.get(k)
        if found is None:
            by_key[k] = alias
            continue
        known = (found,) if isinstance(found, Alias) else found
        same = next(
            (
                i
                for i, a in enumerate(known)
                if a.id == alias.id and a.label == alias.label and a.full == alias.full
            ),
            None,
        )
        if same is None:
            by_key[k] = (*known, alias)
        elif known[same].score < alias.score:
            replaced = (*known[:same], alias, *known[same + 1 :])
            by_key[k] = replaced[0] if len(replaced) == 1 else replaced
    return by_key, read


# The aliases of one key, and an automaton (daachorse's classes are untyped) with the
# aliases of each of its patterns.
_Aliases = Alias | tuple[Alias, ...]
_Shard = tuple[Any, list[_Aliases]]


def _compiled(by_key: dict[str, _Aliases]) -> _Shard:
    # Keys carry a space on each side and the text is searched with one added at each
    # end: every hit is then a run of whole words, and no partial-word hit ("korea" in
    # "koreans") has to be found and thrown away.
    automaton = CharwiseDoubleArrayAhoCorasick([f" {k} " for k in by_key])
    return automaton, list(by_key.values())


def _return_freed_memory() -> None:
    """Give the automaton builds' freed scratch memory back to the system (glibc keeps
    it otherwise: a million names' build leaves ~450 MB in the process's heap)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL(None).malloc_trim(0)


def _with_legal_form(
    alias: Alias, full: str, found: _Aliases, folded: str, *, start: int, end: int
) -> list[Match]:
    """A find of a company's name without its legal form (``full``: the listed name):
    the listed name itself where the text writes the form around it; else the bare name,
    unless something else has this name as its own (a listed "National Iranian Oil
    Company" over the bare name of "... Oil Company Pte Ltd", a country over "JORDAN
    LLC")."""
    words = legal_forms.form_words(key(full), key(alias.surface))
    span = legal_forms.widened(folded, start, end, *words) if words else None
    if span is not None:
        exact = msgspec.structs.replace(alias, surface=full, score=1.0, why="exact", full=None)
        return [Match(exact, *span)]
    if isinstance(found, tuple) and any(a.full is None for a in found):
        return []
    return [Match(alias, start, end)]


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
