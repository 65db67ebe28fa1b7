"""Screening a watchlist name found in the text: a score from weighted features, as
screening engines score a candidate against a listed party (yente's default threshold,
0.70, is kept), with every feature that moved the score.

    (alias, where it is, the article's context) -> Screening(score, features)

The name matcher (:mod:`pipeline.stages.gazetteer`) finds every listed name in the text,
whatever the list's casing; this stage decides which of those finds name the listed party.
Features, in the order they apply:

- **match** (the base): an exact listed name 1.0, a transliteration 0.9, a reordered
  person name 0.85, a weak alias 0.5 (weak aliases never count alone);
- **coverage**: a single word of a person's name (a family name, a bare given name)
  counts only when the article also names the person in full; a two-word person name
  whose words are both common among the list's names (a namesake risk) needs support;
- **distinctiveness**: a single word that is an ordinary English word (Zipf frequency
  >= 4 in wordfreq's English list: "Crystal", "Glory") needs support; so does a short
  listed acronym, and it must be written in capitals (a title-case word is not an acronym);
- **context the schema needs**: a vessel's name counts only with ship context nearby
  (tanker, vessel, ship, M/T, flag, IMO, ...); a generic institutional name ("Ministry of
  Defence") only with the party's country in the same or a neighbouring sentence;
- **conflicts**: a single word that is part of a longer capitalised name ("Caesar Act",
  "Nicolas Sarkozy") or the name of a place tagged at the same span; a listed person's or
  company's name written as a ship's ("the yacht Aksioma");
- **other script**: a name found in the Latin view of Cyrillic text
  (:mod:`pipeline.stages.scripts`: romanised, declined words in their nominative) 0.9;
- **corroboration** (added): sanctions language in the sentence, the party's country
  anywhere in the article.

``score = min(1, base * product(factors) + sum(bonuses))``; a find below
:data:`THRESHOLD` is not a watchlist party: it is kept, with its score and features, as a
candidate for an analyst to see.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field

from wordfreq import zipf_frequency

from pipeline.models import Feature
from pipeline.stages.cues import TITLE_WORDS
from pipeline.stages.gazetteer import key

THRESHOLD = 0.70

BASE = {
    "exact": 1.0,
    "transliteration": 0.9,
    "reordered": 0.85,
    "weak alias": 0.5,
    "without legal form": 0.9,  # "PAO SOVCOMFLOT" listed, "Sovcomflot" found
    "imo number": 1.0,
    "family name": 1.0,  # a person's one-word listed name that is their family name
    "one-word alias": 1.0,  # a person's one-word alias that is not ("Caesar", "Editor")
    # the NER model's name of a person or organisation that the automaton missed
    "model name: same words": 0.85,  # "Jong Un Kim" listed, "Kim Jong Un" found
    "model name: close spelling": 0.8,  # a letter or two apart
}

SINGLE_PERSON_WORD = 0.5
BARE_ONE_WORD = 0.7  # one word left of a listed company's name without its legal form
GIVEN_NAME_ALONE = 0.4  # "Maria", "Nicolas": a listed person's bare given name
FAMILY_NAME_ALONE = 0.75  # "Putin" said ...: a listed family name of its own
COMMON_PERSON_NAME = 0.65
ORDINARY_WORD = 0.55
ACRONYM = 0.65
NOT_CAPITALS = 0.4
LONGER_NAME = 0.5
NO_SHIP_CONTEXT = 0.5
GENERIC_NO_COUNTRY = 0.55
PLACE = 0.4
SHIP_NAME = 0.5  # a person's or company's listed name written as a ship's ("the yacht Aksioma")
OTHER_FIELD = 0.6  # "physicist Li Wen": a namesake in another field
OTHER_COUNTRY = 0.6  # "British researcher Li Wen" for a listed Chinese Li Wen
OTHER_SCRIPT = 0.9  # as a transliterated spelling: "Совкомфлота" read as "Sovcomflot"
FULL_NAME_IN_ARTICLE = 1.6  # lifts a weak alias (0.5) to 0.8 when the full name is there
SANCTIONS_LANGUAGE = 0.1
PARTY_COUNTRY = 0.05

ORDINARY_ZIPF = 4.0  # "crystal" 4.4, "glory" 4.4, "victory" 4.7; "hamas" 3.6, "taliban" 3.7
WORD_ZIPF = 3.0  # a word of ordinary English at all ("caesar" 3.8; "almaz" 0)
GENERIC_ZIPF = 4.5  # "state" 5.8, "security" 5.2, "defence" 4.5; "islamic" 4.4, "alfa" 3.1
ACRONYM_MAX_LETTERS = 4

_SHIP_CONTEXT = re.compile(
    r"\b(?:tankers?|vessels?|ships?|shipping|freighters?|carriers?|cargo|crude|"
    r"supertankers?|m/?t|m/?v|mv|imo|flag(?:ged)?|sail(?:ed|ing)?|port|moored|"
    r"ship-to-ship|dark fleet|shadow fleet|navire|pétrolier|schiff|tanker|buque|танкер|судно)\b",
    re.IGNORECASE,
)
_SANCTIONS_LANGUAGE = re.compile(
    r"\b(?:sanction\w*|designat\w*|blacklist\w*|OFAC|SDN|asset freeze|froze|frozen|"
    r"embarg\w*|export controls?|entity list|Treasury|restrictive measures|"
    r"sanci\w+|sanktion\w*|санкц\w*|gel\w+ des avoirs|eingefroren\w*|congela\w+)",
    re.IGNORECASE,
)
# Head words of institutional names: a name made of these and ordinary words names a
# kind of body, not one body ("Ministry of Defence", "Central Bank", "Navy").
_INSTITUTION = frozenset(
    """ministry ministries department bank army navy force forces police guard guards corps
    committee council office agency service services court administration authority
    directorate bureau commission company corporation group companies organization
    organisation institute university centre center fund foundation party front""".split()
)
_FUNCTION_WORDS = frozenset("of the and for de la del des du al el on in".split())
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Screening:
    score: float
    features: tuple[Feature, ...]

    @property
    def accepted(self) -> bool:
        return self.score >= THRESHOLD


@dataclass(frozen=True, slots=True)
class NameStats:
    """What the screening knows about the list as a whole (built with the tagger): how
    many listed persons carry each word of a name, which words are given names there,
    and the one-word names of countries (``syria`` -> ``SY``, demonyms too)."""

    person_tokens: Counter[str]
    given_names: Counter[str]
    common_at: int
    country_words: Mapping[str, str]
    targets_seen: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, persons: Iterable[Iterable[str]], country_words: Mapping[str, str]) -> NameStats:
        """``persons``: the names (and aliases) of each listed person."""
        counts: dict[str, int] = {}
        given: dict[str, int] = {}
        n = 0
        for names in persons:
            n += 1
            tokens: set[str] = set()
            given_here: set[str] = set()
            for name in names:
                tokens.update(key(name).split())
                given_here.update(_given(name))
            for t in tokens:
                counts[t] = counts.get(t, 0) + 1
            for t in given_here:
                given[t] = given.get(t, 0) + 1
        # A word that at least 0.2 % of the listed persons carry (at least 5 of them):
        # "zhang", "kim", "mohammad" in a list of thousands.
        return cls(Counter(counts), Counter(given), max(5, n // 500), country_words)

    def common(self, token: str) -> bool:
        return self.person_tokens[token] >= self.common_at

    def targets(self, dataset: str) -> tuple[str, ...]:
        """Countries named in the programme codes of an alias's ``dataset`` string
        (datasets and programmes, comma-separated: "SYRIA", "DPRK3", "IRAN-HR"; words of
        four letters or more, so an authority's "US" or "UK" is not taken for a target).
        Looked up once per distinct string."""
        cached = self.targets_seen.get(dataset)
        if cached is None:
            cached = self.targets_seen[dataset] = self._targets(tuple(dataset.split(",")))
        return cached

    def _targets(self, programs: tuple[str, ...]) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for program in programs:
            for word in re.findall(r"[A-Za-z]{4,}", program):
                code = self.country_words.get(word.casefold())
                if code:
                    found[code] = None
        return tuple(found)


@dataclass(frozen=True, slots=True)
class ArticleContext:
    """What the screening of one find looks at beyond the find itself."""

    text: str
    sentences: tuple[tuple[int, int], ...]
    countries: Set[str]  # every country tagged in the article
    countries_by_sentence: dict[int, set[str]]
    places: Set[tuple[int, int]]  # spans tagged COUNTRY or LOCATION
    full_names: Set[str]  # listed ids named in the article by a name of 2+ words
    country_at: dict[int, tuple[int, str]] = field(default_factory=dict)  # start -> end, code

    _sanctions: dict[int, bool] = field(default_factory=dict)
    _ships: dict[int, bool] = field(default_factory=dict)

    def sanctions_language(self, i: int) -> bool:
        """Sanctions language in sentence ``i`` (looked up once per sentence)."""
        found = self._sanctions.get(i)
        if found is None:
            found = self._sanctions[i] = bool(_SANCTIONS_LANGUAGE.search(self.sentence_text(i)))
        return found

    def ship_context(self, i: int) -> bool:
        """Ship words in sentence ``i`` or its neighbours (looked up once per sentence)."""
        found = self._ships.get(i)
        if found is None:
            found = self._ships[i] = bool(_SHIP_CONTEXT.search(self.near(i)))
        return found

    def sentence_text(self, i: int) -> str:
        if 0 <= i < len(self.sentences):
            start, end = self.sentences[i]
            return self.text[start:end]
        return ""

    def near(self, i: int) -> str:
        return " ".join(self.sentence_text(j) for j in (i - 1, i, i + 1))


def screen(
    *,
    listed: str,
    why: str,
    schema: str | None,
    party_id: str,
    party_countries: tuple[str, ...],
    start: int,
    end: int,
    sentence: int,
    ctx: ArticleContext,
    stats: NameStats,
    script: str | None = None,
    party_name: str = "",
) -> Screening:
    """Score one find of the listed name ``listed`` at ``[start, end)``; ``script``
    says how it was read when it was found in another script's romanisation;
    ``party_name`` is the party's own (first) listed name, when ``listed`` is another."""
    find = _Find(
        listed, why, schema, party_id, party_countries, party_name or listed, start, end, sentence
    )
    base = BASE.get(why, 1.0)
    features: list[Feature] = [Feature("match", base, why)]
    if script is not None:
        features.append(Feature("transliteration", OTHER_SCRIPT, script))
    if why != "imo number":
        features += _coverage(find, ctx, stats)
        features += _conflicts(find, ctx, stats)
    score = base
    for f in features[1:]:
        score *= f.weight
    if ctx.sanctions_language(sentence):
        score += SANCTIONS_LANGUAGE
        features.append(Feature("sanctions language", SANCTIONS_LANGUAGE, "in the sentence"))
    if set(party_countries) & set(ctx.countries):
        score += PARTY_COUNTRY
        features.append(Feature("party's country", PARTY_COUNTRY, "in the article"))
    return Screening(round(min(1.0, score), 3), tuple(features))


@dataclass(frozen=True, slots=True)
class _Find:
    listed: str
    why: str
    schema: str | None
    party_id: str
    party_countries: tuple[str, ...]
    party_name: str
    start: int
    end: int
    sentence: int

    @property
    def words(self) -> list[str]:
        return _tokens(self.listed)


def _coverage(find: _Find, ctx: ArticleContext, stats: NameStats) -> list[Feature]:
    """How much of the listed name the find covers, and how distinctive it is."""
    words = find.words
    if not words:
        return []
    named_in_full = find.party_id in ctx.full_names
    if find.why == "weak alias":
        if named_in_full:
            return [Feature("full name in the article", FULL_NAME_IN_ARTICLE, "supports it")]
        return []
    if find.schema == "Person":
        return _person_coverage(find, words, named_in_full, stats)
    if len(words) > 1 or named_in_full:
        return []
    out: list[Feature] = []
    if find.why == "without legal form":
        # "LLC DRAKE" listed: "Drake" alone is anyone's name until the context says more
        out.append(Feature("one word without its legal form", BARE_ONE_WORD, "needs support"))
    if find.schema == "Vessel" and ctx.ship_context(find.sentence):
        return out  # "the tanker Glory": the ship context says which Glory
    letters = sum(c.isalpha() for c in find.listed)
    # A short name is an acronym unless the list writes it otherwise ("Suex" is listed
    # so; OFAC writes everything in capitals and says nothing).
    if letters <= ACRONYM_MAX_LETTERS and (find.listed.isupper() or find.listed.islower()):
        out.append(Feature("acronym", ACRONYM, f"{letters} letters"))
        surface = ctx.text[find.start : find.end]
        if not surface.isupper() and ordinary(words[0]) >= WORD_ZIPF:
            # "Mars" in running text is the word (or the planet), not MARS
            out.append(
                Feature("not an acronym here", NOT_CAPITALS, "an everyday word, not in capitals")
            )
        return out
    zipf = ordinary(words[0])
    if zipf >= ORDINARY_ZIPF:
        out.append(Feature("ordinary word", ORDINARY_WORD, f"Zipf {zipf:.1f}"))
    return out


# Civilian roles that put a person's name in another field than a listed party's.
_OTHER_FIELD = re.compile(
    r"\b(?:researchers?|scientists?|professors?|students?|physicists?|chemists?|biologists?|"
    r"mathematicians?|astronomers?|footballers?|strikers?|midfielders?|defenders?|goalkeepers?|"
    r"coach|players?|athletes?|actors?|actress(?:es)?|singers?|rappers?|artists?|authors?|"
    r"novelists?|poets?|chefs?|comedians?|pianists?|violinists?|designers?|influencers?)\b",
    re.IGNORECASE,
)


def _person_conflicts(find: _Find, ctx: ArticleContext) -> list[Feature]:
    """A person's name given another field ("physicist Li Wen", "Li Wen, a researcher")
    or another country ("British researcher Li Wen") than the listed party's."""
    out: list[Feature] = []
    text = ctx.text
    before_words = text[max(0, find.start - 40) : find.start].split()[-3:]
    appositive = re.match(
        r"\s*,\s+(?:an?|the)\s+((?:\w+\s+){0,2}?\w+)", text[find.end : find.end + 40]
    )
    if _OTHER_FIELD.search(" ".join(before_words)) or (
        appositive is not None and _OTHER_FIELD.search(appositive.group(1))
    ):
        out.append(Feature("another field", OTHER_FIELD, "a civilian role beside the name"))
    if find.party_countries:
        # the nearest country or demonym before the name in its sentence
        sentence_start = (
            ctx.sentences[find.sentence][0] if find.sentence < len(ctx.sentences) else 0
        )
        nearest = max(
            (
                (start, end, code)
                for start, (end, code) in ctx.country_at.items()
                if max(find.start - 40, sentence_start) <= start and end <= find.start
            ),
            default=None,
        )
        between = text[nearest[1] : find.start] if nearest is not None else ""
        if (
            nearest is not None
            and nearest[2] not in find.party_countries
            # "British researcher Li Wen", "South Korean actress …": only titles or roles
            # between the country and the name (not "Australia holds President Putin")
            and re.fullmatch(r"\s+(?:[\w'-]+\s+){0,2}", between) is not None
            and all(
                w.casefold() in TITLE_WORDS or _OTHER_FIELD.fullmatch(w) for w in between.split()
            )
        ):
            out.append(
                Feature("another country", OTHER_COUNTRY, f"{nearest[2]} just before the name")
            )
    return out


def _person_coverage(
    find: _Find, words: list[str], named_in_full: bool, stats: NameStats
) -> list[Feature]:
    if len(words) <= 1 and not named_in_full:
        word = words[0] if words else ""
        if find.why == "one-word alias":
            return [Feature("one-word alias", SINGLE_PERSON_WORD, "no full name")]
        if stats.given_names[word]:
            return [Feature("bare given name", GIVEN_NAME_ALONE, "no full name")]
        if stats.common(word):
            return [Feature("common family name", SINGLE_PERSON_WORD, "no full name")]
        return [Feature("family name alone", FAMILY_NAME_ALONE, "no full name")]
    if len(words) == 2 and all(stats.common(w) for w in words):
        return [Feature("common name", COMMON_PERSON_NAME, "both words common in the list")]
    return []


def _conflicts(find: _Find, ctx: ArticleContext, stats: NameStats) -> list[Feature]:
    """Context the party's schema needs and is missing, or that points elsewhere."""
    out: list[Feature] = []
    words = find.words
    single = len(words) <= 1
    text, span = ctx.text, (find.start, find.end)
    if (
        single
        and (
            ordinary(words[0] if words else "") >= WORD_ZIPF
            or find.schema == "Person"
            # a one-word alias of a company listed under a longer name ("ZENIT" of
            # "ZENIT 3D") inside another longer name ("Zenit St Petersburg", a club);
            # not an acronym ("IRGC Khatam al-Anbiya", "VTB's Andrei Kostin" in Russian)
            or (
                find.why == "exact"
                and len(name_words(find.party_name)) > 1
                and not text[find.start : find.end].isupper()
            )
        )
        # In a headline every word is capitalised; a name in capitals followed by a word
        # in capitals ("AQUA SPIRIT") is still a longer name.
        and (
            text[find.start : find.end].isupper()
            or not _title_case(ctx.sentence_text(find.sentence))
        )
        # A person's family name after a capitalised word is the person's given name
        # ("Wladimir Putin"); only a word after it makes a longer name ("Nicolas Sarkozy").
        and _continues(text, find.start, find.end, ctx.places, after_only=find.why == "family name")
    ):
        # An ordinary word or a person's one word inside a longer capitalised name ("the
        # Caesar Act", "Nicolas Sarkozy"); a distinctive word is not ("Almaz-Antey Air
        # and Space Defence Corporation" names the party in full).
        out.append(Feature("part of a longer name", LONGER_NAME, _longer_name(text, *span)))
    ship_context = find.schema == "Vessel" and ctx.ship_context(find.sentence)
    if find.schema == "Vessel" and not ship_context:
        out.append(
            Feature("no ship context", NO_SHIP_CONTEXT, "no tanker, vessel, ship, IMO nearby")
        )
    if span in ctx.places and not (ship_context and _names_a_ship(text, find.start, find.end)):
        # "ships flagged in Jamaica", "sailed to Jamaica": the place, unless the name is
        # written as a ship's ("the tanker Jamaica", "Jamaica (IMO 9…)")
        out.append(Feature("a place", PLACE, "the span is also a country or place"))
    if find.schema not in ("Vessel", None) and _ONE_SHIP_BEFORE.search(
        text[max(0, find.start - 30) : find.start]
    ):
        # "the yacht Aksioma": a ship that shares a listed company's name
        out.append(Feature("named as a ship", SHIP_NAME, "a ship noun just before the name"))
    if find.schema == "Person":
        out += _person_conflicts(find, ctx)
    if not single and _generic(words, stats.country_words):
        window = (find.sentence - 1, find.sentence, find.sentence + 1)
        nearby = set().union(*(ctx.countries_by_sentence.get(j, set()) for j in window))
        if not nearby & set(find.party_countries):
            out.append(Feature("generic name", GENERIC_NO_COUNTRY, "no party's country nearby"))
    return out


@functools.lru_cache(maxsize=65_536)
def name_words(name: str) -> tuple[str, ...]:
    """The words of a name as the matcher sees them ("Alfa-Bank" is two, "MS-13" too)."""
    return tuple(key(name).split())


def _tokens(name: str) -> list[str]:
    return list(name_words(name))


def _given(name: str) -> list[str]:
    """The given names in a listed person's name: OFAC writes family names in capitals
    ("Jong Un KIM"); otherwise the family name is the last word ("Vladimir Putin") or
    the one before a comma ("PUTIN, Vladimir")."""
    if "," in name:
        return _tokens(name.partition(",")[2])
    words = _WORD.findall(name)
    if len(words) < 2:
        return []
    caps = [w.isupper() and len(w) > 1 for w in words]
    if any(caps) and not all(caps):
        return [w.casefold() for w, c in zip(words, caps, strict=True) if not c]
    return [w.casefold() for w in words[:-1]]


def bare_word_may_count(word: str, common_words: frozenset[str]) -> bool:
    """Whether one word left of a company's name without its legal form could ever be
    accepted alone: not an acronym's length and not an everyday word (each of those
    weakens it past what corroboration can make up: 0.9 x 0.7 x 0.55 + 0.15 < 0.70)."""
    return (
        len(word) > ACRONYM_MAX_LETTERS
        and word not in common_words
        and ordinary(word) < ORDINARY_ZIPF
    )


@functools.lru_cache(maxsize=65_536)
def ordinary(word: str) -> float:
    """Zipf frequency of ``word`` in ordinary English (wordfreq's small list: 0 if rare)."""
    return float(zipf_frequency(word, "en", wordlist="small"))


def _generic(words: list[str], country_words: Mapping[str, str]) -> bool:
    """A name of institution words and very common words only ("Ministry of Defence",
    "Ministry of State Security"); a country's name in it makes it specific ("Central
    Bank of Syria")."""
    content = [w for w in words if w not in _FUNCTION_WORDS]
    return (
        bool(content)
        and any(w in _INSTITUTION for w in content)
        and not any(w in country_words for w in content)
        and all(w in _INSTITUTION or ordinary(w) >= GENERIC_ZIPF for w in content)
    )


_LOWER_JOINERS = frozenset("the in to and of from with a an by at on for as".split())


_SHIP_NOUN_BEFORE = re.compile(
    r"(?:tankers?|vessels?|ships?|freighter|carrier|supertanker|M/?T|M/?V|MV|MT|"
    r"navire|pétrolier|Tanker|Schiff|buque|танкер|судно)[\s\"'“«]*$",
    re.IGNORECASE,
)
# One ship named: a singular ship noun right before the name ("the yacht Aksioma", "яхта
# «Аксиома»"); not "carrier" (an airline), not a plural ("tankers Sovcomflot owns").
_ONE_SHIP_BEFORE = re.compile(
    r"\b(?:tanker|supertanker|vessel|ship|freighter|yacht|navire|pétrolier|Schiff|Jacht|"
    r"buque|yate|танкер|судно|яхт[аеуы]?)[\s\"'“«]*$",
    re.IGNORECASE,
)
_IMO_AFTER = re.compile(r"^[\s,\"'”»]*\(?\s*IMO", re.IGNORECASE)


def _names_a_ship(text: str, start: int, end: int) -> bool:
    """Is the name written as a ship's: a ship noun just before it, or its IMO after?"""
    return bool(
        _SHIP_NOUN_BEFORE.search(text[max(0, start - 30) : start])
        or _IMO_AFTER.match(text[end : end + 20])
    )


def _title_case(sentence: str) -> bool:
    """A headline-style line ("Putin Warns West Over Aid"): capitals say nothing there."""
    minor = _FUNCTION_WORDS | _LOWER_JOINERS | {"under", "over", "into", "after", "amid"}
    words = [w for w in sentence.split() if w[:1].isalpha() and w.casefold() not in minor]
    if len(words) < 4:
        return False
    return sum(w[:1].isupper() for w in words) >= 0.85 * len(words)


def _continues(
    text: str,
    start: int,
    end: int,
    places: Set[tuple[int, int]],
    *,
    after_only: bool = False,
) -> bool:
    """Is the word at ``[start, end)`` part of a longer capitalised name? The next word
    capitalised ("Caesar Act"), or the previous one inside the sentence ("Nicolas" in
    "ex-President Nicolas Sarkozy" is not; "Syrian" before a name is a demonym, not a
    longer name)."""
    m = re.match(r"[ \t]+([^\W\d_][\w'\u2019-]*)", text[end : end + 40])
    if m and m.group(1)[:1].isupper():
        return True
    if after_only:
        return False
    before = text[max(0, start - 40) : start]
    m = re.search(r"([^\W\d_][\w'\u2019-]*)[ \t]+$", before)
    if not m:
        return False
    word = m.group(1)
    word_start = start - len(m.group(0))
    if not word[:1].isupper() or word.casefold() in _LOWER_JOINERS | TITLE_WORDS:
        return False  # "the Caesar", "President Putin": no longer name
    if (word_start, word_start + len(word)) in places:
        return False  # "Russian Rosneft", "Iran's IRGC"
    prefix = text[text.rfind("\n", 0, start) + 1 : word_start].strip()
    # A capitalised word opening the sentence does not make a longer name with the next.
    return bool(prefix) and not prefix.endswith((".", "!", "?", ":", '"', "“"))


def _longer_name(text: str, start: int, end: int) -> str:
    m = re.match(r"[ \t]+[^\W\d_][\w'\u2019-]*", text[end : end + 40])
    return text[start:end] + (m.group(0) if m else "")


def prepare() -> None:
    """Load the word frequencies now (the worker calls this before it freezes its heap)."""
    ordinary("the")
