"""Acronyms an article defines: "Kurdistan Democratic Party ( KDP )" makes "KDP" the party.

    (text, entities) -> the entities, a defined acronym's mentions tagged as its name   acronyms()

News writes an organisation's name in full once, its acronym in brackets after it, and
the acronym alone from then on; the model often misses the bare acronym or types it as
something else. Here an acronym in brackets right after an organisation's, an event's,
a law's or a product's name, whose letters are the initials of the name's capitalised
words in order (all of them, or some: "London International Financial Futures and
Options Exchange ( LIFFE )"), names the same thing: each mention of it in the article
that nothing tagged takes the name's label and id, and so does a model entity of
another label at exactly its words. A list's, cue's or gazetteer's entity stays. No
country is copied: the acronym counts for no country the name did not.

Pure: offsets in, entities out.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from itertools import accumulate

from pipeline.models import Entity

_DEFINED = re.compile(r" ?\( ?(?P<acronym>[A-Z][A-Z&]{1,7}) ?\)")
_ACRONYM = re.compile(r"\b[A-Z][A-Z&]{1,7}\b")
_LABELS = frozenset({"ORGANIZATION", "EVENT", "LAW", "PRODUCT"})


def acronyms(
    text: str, entities: Sequence[Entity], sentence_of: Callable[[int], int] | None
) -> list[Entity]:
    """``entities`` with the mentions of each acronym the text defines (see the module's
    rules); ``sentence_of``: the sentence of an offset (for a mention nothing tagged)."""
    by_end: dict[int, Entity] = {}
    for e in entities:
        if e.label in _LABELS:
            by_end.setdefault(e.end, e)
    defined: dict[str, Entity] = {}
    for m in _DEFINED.finditer(text):
        name = by_end.get(m.start())
        if name is not None and _abbreviates(m.group("acronym"), name.text):
            defined.setdefault(m.group("acronym"), name)
    if not defined:
        return list(entities)
    by_span = {(e.start, e.end): e for e in entities}
    taken = sorted((e.start, e.end) for e in entities)
    starts = [s for s, _ in taken]
    reach = list(accumulate((e for _, e in taken), max))
    out = list(entities)
    gone: set[int] = set()
    for m in _ACRONYM.finditer(text):
        name = defined.get(m.group())
        if name is None:
            continue
        there = by_span.get(m.span())
        if there is not None:
            if there.source != "model" or there.label == name.label:
                continue
            gone.add(id(there))
        else:
            before = bisect_left(starts, m.end())
            if before and reach[before - 1] > m.start():
                continue  # inside or across another entity
        sentence = (
            there.sentence if there else sentence_of(m.start()) if sentence_of else name.sentence
        )
        out.append(
            Entity(
                name.label,
                name.id,
                m.group(),
                m.start(),
                m.end(),
                sentence,
                name.name or name.text,
                source="cue",
            )
        )
    return [e for e in out if id(e) not in gone]


def _abbreviates(acronym: str, name: str) -> bool:
    """Are ``acronym``'s letters the initials of ``name``'s capitalised words, in order,
    starting with the first ("KDP": "Kurdistan Democratic Party")?"""
    initials = [w[0] for w in re.findall(r"[A-Z][\w'-]*", name)]
    letters = [c for c in acronym if c.isalpha()]
    if not initials or len(letters) > len(initials) or letters[0] != initials[0]:
        return False
    rest = iter(initials[1:])
    return all(any(c == i for i in rest) for c in letters[1:])
