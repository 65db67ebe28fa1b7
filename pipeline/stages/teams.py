"""Teams in sports results: a place that stands for its club where the text says so.

    (text, entities) -> the entities, a city in a result's layout (or before its club's
                        people: "Northport captain") made its team                teams()

Wire services send sports results as lines of their own, and in them a city's name is
its club ("Northport 2 Eastfield 1"); the gazetteer and the model read it as the place.
A line (of at most 200 characters: a longer one is prose) says it names teams when it
is, as a whole:

- a score line, two sides and their scores: ``Northport 2 Eastfield 1``, perhaps with a
  note in brackets after it (``( halftime 1-0 )``), or a cricket result with its ground
  first and each side's scorers after its innings (``Kelby : Northport 214 and 99-2 (
  A. Berg 84 ) , Eastfield 108-3``);
- a standings row, a side and at least three figures: ``Northport 12 7 3 2 .583``;
- a fixture: ``Northport v Eastfield`` (both sides), ``Northport at Eastfield`` (the
  first: the second is the venue), where one of them is tagged as a place;

and a side after ``v`` or ``vs`` that ends a line is a team (``May 4 v Northport``, not
``Northport v Eastfield: the front line``).

In such a place a city (LOCATION) becomes an ORGANIZATION, a name nothing tagged is
added as one, and a model span that runs across a score ("Northport 2 Eastfield") goes.
A country stays what it is (a national side is its country here, as the article's
countries need), and so does a list's entity; a person the model found stays a person
except in a score line (a golf leaderboard is laid out as a standings row, a court case
is "Doe v Roe"). In prose a city that its club's people follow ("Northport captain
Anna Berg", "Northport fans") is the club; the same name elsewhere in the article is
left as it is tagged ("fans in Northport" name the city as often as the club).

Pure: offsets in, entities out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence, Set

from pipeline.models import Entity, is_country
from pipeline.stages.gazetteer import key

# A side's name: one to four capitalised words of letters ("Kansas City", "ST LOUIS").
_WORD = r"[A-Z](?:[^\W\d_]|['&.-])*"
_SIDE = rf"{_WORD}(?: {_WORD}){{0,3}}"
_NOTE = r"(?: \([^()\n]*\))?"
# A side's score: goals, points, or a cricket innings ("214", "108-3", "199 and 426").
_SCORE = r"\d{1,3}(?:-\d{1,2})?(?: and \d{1,3}(?:-\d{1,2})?)?"
# "Northport 2 Eastfield 1 ( halftime 1-0 )"; "Ground : Northport 214 ( A. Berg 84 ) ,
# Eastfield 108-3 ." (a venue first, each side's scorers after its score)
_SCORE_LINE = re.compile(
    rf"^(?:{_SIDE} (?:\([^()\n]*\) )?: )?(?P<a>{_SIDE}) {_SCORE}{_NOTE}(?: ,)? "
    rf"(?P<b>{_SIDE}) {_SCORE}{_NOTE} ?\.?$"
)
# A standings row's figures: games, points, goals, ".583", "1/2", "-"; not prices
# ("9.06"), which a table of markets has.
_FIGURE = r"(?:\d+|\.\d+|\d+/\d+|-)"
_STANDINGS = re.compile(rf"^(?P<a>{_SIDE})(?: {_FIGURE}){{3,}} ?$")
# "A v B": both sides; "A at B": A plays at B's ground (B is the venue, a place).
_FIXTURE = re.compile(rf"^(?P<a>{_SIDE}) (?:v|V|vs\.?|VS\.?) (?P<b>{_SIDE}){_NOTE} ?$")
_AT = re.compile(rf"^(?P<a>{_SIDE}) (?:at|AT) (?P<b>{_SIDE}){_NOTE} ?$")
# "May 4 v Northport ( two days )": a fixture list's line ends with the side (or a note).
_VERSUS = re.compile(rf"(?:^|(?<=\s))(?:v|vs\.?) (?P<b>{_SIDE}){_NOTE} ?$")
_LINE = re.compile(r"[^\n]+")
# A result's line is short (a cricket result with its scorers is the longest); a longer
# one is prose.
_LONGEST = 200
_PLACES = frozenset({"LOCATION", "COUNTRY"})


def teams(text: str, entities: Sequence[Entity], sentence_of: Callable[[int], int]) -> list[Entity]:
    """``entities`` with the teams of ``text``'s result lines (see the module's rules);
    ``sentence_of``: the sentence of an offset (for a side nothing had tagged)."""
    out = list(entities)
    places = {(e.start, e.end) for e in entities if e.label in _PLACES}
    for start, end, keeps_person in _sides(text, places):
        out = (
            _side(text, start, end, out, keeps_person=keeps_person, sentence_of=sentence_of) or out
        )
    return [_team(e) if _has_players(text, e) else e for e in out]


# A club's people and following after its name: "Northport captain Anna Berg",
# "Northport team mate", "Northport fans".
_PLAYERS = re.compile(
    r" (?:captain|skipper|striker|midfielder|defender|goalkeeper|winger|"
    r"all-rounder|batsman|bowler|pitcher|quarterback|team-?mates?|team mates?|fans|"
    r"supporters)\b"
)


def _has_players(text: str, e: Entity) -> bool:
    """A city (a LOCATION, not a country) that its club's people follow."""
    return (
        e.label == "LOCATION"
        and e.source in ("gazetteer", "model")
        and _PLAYERS.match(text, e.end) is not None
    )


def _team(e: Entity) -> Entity:
    return Entity(
        "ORGANIZATION",
        "org-" + key(e.text).replace(" ", "-"),
        e.text,
        e.start,
        e.end,
        e.sentence,
        e.text,
        source="cue",
    )


def _sides(text: str, places: Set[tuple[int, int]]) -> Iterator[tuple[int, int, bool]]:
    """(start, end, a person there stays one) of each side a result line names: only
    a score line's sides are teams whatever the model says. ``places``: the spans
    tagged as places ("A at B" is a fixture where one side is one: a headline "A Meets
    B at C" is not)."""
    for line in _LINE.finditer(text):
        body = line.group().rstrip()
        if len(body) > _LONGEST:
            continue  # a paragraph of prose
        at = line.start()
        match = _SCORE_LINE.match(body)
        if match is not None:
            for group in ("a", "b"):
                yield at + match.start(group), at + match.end(group), False
            continue
        match = _FIXTURE.match(body)
        if match is not None:
            for group in ("a", "b"):
                yield at + match.start(group), at + match.end(group), True
            continue
        match = _AT.match(body)
        if match is not None and any(
            (at + match.start(g), at + match.end(g)) in places for g in ("a", "b")
        ):
            yield at + match.start("a"), at + match.end("a"), True
            continue
        match = _STANDINGS.match(body)
        if match is not None:
            yield at + match.start("a"), at + match.end("a"), True
            continue
        for versus in _VERSUS.finditer(body):
            yield at + versus.start("b"), at + versus.end("b"), True


def _side(
    text: str,
    start: int,
    end: int,
    entities: list[Entity],
    *,
    keeps_person: bool,
    sentence_of: Callable[[int], int],
) -> list[Entity] | None:
    """``entities`` with the side at [start, end) an ORGANIZATION, or None where it is
    something else (a country, a list's entity, an organisation already, a person where
    ``keeps_person``)."""
    start, end = _trimmed(text, start, end)
    over = [e for e in entities if e.start < end and start < e.end]
    for e in over:
        if e.source == "list" or is_country(e):
            return None
        if (e.start, e.end) == (start, end) and e.label == "ORGANIZATION":
            return None
        if keeps_person and e.label == "PERSON":
            return None
    surface = text[start:end]
    if not any(c.isalpha() for c in surface):
        return None
    team = Entity(
        "ORGANIZATION",
        "org-" + key(surface).replace(" ", "-"),
        surface,
        start,
        end,
        sentence_of(start),
        surface,
        source="cue",
    )
    gone = {id(e) for e in over}
    return [e for e in entities if id(e) not in gone] + [team]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while end > start and text[end - 1] in ".-":
        end -= 1
    return start, end
