"""Russian words in their nominative, for names declined in running text (issue 18).

    "Лаврову" -> "лавров", "Набиуллиной" -> "набиуллина", "Совкомфлота" -> "совкомфлот"

pymorphy3 (OpenCorpora's dictionary, with a guesser for words it does not know) reads
the word. Only capitalised words are asked about, so a reading as a name, surname,
patronymic, organisation or place comes first, then a singular noun; its nominative
singular keeps the reading's gender (a woman's surname stays feminine). The analyser's
dictionaries are loaded at the first call (about 0.1 s): this module owns that I/O so the
stage that uses it (:mod:`pipeline.stages.scripts`) stays pure.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_PROPER = frozenset({"Name", "Surn", "Patr", "Orgn", "Geox", "Trad"})
_lock = threading.Lock()
_analyzer: Any = None


def _morph() -> Any:
    global _analyzer  # noqa: PLW0603 -- one analyser per process, loaded at first use
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                import pymorphy3  # loaded only when Russian text comes

                _analyzer = pymorphy3.MorphAnalyzer()
    return _analyzer


@functools.lru_cache(maxsize=65_536)
def nominative(word: str, after: str = "") -> str:
    """``word`` (Russian) in the nominative singular, lower case; the word itself,
    lower-cased, when no reading of it declines. ``after`` is the capitalised word just
    before it, if any: a first name there gives a surname its gender ("Сергея Нарышкина"
    -> "нарышкин", a man's, where the word alone reads first as a woman's nominative;
    "Мария Захарова" stays "захарова")."""
    parses = _morph().parse(word)
    if not parses:
        return word.lower()
    gender = _first_name_gender(after) if after else None
    # A capitalised word names one thing: a reading as a name first, then a noun in the
    # singular ("Дерипаски" is Deripaska's genitive, not a plural "дерипаск"; "Молота" is
    # the hammer's, not a participle's), then any singular; among equals, the reading of
    # the first name's gender.
    best = min(
        parses,
        key=lambda p: (_rank(p), gender is not None and gender not in p.tag.grammemes),
    )
    if "nomn" in best.tag.grammemes and "sing" in best.tag.grammemes:
        return word.lower()
    inflected = best.inflect({"nomn", "sing"}) or best.inflect({"nomn"})
    return str(inflected.word) if inflected is not None else str(best.normal_form)


@functools.lru_cache(maxsize=4_096)
def _first_name_gender(word: str) -> str | None:
    """ "masc" or "femn" when ``word`` reads as a first name ("Сергея", "Марии")."""
    for parse in _morph().parse(word):
        grammemes = parse.tag.grammemes
        if "Name" in grammemes:
            return next((g for g in ("masc", "femn") if g in grammemes), None)
    return None


def _rank(parse: Any) -> int:
    grammemes = set(parse.tag.grammemes)
    if _PROPER & grammemes:
        return 0
    if {"NOUN", "sing"} <= grammemes:
        return 1
    return 2 if "sing" in grammemes else 3


def prepare() -> None:
    """Load the analyser now rather than at the first Russian article."""
    _morph()
