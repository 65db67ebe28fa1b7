"""People found from the text around the model's names.

    (text, model entities, list entities) -> model persons with their whole names   grown()
    (text, entities) -> with "A. Lind" a person                                      initials()
    (text, entities) -> with a ranked results line's competitor a person             competitors()
    (text, entities) -> with the names of a list of people people                    list_people()
    (text, entities) -> with a full name's bare surname a person                     surnames()

The model misses a person's first name ("Osvaldo [Berg]"), an initial and a surname
("A. Lind"), the names of a line-up and a bare surname ("Berg said", a headline's "BERG
QUITS") more often than a full name in a sentence; the merge
(:mod:`pipeline.stages.ner`) calls these after its own rules.
Pure: offsets in, entities out.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from itertools import accumulate

from pipeline.models import Entity, EntitySource, replace
from pipeline.stages.cues import NOT_NAME, ORG_SUFFIXES, TITLE_WORDS
from pipeline.stages.gazetteer import key
from pipeline.stages.legal_forms import without_legal_form
from pipeline.stages.screening import ordinary

_PERSON_ID = "person-"


def _person_id(surface: str) -> str:
    return _PERSON_ID + key(surface).replace(" ", "-")


def _new_person(
    surface: str,
    start: int,
    end: int,
    sentence_of: Callable[[int], int] | None,
    near: Entity | None,
    *,
    source: EntitySource = "cue",
) -> Entity:
    """A PERSON the merge's rules found at ``start``-``end``; its sentence from
    ``sentence_of``, else that of the entity ``near`` it replaces (0 without one)."""
    sentence = sentence_of(start) if sentence_of else (near.sentence if near else 0)
    return Entity(
        "PERSON", _person_id(surface), surface, start, end, sentence, surface, source=source
    )


_WORD = re.compile(r"\w+")
# An initial and a surname: "A. Lind", "T.O'Vega"; not inside "U.S. Steel" or "J.P.".
_INITIAL_NAME = re.compile(
    r"(?<![\w.])[A-Z]\. ?(?P<surname>[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*|[A-Z]'[A-Z][a-z]+)\b(?!\.\w)"
)
# What the model may call "N. Korean", "S. Africa": a people or a place, not a person.
_PLACE_LIKE = frozenset({"NORP", "LOCATION"})
# Words a capital after "Plan A." may be: the next sentence, not a surname.
_NOT_SURNAMES = frozenset(
    "The This That These Those There Then They Their He She His Her It Its We Our You "
    "In On At As Of For From By To With And But Or Not No If When While After Before "
    "A An All One Some Mr Mrs Ms Dr".split()
)


def initials(
    text: str, entities: list[Entity], sentence_of: Callable[[int], int] | None
) -> list[Entity]:
    """An initial and a capitalised surname ("A. Lind") is a PERSON where no list, cue
    or gazetteer entity overlaps it ("N. Korea" is the country) and the model does not
    call it a people or a place ("N. Korean"): added where nothing is tagged, over a
    model organisation at the same words, and over a model span of the initial alone."""
    out = list(entities)
    for m in _INITIAL_NAME.finditer(text):
        if m.group("surname") in _NOT_SURNAMES:
            continue
        start, end = m.span()
        over = [e for e in out if e.start < end and start < e.end]
        if any(
            e.source != "model"
            or e.label == "PERSON"
            or e.start < start
            or e.end > end
            or (e.label in _PLACE_LIKE and e.end > m.start("surname"))
            for e in over
        ):
            continue
        gone = {id(e) for e in over}
        out = [e for e in out if id(e) not in gone]
        surface = m.group()
        out.append(
            _new_person(
                surface,
                start,
                end,
                sentence_of,
                over[0] if over else None,
            )
        )
    return out


def surnames(
    text: str, entities: list[Entity], sentence_of: Callable[[int], int] | None
) -> list[Entity]:
    """A person named in full once ("Anna Berg") is the bare surname anywhere in the
    text, before the full name too ("Berg said", a headline's "BERG QUITS"): a
    capitalised mention that nothing else tagged becomes that PERSON, and a model
    entity at exactly that span becomes a PERSON. A list's entity is never replaced."""
    surnames, family_first = _name_words(entities)
    if not surnames:
        return entities
    by_span = {(e.start, e.end): e for e in entities}
    taken = sorted((e.start, e.end) for e in entities)
    out = list(entities)
    replaced: set[int] = set()
    starts = [s for s, _ in taken]
    reach = list(accumulate((e for _, e in taken), max))  # the furthest end so far
    for word in _WORD.finditer(text):
        surface = word.group()
        full = surnames.get(surface)
        if full is None and surface not in family_first:
            continue
        span = (word.start(), word.end())
        there = by_span.get(span)
        if full is None:
            full = family_first[surface]
            if there is None or there.label != "ORGANIZATION":
                continue  # a place the model found stays one ("Odisha" of "Odisha FC")
        if there is not None:
            if there.source == "model" and there.label != "PERSON":
                replaced.add(id(there))
                out.append(_person(there, full))
            continue
        before = bisect_left(starts, span[1])
        if before and reach[before - 1] > span[0]:  # an entity overlaps the word
            continue
        if not surface.isupper() and _in_a_name(text, *span):
            continue  # "the Global Berg Act": a word of another name
        sentence = sentence_of(span[0]) if sentence_of else full.sentence
        out.append(
            Entity(
                "PERSON",
                full.id,
                word.group(),
                span[0],
                span[1],
                sentence,
                full.name,
                full.country,
                source=full.source,
            )
        )
    return [e for e in out if id(e) not in replaced]


# (a period before the space ends a sentence: "... on Moscow. Berg had")
_CAPITALISED_BEFORE = re.compile(r"(?<![\w'-])[A-Z][\w'-]* $")
_CAPITALISED_AFTER = re.compile(r" [A-Z]")


def _in_a_name(text: str, start: int, end: int) -> bool:
    """Is text[start:end] one of a run of capitalised words ("Global Berg Act"), a title
    before it aside ("Mr Berg", "President Berg")?"""
    before = _CAPITALISED_BEFORE.search(text, max(0, start - 40), start)
    if before is not None and before.group().strip().lower() not in TITLE_WORDS:
        return True
    return _CAPITALISED_AFTER.match(text, end) is not None


def _name_words(entities: Sequence[Entity]) -> tuple[dict[str, Entity], dict[str, Entity]]:
    """The surnames of the persons named in full (also in capitals), and the first words
    of two-word names, each with its person."""
    surnames: dict[str, Entity] = {}
    # "Liu Wenhai" is "Liu" later: a name's first word retypes the model's organisation
    # at it ("[Liu]'s lawyer", ORG), and tags nothing new ("Anna said" is rare)
    family_first: dict[str, Entity] = {}
    for e in entities:
        words = e.text.split()
        if (
            e.label == "PERSON"
            and len(words) >= 2
            and words[-1][:1].isupper()
            and without_legal_form(e.text) == e.text  # "Vega SpA" is no one's name
        ):
            last = words[-1].strip(".,")
            if len(last) > 2:
                surnames.setdefault(last, e)
                surnames.setdefault(last.upper(), e)
            first = words[0]
            if len(words) == 2 and len(first) > 2 and first[:1].isupper():
                family_first.setdefault(first, e)
    for e in entities:  # "Vega SpA", "Vega Group": "Vega" is the company's
        words = e.text.split()
        if len(words) >= 2 and (
            without_legal_form(e.text) != e.text or words[-1].lower() in ORG_SUFFIXES
        ):
            family_first.pop(words[0], None)
    return surnames, family_first


def _person(e: Entity, full: Entity) -> Entity:
    return Entity("PERSON", full.id, e.text, e.start, e.end, e.sentence, full.name, source=e.source)


# A word of a name beside a model's person: "Osvaldo" in "Osvaldo [Berg]".
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)*")
_NOT_NAME_WORDS = TITLE_WORDS | ORG_SUFFIXES | NOT_NAME
# Zipf frequency at which a word is ordinary English ("Meanwhile", "Yesterday" start
# sentences before a surname); a given name like "Osvaldo" (0) is below it.
_ORDINARY = 4.0
# A sentence's first word is capitalised anyway: there it must be rarer ("Striker", 3.9,
# starts "Striker Jordan Whitley scored", a headline's "Freedonia: Boxer ..."); a rank
# ("4. Osvaldo Berg") is no sentence end.
_RARE = 3.0
_SENTENCE_END = re.compile(r"(?:^|\n|(?<!\d)[.!?:]\s+|[\"\u201c]\s*)$")


def grown(text: str, found: Sequence[Entity], listed: Sequence[Entity]) -> list[Entity]:
    """Each model PERSON with the name's other words the model left out beside it
    ("Osvaldo [Berg]" -> "Osvaldo Berg", "[Jonas] Ostby" -> "Jonas Ostby"): a
    capitalised word on either side, one space away, that no entity holds and that is
    not a title, an organisation's word or an ordinary English word; up to two words a
    side."""
    spans = sorted((e.start, e.end) for e in [*listed, *found])
    out: list[Entity] = []
    for e in found:
        if e.label != "PERSON":
            out.append(e)
            continue
        start, end = e.start, e.end
        for _ in range(2):
            word = _word_before(text, start)
            if word is None or not _name_word(text, *word, spans):
                break
            start = word[0]
        for _ in range(2):
            word = _word_after(text, end)
            if word is None or not _name_word(text, *word, spans):
                break
            end = word[1]
        if (start, end) == (e.start, e.end):
            out.append(e)
            continue
        surface = text[start:end]
        out.append(
            replace(
                e,
                id=_person_id(surface),
                text=surface,
                name=surface,
                start=start,
                end=end,
            )
        )
    return out


def _word_before(text: str, start: int) -> tuple[int, int] | None:
    if start < 2 or text[start - 1] != " ":
        return None
    at = start - 1
    while at > 0 and not text[at - 1].isspace():
        at -= 1
    return at, start - 1


def _word_after(text: str, end: int) -> tuple[int, int] | None:
    if text[end : end + 1] != " ":
        return None
    at = end + 1
    while at < len(text) and not text[at].isspace():
        at += 1
    return end + 1, at


def _name_word(text: str, start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    word = text[start:end]
    if not _NAME_WORD.fullmatch(word) or word.lower() in _NOT_NAME_WORDS:
        return False
    if any(s < end and start < e for s, e in spans):
        return False
    limit = _RARE if _SENTENCE_END.search(text, max(0, start - 8), start) else _ORDINARY
    return ordinary(word.lower()) < limit


# --- a list of people ---------------------------------------------------------------------

# A list's items: what commas, semicolons, colons, brackets and "and" separate.
_ITEM = re.compile(r"[^,;:()\n]+")
# ... and what joins two of a kind: "and", "beat" ("Anna Berg ( Freedonia ) beat Osk Ide").
_JOINT = re.compile(r" (?:and|beat|bt) ")
# What stands around a name in a line-up or a results list: "15 - ", "4. ", "87th", "70".
_ITEM_LEAD = re.compile(r"(?:\s*(?:\d+\s*[-.=]?|-+)\s+)*")
_SPACED_DASH = re.compile(r"\s-{1,2}\s")
_ITEM_TAIL = re.compile(r"(?:\s+\d+\w*)+\s*$")
_PARTICLE = r"(?:van|von|de|der|den|del|da|di|du|dos|al|el|bin|ibn|la|le)"
_LISTED_NAME = re.compile(rf"[A-Z][\w'\u2019-]*(?: (?:{_PARTICLE} )*[A-Z][\w'\u2019-]*){{0,3}}")
_LIST_ITEMS = 3
_SEPARATORS = (",", ";", ":", "(", " and ", " beat ", " bt ")
_NEUTRAL = ("COUNTRY", "NORP")
_RETYPE_PERSONS = 3
_RETYPE_RATIO = 3
_LIST_RETYPED = frozenset({"ORGANIZATION", "LOCATION", "NORP", "PRODUCT", "EVENT", "LAW"})


def list_people(
    text: str, entities: list[Entity], sentence_of: Callable[[int], int] | None
) -> list[Entity]:
    """In a list of names on one line (items between commas, semicolons, colons,
    brackets, "and", "beat") where at least two items are persons and they outnumber
    the items of other labels, a country or a people not counted ("Anna Berg, Jonas
    Petersen ( Freedonia ), Marta Kowalczyk"),
    every item that is a name is a person: nothing tagged it, or the model gave it
    another label. An item a list, cue or gazetteer entity holds stays what it is."""
    out = list(entities)
    by_span = {(e.start, e.end): e for e in entities}
    ordered = sorted(entities, key=lambda e: e.start)
    starts = [e.start for e in ordered]
    for line in re.finditer(r"[^\n]+", text):
        if sum(map(line.group().count, _SEPARATORS)) < _LIST_ITEMS - 1:
            continue  # too few separators for a list
        items = [item for item in _items(text, line.start(), line.end()) if item]
        if len(items) < _LIST_ITEMS:
            continue
        here = ordered[bisect_left(starts, line.start()) : bisect_left(starts, line.end())]
        labels = [_label(i, by_span, here) for i in items]
        persons = labels.count("PERSON")
        # a person's country or people beside the name is no other kind of item
        others = sum(1 for label in labels if label not in (None, "PERSON", *_NEUTRAL))
        if persons < 2 or persons <= others:
            continue
        # the model's other label gives way only in a list that is people through and
        # through: "Gazprom Neft, Ivan Petrov and Oleg Sokolov" keeps its company
        retype = persons >= _RETYPE_PERSONS and persons >= _RETYPE_RATIO * others
        for (start, end), label in zip(items, labels, strict=True):
            if label == "PERSON" and (start, end) in by_span:
                continue
            there = by_span.get((start, end))
            inside = [e for e in here if e.start < end and start < e.end]
            if label == "PERSON":  # a model person inside the item: the item is the name
                for e in inside:
                    out.remove(e)
            elif there is None:
                if inside:
                    continue
            elif not retype or there.source != "model" or there.label not in _LIST_RETYPED:
                continue
            else:
                out.remove(there)
            surface = text[start:end]
            out.append(
                _new_person(
                    surface,
                    start,
                    end,
                    sentence_of,
                    there,
                    source="cue" if there is None else there.source,
                )
            )
    return out


def _label(
    item: tuple[int, int], by_span: dict[tuple[int, int], Entity], entities: list[Entity]
) -> str | None:
    """The label of the entity at ``item``; PERSON where model persons are all that lie
    inside it ("Walter [Little]"); None where nothing does."""
    there = by_span.get(item)
    if there is not None:
        return there.label
    start, end = item
    inside = [e for e in entities if e.start < end and start < e.end]
    if inside and all(
        e.label == "PERSON" and e.source == "model" and start <= e.start and e.end <= end
        for e in inside
    ):
        return "PERSON"
    return "OTHER" if inside else None


def _items(text: str, start: int, end: int) -> list[tuple[int, int] | None]:
    """The list items of text[start:end], each the span of a name, or None for an item
    that is not one."""
    out: list[tuple[int, int] | None] = []
    for chunk in _ITEM.finditer(text, start, end):
        if text[chunk.end() : chunk.end() + 1] == ":":  # the list's heading: "Scorers:"
            out.append(None)
            continue
        at = chunk.start()
        for joint in _JOINT.finditer(chunk.group() + " and "):
            out.append(_item(text, at, chunk.start() + joint.start()))
            at = chunk.start() + joint.end()
    return out


def _item(text: str, start: int, end: int) -> tuple[int, int] | None:
    dashes = list(_SPACED_DASH.finditer(text, start, end))
    if dashes:  # "Freedonia - 1 - Anna Berg": a side's name, then a number
        start = dashes[-1].end()
    lead = _ITEM_LEAD.match(text, start, end)
    if lead:
        start = lead.end()
    tail = _ITEM_TAIL.search(text, start, end)
    if tail:
        end = tail.start()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end and _LISTED_NAME.fullmatch(text, start, end):
        return start, end
    return None


# --- a results list's competitors ---------------------------------------------------------

# "4. Anna Berg ( Freedonia ) 11.20", "2 - Jonas Petersen ( Westland ) 6-4 6-2": a rank, a
# name of two words or more, the competitor's country in brackets, then a figure.
_NAME_PART = r"[A-Z][\w'\u2019-]*"
_COMPETITOR = re.compile(
    rf"^(?:=?\d+[.=]?|\d+ -) (?P<name>{_NAME_PART}(?: (?:{_PARTICLE} )*{_NAME_PART}){{1,3}}) "
    r"\( (?P<country>[^()\n]+?) \)(?= ?(?:[,\d]|$))",
    re.MULTILINE,
)


def competitors(
    text: str, entities: list[Entity], sentence_of: Callable[[int], int] | None
) -> list[Entity]:
    """A ranked line of a results list, "4. Anna Berg ( Freedonia ) 11.20", names a
    person: its name (two words or more, no organisation's word) becomes a PERSON where
    nothing tagged it or the model gave it another label, if the brackets hold a
    country."""
    out = list(entities)
    by_span = {(e.start, e.end): e for e in entities}
    for m in _COMPETITOR.finditer(text):
        country = by_span.get(m.span("country"))
        if country is None or country.label != "COUNTRY":
            continue
        start, end = m.span("name")
        if any(w.lower() in ORG_SUFFIXES for w in m.group("name").split()):
            continue
        inside = [e for e in out if e.start < end and start < e.end]
        if any(
            e.source != "model" or (e.label == "PERSON" and (e.start, e.end) == (start, end))
            for e in inside
        ):
            continue
        for e in inside:
            out.remove(e)
        surface = m.group("name")
        out.append(
            _new_person(
                surface,
                start,
                end,
                sentence_of,
                inside[0] if inside else None,
            )
        )
    return out
