"""Model entities merged with the lists' entities, and an alert's parties.

    (text, list entities, model spans) -> one entity list      merge()
    (alert evidence, entities)          -> the alert's parties  parties()

The statistical NER model (spaCy, loaded by :mod:`pipeline.ner`) finds people and
organisations that no list names; the lists know ids, countries and watchlist links the
model cannot. One entity list comes out, each entity with its ``source``:

- where a list or gazetteer entity and a model span cover the same words, or one holds
  the other, the list's entity stays and the model's goes (its id and links win); a
  gazetteer's dotted abbreviation keeps its period as the model's spans do ("U.S.");
- where the model says a longer span is an organisation or a person and the gazetteer
  found a *place* inside it, the model's label wins: "Manchester United" is a club, not
  the city, "Georgia Smith" a person, not the country. A *country* inside an
  organisation ("Bank of Russia", "Iran Air") stays: it is the organisation's country;
- a model span that overlaps a list entity only in part is dropped (the list's span is
  the better one: its name is known); where the model agrees with a cue's person or
  organisation, the cue's entity stays and its name is screened like a model name;
- a model span is cut after a spaced dash ("Freedonia - Anna Berg"), a person's loses
  leading figures ("64 Anna Berg") and takes the rare capitalised words of the name
  the model left out beside it ("Osvaldo [Berg]"); one everyday word alone ("Men",
  "State") is no name;
- everything else the model finds is added, labelled PERSON, ORGANIZATION, LOCATION,
  NORP (nationalities and groups: kept apart from countries), PRODUCT, EVENT or LAW;
  numbers, dates and money are not entities here;
- in a sports result's layout a city is its club: "Northport 2 Eastfield 1"
  (:mod:`pipeline.stages.teams`);
- an initial and a surname ("A. Lind") is a person, unless a list or the gazetteer
  knows the words ("N. Korea") or the model calls them a people or a place;
- an acronym defined after a name ("Freedonian Workers Party ( FWP )") is that name
  wherever it stands (:mod:`pipeline.stages.acronyms`);
- the names of a list of people ("Anna Berg, Jonas Petersen, Osk Ide") are people, and
  so is a ranked results line's competitor ("4. Anna Berg ( Freedonia ) 11.20");
- a person named in full ("Anna Berg", "A. Lind") is their bare surname anywhere in
  the article ("Berg said", a headline's "BERG QUITS"): an untagged capitalised
  mention becomes that PERSON, and so does a model entity of another label at exactly
  that span (a list's entity stays).

No I/O: the model's spans come in as plain offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from pipeline.models import Alert, Entity, Party, PartyRole, is_country, replace
from pipeline.stages.acronyms import acronyms
from pipeline.stages.gazetteer import key
from pipeline.stages.people import competitors, grown, initials, list_people, surnames
from pipeline.stages.screening import ordinary
from pipeline.stages.teams import teams

# The model's labels (OntoNotes) -> ours. Not listed (DATE, MONEY, CARDINAL...): dropped.
MODEL_LABELS = {
    "PERSON": "PERSON",
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NORP",
    "PRODUCT": "PRODUCT",
    "EVENT": "EVENT",
    "LAW": "LAW",
}
_ID_PREFIX = {
    "PERSON": "person-",
    "ORGANIZATION": "org-",
    "LOCATION": "place-",
    "NORP": "norp-",
    "PRODUCT": "product-",
    "EVENT": "event-",
    "LAW": "law-",
}
# Labels whose list entities a model organisation or person may take over.
_PLACES = frozenset({"LOCATION"})
_PARTY_LABELS = frozenset({"PERSON", "ORGANIZATION", "VESSEL", "PRODUCT"})
_TRIM_START = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TRIM_END = re.compile(r"(?:['\u2019]s?|[\s.,;:!?\"'\u2019\u201d)\]-])+$")
_TRAILING_NUMBERS = re.compile(r"(?:\s+[\d.,:/+-]+)+\s*$")
# A spaced dash is not inside a name: "Freedonia - Anna Berg" (a line-up), "TENNIS - ..."
_SPACED_DASH = re.compile(r"\s-{1,2}\s")
# A person's name does not start with a figure or a dash ("64 Anna Berg", "-- Anna Berg").
_LEADING_FIGURES = re.compile(r"(?:[\d.,:/+-]+\s+)+")
# An abbreviation keeps its period: "U.S.", "U.K.", "Corp.", "Ltd.", "Inc.", "Co.", "Jr."
_ABBREVIATION = re.compile(
    r"(?:\b\w\.\w\.|\b(?:Corp|Ltd|Inc|Co|Bros|Jr|Sr|Plc|Intl|Dept)\.)$", re.IGNORECASE
)


# The longest text handed to the model at once, and runs of symbols it is not shown:
# its tokenizer splits a run of symbols (an emoji flood) in quadratic time: 2,000
# emoji took 0.6 s, 4,000 took 2 s. No name has four symbols in a row.
MAX_MODEL_CHARS = 100_000
_SYMBOL_RUN = re.compile(r"[^\w\s]{4,}")


def model_text(text: str) -> str:
    """What the model reads of ``text``: its first MAX_MODEL_CHARS characters, every run
    of four or more symbols blanked (same length: the model's offsets are ``text``'s)."""
    text = text[:MAX_MODEL_CHARS]
    return _SYMBOL_RUN.sub(lambda m: " " * len(m.group()), text)


class ModelSpan(NamedTuple):
    """One span the model labelled, in the offsets of the text it read."""

    label: str
    start: int
    end: int


# Screens a model PERSON or ORGANIZATION span against the watchlist: (label, start,
# end) -> the WATCHLIST entity it matched, or None.
ScreenSpan = Callable[[str, int, int], Entity | None]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without a leading article, without what follows a line break (a name
    does not cross lines), without what comes before a spaced dash ("Freedonia - Anna
    Berg"), without trailing numbers ("Rovers 2", a score) and without a trailing
    possessive or punctuation, except the period of an abbreviation ("U.S.", "Corp.")."""
    newline = text.find("\n", start, end)
    if newline > start:
        end = newline
    dashes = list(_SPACED_DASH.finditer(text, start, end))
    if dashes and dashes[-1].end() < end:
        if text[dashes[-1].end()].isupper() or text[dashes[-1].end()].isdigit():
            start = dashes[-1].end()
        else:  # "Asian Art Museum - on": the name is before the dash
            end = dashes[0].start()
    surface = text[start:end]
    lead = _TRIM_START.match(surface)
    if lead and lead.end() < len(surface):
        start += lead.end()
    numbers = _TRAILING_NUMBERS.search(text, start, end)
    if numbers and numbers.start() > start:
        end = numbers.start()
    tail = _TRIM_END.search(text[start:end])
    if tail and tail.start() > 0:
        cut = start + tail.start()
        kept = _ABBREVIATION.search(text, start, cut + 1)
        end = cut + 1 if kept and kept.end() == cut + 1 else cut
    return start, end


def model_entities(
    text: str,
    spans: Iterable[ModelSpan],
    sentence_of: Callable[[int], int],
) -> list[Entity]:
    """The model's spans as entities (labels mapped, spans trimmed, others dropped)."""
    out: list[Entity] = []
    for span in spans:
        label = MODEL_LABELS.get(span.label)
        if label is None:
            continue
        start, end = trim(text, span.start, span.end)
        if label == "PERSON":
            figures = _LEADING_FIGURES.match(text, start, end)
            if figures and figures.end() < end:
                start = figures.end()
        surface = text[start:end]
        if not any(c.isalpha() for c in surface):
            continue
        if _everyday(surface) and (start, end) == (span.start, span.end):
            continue  # a word on its own; "The Times" (the model's span) is a name
        entity_id = _ID_PREFIX[label] + key(surface).replace(" ", "-")
        out.append(
            Entity(
                label, entity_id, surface, start, end, sentence_of(start), surface, source="model"
            )
        )
    return out


# A single word this ordinary in English is not a name on its own: "Men's 400 metres",
# "Next door", "the State" (wordfreq's Zipf frequency: "men" 5.5, "state" 5.8; names
# that are words stay below it: "congress" 4.9, "apple" 4.8, "party" 5.49).
_EVERYDAY = 5.5


def _everyday(surface: str) -> bool:
    return surface.isalpha() and not surface.isupper() and ordinary(surface.lower()) >= _EVERYDAY


def merge(
    text: str,
    listed: Sequence[Entity],
    found: Sequence[Entity],
    screen_span: ScreenSpan | None = None,
    sentence_of: Callable[[int], int] | None = None,
) -> tuple[Entity, ...]:
    """One entity list from the lists' entities and the model's (see the module's rules),
    in text order. A model PERSON or ORGANIZATION the lists did not know is screened
    with ``screen_span``; a match adds its WATCHLIST entity over the same span."""
    kept = [_with_period(text, e) for e in listed]
    found = grown(text, found, kept)
    dropped: set[int] = set()  # ids of list entities a model span took over
    added: list[Entity] = []
    to_screen: list[Entity] = []
    for m in found:
        overlapping = [e for e in kept if e.start < m.end and m.start < e.end]
        if not overlapping:
            added.append(m)
            continue
        if m.label in ("ORGANIZATION", "PERSON") and all(
            _inside(e, m) and (e.label in _PLACES or (m.label == "PERSON" and is_country(e)))
            for e in overlapping
        ):
            # the model's longer name over a place: a club, a person named like a country
            dropped.update(id(e) for e in overlapping)
            added.append(m)
            continue
        if m.label == "ORGANIZATION" and all(
            _inside(e, m) and (is_country(e) or e.label in _PLACES) for e in overlapping
        ):
            country = next((e.country for e in overlapping if is_country(e)), None)
            added.append(_with_country(m, country))  # "Bank of Russia": the country stays
            dropped.update(id(e) for e in overlapping if e.label in _PLACES)
            continue
        # the same words, held inside a list entity, or a partial overlap: the list wins;
        # a cue's name the model agrees with is still screened (no list knows it yet)
        if m.label in ("PERSON", "ORGANIZATION"):
            to_screen.extend(
                e
                for e in overlapping
                if e.source == "cue" and e.label in ("PERSON", "ORGANIZATION")
            )
    out = [e for e in kept if id(e) not in dropped]
    screened: set[tuple[int, int]] = set()
    out.extend(added)
    for m in [*added, *to_screen]:
        if (
            screen_span is not None
            and m.label in ("PERSON", "ORGANIZATION")
            and (m.start, m.end) not in screened
        ):
            screened.add((m.start, m.end))
            hit = screen_span(m.label, m.start, m.end)
            if hit is not None:
                out.append(hit)
    out = teams(text, out, sentence_of or (lambda _: 0))
    out = acronyms(text, out, sentence_of)
    out = initials(text, out, sentence_of)
    out = competitors(text, out, sentence_of)
    out = list_people(text, out, sentence_of)
    out = surnames(text, out, sentence_of)
    out.sort(key=lambda e: (e.start, e.end, e.label))
    return tuple(out)


# A gazetteer's abbreviation ends at its last letter ("U.S"), its period follows.
_DOTTED = re.compile(r"(?:\w\.)+\w")


def _with_period(text: str, e: Entity) -> Entity:
    """A gazetteer entity written as a dotted abbreviation with its final period ("U.S"
    -> "U.S."), as the model's spans keep it (rule 5); the same entity otherwise."""
    if e.source != "gazetteer" or text[e.end : e.end + 1] != "." or not _DOTTED.fullmatch(e.text):
        return e
    return replace(e, text=text[e.start : e.end + 1], end=e.end + 1)


def _inside(inner: Entity, outer: Entity) -> bool:
    return (
        outer.start <= inner.start
        and inner.end <= outer.end
        and (outer.end - outer.start) > (inner.end - inner.start)
    )


def _with_country(e: Entity, country: str | None) -> Entity:
    if country is None:
        return e
    return Entity(
        e.label, e.id, e.text, e.start, e.end, e.sentence, e.name, country, source=e.source
    )


# --- an alert's parties -------------------------------------------------------------------

_SUPPLY = (
    r"suppl(?:y|ies|ied|ying)|ship(?:s|ped|ping)?|s(?:ell|ells|old|elling)|export(?:s|ed|ing)?|"
    r"deliver(?:s|ed|ing)?|provid(?:e|es|ed|ing)|sen(?:d|ds|t|ding)|transfer(?:s|red|ring)?|"
    r"smuggl(?:e|es|ed|ing)|procur(?:e|es|ed|ing)\s+for"
)
_RECEIVE = r"recei(?:ve|ves|ved|ving)|bought|buy(?:s|ing)?|purchas(?:e|es|ed|ing)|import(?:s|ed|ing)?|acquir(?:e|es|ed|ing)|obtain(?:s|ed|ing)?"  # noqa: E501
_DESIGNATE = (
    r"sanction(?:s|ed|ing)?|designat(?:e|es|ed|ing|ion)|blacklist(?:s|ed|ing)?|"
    r"added\s+to|add(?:s|ing)?\s+\S+(?:\s+\S+){0,3}\s+to|froze|freez(?:e|es|ing)|"
    r"penali[sz](?:e|es|ed|ing)|target(?:s|ed|ing)"
)
_OWN = r"own(?:s|ed)?|operat(?:e|es|ed|ing)|manag(?:e|es|ed|ing)|control(?:s|led|ling)?"
_BEFORE_VERB = re.compile(
    rf"^\W*(?:\w+\W+){{0,4}}?(?:(?P<supply>{_SUPPLY})|(?P<receive>{_RECEIVE})|"
    rf"(?P<own>{_OWN}s?\b(?!\s+by)))\b",
    re.IGNORECASE,
)
_AFTER_BY = re.compile(
    rf"\b(?:(?P<supply>{_SUPPLY})|(?P<own>{_OWN})|(?P<designate>{_DESIGNATE}))\s+by\W*$",
    re.IGNORECASE,
)
_AFTER_TO = re.compile(
    rf"\b(?:{_SUPPLY})\b(?:\s+\S+){{0,6}}?\s+(?:to|for)(?:\s+the)?\W*$", re.IGNORECASE
)
_AFTER_FROM = re.compile(rf"\b(?:{_RECEIVE})\b(?:\s+\S+){{0,6}}?\s+from(?:\s+the)?\W*$", re.I)
_OWNED = re.compile(r"^-?(?:owned|operated|controlled|managed)\b", re.IGNORECASE)
_DESIGNATED_BEFORE = re.compile(
    rf"\b(?:{_DESIGNATE})\b(?:\s+[^\s.;]+){{0,12}}\W*$|\b(?:on|to)\s+(?:the|its)\s+"
    r"(?:\S+\s+){0,3}(?:list|blacklist)\W+(?:\S+\s+){0,3}$",
    re.IGNORECASE,
)
_DESIGNATED_AFTER = re.compile(
    rf"^\W*(?:\w+\W+){{0,3}}?(?:(?:was|were|is|are|has\s+been|have\s+been|had\s+been|been)\s+)?"
    rf"(?:(?:also|later|now|already)\s+)?(?:{_DESIGNATE})\b(?!\s+by)",
    re.IGNORECASE,
)


def role(text: str, sentence: tuple[int, int], e: Entity, designation: bool) -> PartyRole | None:
    """What the sentence says ``e`` does: supplier, recipient, owner, or designated (in a
    designation's evidence: the party the measure names), else ``None``."""
    start, end = sentence
    before = text[max(start, e.start - 120) : e.start]
    after = text[e.end : min(end, e.end + 120)]
    by = _AFTER_BY.search(before)
    if by:
        if by.group("supply"):
            return "supplier"
        if by.group("own"):
            return "owner"
        return "designated" if designation else None
    if _OWNED.match(after):
        return "owner"
    if _AFTER_TO.search(before):
        return "recipient"
    if _AFTER_FROM.search(before):
        return "supplier"
    verb = _BEFORE_VERB.match(after)
    if designation and (_DESIGNATED_AFTER.match(after) or _DESIGNATED_BEFORE.search(before)):
        return "designated"
    if verb:
        if verb.group("supply"):
            return "supplier"
        if verb.group("receive"):
            return "recipient"
        if verb.group("own"):
            return "owner"
    return None


def parties(
    text: str,
    sentences: Sequence[tuple[int, int]],
    alert: Alert,
    entities: Sequence[Entity],
    measures: frozenset[str],
) -> tuple[Party, ...]:
    """The people, organisations, vessels and products in ``alert``'s evidence
    sentences, once each (by entity id, first mention), each with its source, its role
    where the sentence gives it, and its watchlist link and score if it screened.
    ``measures``: the event types that put a measure on someone (designations, freezes,
    enforcement), whose evidence makes a named party "designated"."""
    evidence_sentences: dict[int, bool] = {}
    for ev in alert.evidence:
        is_designation = ev.event_type in measures
        evidence_sentences[ev.sentence] = evidence_sentences.get(ev.sentence, False) or (
            is_designation
        )
    links: dict[tuple[int, int], Entity] = {
        (e.start, e.end): e for e in entities if e.label == "WATCHLIST"
    }
    out: dict[str, Party] = {}
    for e in entities:
        if e.label not in _PARTY_LABELS or e.sentence not in evidence_sentences:
            continue
        link = links.get((e.start, e.end))
        party_id = link.id if link is not None else e.id
        if party_id in out or e.sentence >= len(sentences):
            continue
        out[party_id] = Party(
            name=(link.name if link is not None else e.name) or e.text,
            label=e.label,
            source=link.source if link is not None else e.source,
            sentence=e.sentence,
            start=e.start,
            end=e.end,
            role=role(text, sentences[e.sentence], e, evidence_sentences[e.sentence]),
            watchlist_id=link.id if link is not None else None,
            score=link.score if link is not None else None,
            match=link.match if link is not None else None,
        )
    return tuple(out.values())
