"""Entity tagging stage: countries, places, organisations, people, vessels, watchlist parties.

    NormalizedArticle -> tuple[Entity, ...]

Every entity carries its offsets into ``article.text`` and its sentence index. A name on
the sanctions watchlist yields two entities over the same span: one with its own label
(PERSON, ORGANIZATION, VESSEL) and one WATCHLIST entity naming the list entry, its
datasets and programmes, the score and why it matched. People not on the list are found
by title cues ("lawmaker Lee Seong-kweun", "President ...").
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any, TypeVar

import msgspec
from msgspec import Struct
from stdnum import imo as imo_number

from pipeline import morphology
from pipeline.models import (
    Entity,
    Feature,
    NormalizedArticle,
    Summary,
    TaggedArticle,
    WatchlistMention,
)
from pipeline.stages import cues, screening
from pipeline.stages.gazetteer import Alias, Case, Gazetteer, Match, fold, key, longest_first
from pipeline.stages.legal_forms import form_words, without_legal_form
from pipeline.stages.ner import ModelSpan, ScreenSpan, merge, model_entities
from pipeline.stages.screening import ArticleContext, NameStats, name_words, screen
from pipeline.stages.scripts import SPELLINGS, has_cyrillic, korean_in_cyrillic, latin_views

_SCHEMA_LABEL = {
    "Person": "PERSON",
    "Vessel": "VESSEL",
    "Organization": "ORGANIZATION",
    "Company": "ORGANIZATION",
    "LegalEntity": "ORGANIZATION",
    "PublicBody": "ORGANIZATION",
}
_T = TypeVar("_T")
_IMO = re.compile(r"\bIMO(?:\s+(?:No\.?|number|#))?[\s:]*(\d{7})\b")

# Scores: how sure a match is, by how it was made.
SCORE_EXACT = 1.0
SCORE_TRANSLITERATED = 0.9
SCORE_REORDERED = 0.85
SCORE_BARE = 0.9  # an organisation's listed name without its legal form ("LLC", "GmbH")
_ORGANIZATION_SCHEMAS = frozenset({"Organization", "Company", "LegalEntity", "PublicBody"})
_MAX_VARIANTS = 24


class WatchlistEntry(Struct, frozen=True, gc=False):
    """One sanctioned party, from a FollowTheMoney entity. (A msgspec struct: a million
    of them are built at start-up, several times faster than a frozen dataclass's, and
    out of the collector's sight: they hold only strings and tuples of strings.)"""

    id: str
    schema: str
    name: str
    names: tuple[str, ...]
    weak_aliases: tuple[str, ...]
    countries: tuple[str, ...]
    datasets: tuple[str, ...]
    programs: tuple[str, ...]
    imo_numbers: tuple[str, ...]


class FtMProperties(Struct, gc=False):
    """The FollowTheMoney properties the watchlist reads (every other one is skipped)."""

    name: list[str] = []
    alias: list[str] = []
    weakAlias: list[str] = []  # noqa: N815 (FollowTheMoney's property names)
    country: list[str] = []
    programId: list[str] = []  # noqa: N815
    imoNumber: list[str] = []  # noqa: N815


class FtMEntity(Struct, gc=False):
    """One FollowTheMoney entity as a list export writes it (decoded by msgspec in C: a
    million lines in under a second, three times faster than a dict each)."""

    id: str
    properties: FtMProperties
    schema: str = "LegalEntity"
    datasets: list[str] = []
    programs: list[str] = []


FTM_DECODER = msgspec.json.Decoder(FtMEntity)


def watchlist_entry(doc: FtMEntity | Mapping[str, Any]) -> WatchlistEntry | None:
    """Build an entry from one FollowTheMoney entity (decoded, or a JSON object);
    ``None`` when it has no name.

    Raises:
        msgspec.ValidationError: the object is not a FollowTheMoney entity.
    """
    if not isinstance(doc, FtMEntity):
        doc = msgspec.convert(doc, FtMEntity)
    props = doc.properties
    names = props.name
    if not names:
        return None
    aliases, programs, shared = props.alias, doc.programs + props.programId, _shared
    return WatchlistEntry(
        doc.id,
        shared(doc.schema),
        names[0],
        tuple(dict.fromkeys(names + aliases)) if aliases or len(names) > 1 else (names[0],),
        shared(tuple(props.weakAlias)),
        shared(tuple(map(str.upper, props.country))),
        shared(tuple(doc.datasets) or ("watchlist",)),
        shared(tuple(dict.fromkeys(programs))) if programs else (),
        tuple(i.removeprefix("IMO").strip() for i in props.imoNumber) if props.imoNumber else (),
    )


# Values that a whole list repeats (schemas, datasets, programme sets, countries): one
# object each, not one per entity (a million entries: about 250 MB less).
_SHARED: dict[Any, Any] = {}
_SHARED_LIMIT = 100_000


def _shared(value: _T) -> _T:
    if len(_SHARED) >= _SHARED_LIMIT:
        return _SHARED.get(value, value)  # type: ignore[no-any-return]
    return _SHARED.setdefault(value, value)  # type: ignore[no-any-return]


def country_aliases(
    iso_names: Mapping[str, Iterable[str]], extra: Mapping[str, Mapping[str, list[str]]]
) -> list[Alias]:
    """Aliases for COUNTRY from ISO names and the supplement table (``data/countries.toml``)."""
    aliases: list[Alias] = []
    for code in sorted(set(iso_names) | set(extra)):
        table = extra.get(code, {})
        ambiguous = set(table.get("ambiguous", []))
        names = dict.fromkeys([*iso_names.get(code, []), *table.get("names", [])])
        canonical = next(iter(names), code)
        for group in ("names", "demonyms", "metonyms"):
            source = names if group == "names" else table.get(group, [])
            # a demonym is a nationality (NORP), kept apart from the country it names
            label = "NORP" if group == "demonyms" else "COUNTRY"
            for surface in source:
                case = Case.EXACT if surface.replace(".", "").isupper() else Case.PROPER
                if surface.islower():  # "russe", "российских": adjectives in running text
                    case = Case.ANY
                aliases.append(
                    Alias(surface, label, code, canonical, case, surface in ambiguous, code)
                )
        for surface in table.get("acronyms", []):
            aliases.append(Alias(surface, "COUNTRY", code, canonical, Case.EXACT, False, code))
    return aliases


def organization_aliases(table: Mapping[str, Mapping[str, Any]]) -> list[Alias]:
    """Aliases for ORGANIZATION from ``data/organizations.toml``."""
    aliases: list[Alias] = []
    for org_id, org in table.items():
        names = list(org.get("names", []))
        canonical = names[0] if names else org_id
        country, kind = org.get("country"), org.get("kind")
        for surface in names:
            case = Case.ANY if surface.islower() else Case.PROPER
            aliases.append(
                Alias(surface, "ORGANIZATION", org_id, canonical, case, False, country, kind=kind)
            )
        for surface in org.get("acronyms", []):
            aliases.append(
                Alias(
                    surface,
                    "ORGANIZATION",
                    org_id,
                    canonical,
                    Case.EXACT,
                    False,
                    country,
                    kind=kind,
                )
            )
    return aliases


def location_aliases(
    places: Iterable[tuple[str, str]], taken: set[str], common_words: frozenset[str]
) -> list[Alias]:
    """LOCATION aliases from ``(name, country)`` pairs, most important first.

    A name already used by another alias (``taken`` keys, e.g. a capital standing for its
    country) or a single common word ("Reading", "Mobile") is left out; a name shared by
    several places keeps the first. Every place needs context to count (it must stand
    alone, not inside a longer capitalised name such as "New York Times").
    """
    aliases: list[Alias] = []
    seen: set[str] = set(taken)
    for name, country in places:
        k = key(name)
        if len(k) < 4 or k in seen or (" " not in k and k in common_words):
            continue
        seen.add(k)
        place_id = f"{country.lower()}-{k.replace(' ', '-')}"
        aliases.append(Alias(name, "LOCATION", place_id, name, Case.PROPER, True, country))
    return aliases


def watchlist_aliases(
    entries: Iterable[WatchlistEntry],
    transliterations: Mapping[str, tuple[str, ...]],
    common_words: frozenset[str],
) -> list[Alias]:
    """WATCHLIST aliases: names and aliases, persons also transliterated and reordered
    (:func:`watchlist_keyed` without the keys)."""
    return [a for _, a in watchlist_keyed(entries, transliterations, common_words)]


def watchlist_keyed(
    entries: Iterable[WatchlistEntry],
    transliterations: Mapping[str, tuple[str, ...]],
    common_words: frozenset[str],
) -> Iterator[tuple[str, Alias]]:
    """WATCHLIST aliases with their automaton keys, made as they are read (the gazetteer
    compiles one shard while the next one's aliases are made).

    Names match whatever the list's casing (OFAC writes every name in capitals): the
    text's own casing is weighed by the screening (:mod:`pipeline.stages.screening`).
    Guards: a name of fewer than three letters is skipped; a one-word name that is a
    common word needs the exact case; weak aliases count only written in capitals.
    """
    for e in entries:
        dataset = _shared(",".join(e.datasets + e.programs))
        families: frozenset[str] | None = None  # made only for a one-word person name
        for surface in e.names:
            k = key(surface)
            if len(k) - k.count(" ") < 3:  # fewer than three letters or digits
                continue
            # A one-word name that is a common word must be written as listed, when the
            # list's casing means something; a list in capitals (OFAC) says nothing about
            # the text's casing, and the screening weighs the word instead.
            exact = " " not in k and k in common_words and not surface.isupper()
            why = "exact"
            if e.schema == "Person" and " " not in k:
                families = family_names(e) if families is None else families
                why = "family name" if k in families else "one-word alias"
            elif e.schema in _ORGANIZATION_SCHEMAS:
                bare = _without_legal_form(surface, k, common_words)
                if bare is not None:
                    bare_key, bare_name = bare
                    alias = _listed(
                        e, bare_name, Case.PROPER, "without legal form", dataset, full=surface
                    )
                    yield bare_key, alias
                    continue  # the listed name is found through this one, widened
            yield k, _listed(e, surface, Case.EXACT if exact else Case.PROPER, why, dataset)
            if e.schema == "Person" and not exact:
                yield from _person_variants(e, surface, k, transliterations, dataset)
        for surface in e.weak_aliases:
            if surface.isupper() and len(key_letters(surface)) >= 3:
                yield key(surface), _listed(e, surface, Case.EXACT, "weak alias", dataset)


def family_names(e: WatchlistEntry) -> frozenset[str]:
    """The family names in a listed person's names of two words or more: the words in
    capitals when the list writes them so ("Jong Un KIM"), the words before a comma
    ("PUTIN, Vladimir"), else the last word ("Vladimir Putin")."""
    out: set[str] = set()
    for name in e.names:
        if "," in name:
            out.update(key(name.partition(",")[0]).split())
            continue
        words = name.split()
        if len(words) < 2:
            continue
        caps = [w for w in words if w.isupper() and len(key_letters(w)) > 1]
        out.update(key(w) for w in (caps if caps and len(caps) < len(words) else words[-1:]))
    return frozenset(out)


def _without_legal_form(
    surface: str, k: str, common_words: frozenset[str]
) -> tuple[str, str] | None:
    """An organisation's listed name without its legal form: (key, name), or
    ``None`` when it has no form, or too little is left, or the form is in the middle."""
    bare = without_legal_form(surface)
    if bare is surface:
        return None
    bare_key = key(bare)
    if bare_key == k or len(bare_key) - bare_key.count(" ") < 3:
        return None
    if form_words(k, bare_key) is None:
        return None
    if " " not in bare_key and not screening.bare_word_may_count(bare_key, common_words):
        return None  # "GROUP LLC" -> "Group": a find the screening could never accept
    return bare_key, bare


def _listed(
    e: WatchlistEntry,
    surface: str,
    case: Case,
    why: str,
    dataset: str,
    *,
    full: str | None = None,
) -> Alias:
    """A name as the watchlist gives it (``full``: the listed name, when ``surface`` is
    it without its legal form)."""
    country = e.countries[0] if e.countries else None
    return Alias(
        surface,
        "WATCHLIST",
        e.id,
        e.name,
        case,
        False,
        country,
        dataset,
        e.schema,
        SCORE_EXACT if full is None else SCORE_BARE,
        why,
        full,
    )


def _person_variants(
    e: WatchlistEntry,
    surface: str,
    surface_key: str,
    transliterations: Mapping[str, tuple[str, ...]],
    dataset: str,
) -> list[tuple[str, Alias]]:
    country = e.countries[0] if e.countries else None

    def variant(k: str, score: float, why: str, name: str | None = None) -> tuple[str, Alias]:
        alias = Alias(
            k if name is None else name,
            "WATCHLIST",
            e.id,
            e.name,
            Case.PROPER,
            False,
            country,
            dataset,
            e.schema,
            score,
            why,
        )
        return k, alias

    out: list[tuple[str, Alias]] = []
    tokens = surface_key.split()
    if "," in surface:  # "PUTIN, Vladimir" -> "Vladimir PUTIN"
        last, _, first = surface.partition(",")
        reordered = f"{first.strip()} {last.strip()}"
        tokens = key(reordered).split()
        out.append(variant(" ".join(tokens), SCORE_REORDERED, "reordered", reordered))
    options = [transliterations.get(t, (t,)) for t in tokens]
    for combo in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        spelled = " ".join(combo)
        if spelled != " ".join(tokens):
            out.append(variant(spelled, SCORE_TRANSLITERATED, "transliteration"))
    if 2 <= len(tokens) <= 3:  # "Jong Un Kim" is rare; "Lavrov Sergei" occurs in lists
        out.append(variant(" ".join([tokens[-1], *tokens[:-1]]), SCORE_REORDERED, "reordered"))
    if country in _KOREAN_COUNTRIES:
        syllables = korean_syllables(surface)
        # the Cyrillic spellings of this name's syllables only (not the whole table's)
        korean = {
            s: transliterations[KOREAN + s] for s in syllables if KOREAN + s in transliterations
        }
        for spelled in korean_in_cyrillic(syllables, korean):
            out.append(variant(spelled, SCORE_TRANSLITERATED, KOREAN_IN_CYRILLIC))
    return out


def key_letters(surface: str) -> str:
    return "".join(c for c in surface if c.isalnum())


def transliteration_table(
    groups: Iterable[Iterable[str]], korean: Mapping[str, Iterable[str]] | None = None
) -> dict[str, tuple[str, ...]]:
    """token -> every spelling of its group (the token itself first); and, under
    ``KOREAN + syllable``, the Cyrillic spellings of a Korean syllable (``korean``)."""
    table: dict[str, tuple[str, ...]] = {}
    for group in groups:
        spellings = tuple(dict.fromkeys(g.lower() for g in group))
        for s in spellings:
            table[s] = (s, *(o for o in spellings if o != s))
    for syllable, cyrillic in (korean or {}).items():
        table[KOREAN + syllable.lower()] = tuple(cyrillic)
    return table


# The prefix of a Korean syllable's Cyrillic spellings in the transliteration table.
KOREAN = "ko:"
# Why a Korean name's Cyrillic spelling is an alias: found only in a Cyrillic text's
# latin views ("kim son" is the Russian spelling of Song KIM, not an English "Kim Son").
KOREAN_IN_CYRILLIC = "Korean name in Cyrillic"
_KOREAN_COUNTRIES = frozenset({"KP", "KR"})


def korean_syllables(surface: str) -> list[str]:
    """A Korean name's syllables, family name first, as the table keys them: "Jong Un
    KIM" -> jong un kim reordered to kim jong un; "Ch'o'l-Chae KO" -> ko chol chae."""
    clean = surface.replace("'", "").replace("\u2019", "")
    if "," in clean:
        family, _, given = clean.partition(",")
        words = family.split() + given.split()
    else:
        words = clean.split()
        caps = [w for w in words if w.isupper()]
        if caps and len(caps) < len(words):  # the family name in capitals, anywhere
            words = caps + [w for w in words if not w.isupper()]
    return [t.lower() for w in words for t in w.split("-") if t]


# --- the tagger ------------------------------------------------------------------------


class EntityTagger:
    """Tags one article. Build once at start-up from the loaded data; reuse for every article."""

    __slots__ = (
        "_changed",
        "_entries",
        "_gazetteer",
        "_name_index",
        "_name_stats",
        "_overlay",
        "_retired",
        "_vessels_by_imo",
        "watchlist_size",
    )

    def __init__(
        self,
        aliases: list[Alias],
        watchlist: Iterable[WatchlistEntry],
        *,
        transliterations: Mapping[str, tuple[str, ...]] | None = None,
        common_words: frozenset[str] = frozenset(),
    ) -> None:
        entries = list(watchlist)
        self._entries = entries  # for the model's names (built at their first use)
        self._changed: Mapping[str, WatchlistEntry | None] = {}  # laid over them
        self._name_index: NameIndex | None = None
        self._gazetteer = Gazetteer(
            aliases, keyed=watchlist_keyed(entries, transliterations or {}, common_words)
        )  # its last shard is still being compiled: the rest is done meanwhile
        self._overlay: Gazetteer | None = None
        self._retired: frozenset[str] = frozenset()
        self._vessels_by_imo = {imo: e for e in entries for imo in e.imo_numbers}
        country_words = {
            key(a.surface): a.id
            for a in aliases
            if a.label in ("COUNTRY", "NORP")
            and " " not in key(a.surface)
            and len(key(a.surface)) >= 4
        }
        self._name_stats = NameStats.of(
            (e.names for e in entries if e.schema == "Person"), country_words
        )
        self.watchlist_size = len(entries)
        self._gazetteer.wait()

    def with_changes(
        self,
        changes: Mapping[str, WatchlistEntry | None],
        watchlist_size: int,
        *,
        transliterations: Mapping[str, tuple[str, ...]] | None = None,
        common_words: frozenset[str] = frozenset(),
    ) -> EntityTagger:
        """This tagger with watchlist ``changes`` (id -> the entry as it is now, ``None``
        for deleted) laid over it: only the changed entries' names are compiled, into a
        small second automaton; this tagger's automaton is shared, and its matches for a
        changed or deleted id are dropped. Tags what a tagger built from the changed
        watchlist tags (several things found at one span may come in another order).
        Call it on a tagger built from a whole list; the changes replace any before."""
        layered = EntityTagger.__new__(EntityTagger)
        current = [e for e in changes.values() if e is not None]
        layered._gazetteer = self._gazetteer
        layered._overlay = Gazetteer(
            keyed=watchlist_keyed(current, transliterations or {}, common_words)
        ).wait()
        layered._retired = frozenset(changes)
        layered._entries = self._entries  # the changed ones are left out where read
        layered._changed = changes
        layered._name_index = None
        layered._name_stats = self._name_stats  # the base list's: changes are few
        layered._vessels_by_imo = {
            imo: e for imo, e in self._vessels_by_imo.items() if e.id not in changes
        } | {imo: e for e in current for imo in e.imo_numbers}
        layered.watchlist_size = watchlist_size
        return layered

    @property
    def size(self) -> int:
        """Distinct names the automaton knows."""
        return self._gazetteer.size + (self._overlay.size if self._overlay else 0)

    def _party_countries(self, a: Alias) -> tuple[str, ...]:
        """The listed party's country, and the targets its programmes name."""
        own = (a.country,) if a.country else ()
        return own + self._name_stats.targets(a.dataset or "")

    def _matches(self, text: str) -> list[Match]:
        folded = fold(text)
        if self._overlay is None:
            return self._gazetteer.find(text, folded)
        retired = self._retired
        found = [
            m
            for m in self._gazetteer.candidates(text, folded)
            if m.alias.label != "WATCHLIST" or m.alias.id not in retired
        ]
        return longest_first(found + self._overlay.candidates(text, folded))

    def _with_latin(
        self, text: str, matches: list[Match]
    ) -> tuple[list[Match], dict[tuple[int, int, str], str]]:
        """Cyrillic ``text``: ``matches`` with the listed names found in its Latin views
        (:mod:`pipeline.stages.scripts`) at their spans in ``text``, and for each of those
        (start, end, id) how it was read."""
        seen = {(m.start, m.end, m.alias.id) for m in matches if m.alias.label == "WATCHLIST"}
        via: dict[tuple[int, int, str], str] = {}
        found: list[Match] = []
        views: set[str] = set()
        for spelling, view in zip(
            SPELLINGS, latin_views(text, SPELLINGS, morphology.nominative), strict=True
        ):
            if view.text in views:
                continue
            views.add(view.text)
            for m in self._matches(view.text):
                if m.alias.label != "WATCHLIST":
                    continue
                start, end = view.span(m.start, m.end)
                if (start, end, m.alias.id) in seen:
                    continue
                seen.add((start, end, m.alias.id))
                via[start, end, m.alias.id] = (
                    f"{text[start:end]!r} read as {view.text[m.start : m.end]!r} ({spelling.name})"
                )
                found.append(Match(m.alias, start, end))
        return (longest_first(matches + found) if found else matches), via

    def model_screener(self, article: NormalizedArticle) -> ScreenSpan:
        """Screens the model's PERSON and ORGANIZATION spans of ``article`` against the
        watchlist: a listed name the automaton did not find there (other word order,
        a close spelling) is scored by the same screening, as found by the model."""
        if self._name_index is None:
            changed = self._changed
            listed = [e for e in self._entries if e.id not in changed] if changed else self._entries
            self._name_index = NameIndex([*listed, *filter(None, changed.values())])
        index = self._name_index
        text = article.text
        starts = [s for s, _ in article.sentences]
        ctx: ArticleContext | None = None

        def screen_span(label: str, start: int, end: int) -> Entity | None:
            nonlocal ctx
            best = index.best(text[start:end], person=label == "PERSON")
            if best is None:
                return None
            entry, listed, why = best
            if ctx is None:
                ctx = _context(article, starts, self._matches(text))
            sentence = _sentence_of(starts, start)
            verdict = screen(
                listed=listed,
                why=why,
                schema=entry.schema,
                party_id=entry.id,
                party_countries=entry.countries
                + self._name_stats.targets(",".join(entry.datasets + entry.programs)),
                start=start,
                end=end,
                sentence=sentence,
                ctx=ctx,
                stats=self._name_stats,
            )
            if not verdict.accepted:
                return None
            return Entity(
                "WATCHLIST",
                entry.id,
                text[start:end],
                start,
                end,
                sentence,
                entry.name,
                entry.countries[0] if entry.countries else None,
                ",".join(entry.datasets + entry.programs),
                verdict.score,
                why,
                (
                    *verdict.features,
                    Feature("found by the model", 1.0, f"{label} span; listed as {listed!r}"),
                ),
                source="model",
            )

        return screen_span

    def tag(self, article: NormalizedArticle) -> tuple[Entity, ...]:
        """All entities in ``article.text``, in text order."""
        return self.tag_all(article)[0]

    def tag_all(self, article: NormalizedArticle) -> tuple[tuple[Entity, ...], tuple[Entity, ...]]:
        """The entities in ``article.text`` (text order), and the watchlist names found
        that scored below the screening threshold (candidates, not parties)."""
        text = article.text
        starts = [s for s, _ in article.sentences]
        matches = [m for m in self._matches(text) if m.alias.why != KOREAN_IN_CYRILLIC]
        via: dict[tuple[int, int, str], str] = {}
        if has_cyrillic(text):
            matches, via = self._with_latin(text, matches)
        ctx: ArticleContext | None = None  # made at the first watchlist find
        out: list[Entity] = []
        candidates: list[Entity] = []
        taken: list[tuple[int, int]] = []
        for m in matches:
            a = m.alias
            sentence = _sentence_of(starts, m.start)
            surface = text[m.start : m.end]
            if a.label != "WATCHLIST":
                taken.append((m.start, m.end))
                out.append(
                    Entity(a.label, a.id, surface, m.start, m.end, sentence, a.name, a.country)
                )
                continue
            if ctx is None:
                ctx = _context(article, starts, matches)
            script = via.get((m.start, m.end, a.id))
            verdict = screen(
                listed=a.surface,
                why=a.why,
                schema=a.kind,
                party_id=a.id,
                party_countries=self._party_countries(a),
                start=m.start,
                end=m.end,
                sentence=sentence,
                ctx=ctx,
                stats=self._name_stats,
                script=script,
                party_name=a.name,
            )
            listed = Entity(
                "WATCHLIST",
                a.id,
                surface,
                m.start,
                m.end,
                sentence,
                a.name,
                a.country,
                a.dataset,
                verdict.score,
                a.why if script is None else f"{a.why} (Cyrillic)",
                verdict.features,
                source="list",
            )
            if not verdict.accepted:
                candidates.append(listed)
                continue
            taken.append((m.start, m.end))
            label = _SCHEMA_LABEL.get(a.kind or "", "ORGANIZATION")
            out.append(
                Entity(
                    label, a.id, surface, m.start, m.end, sentence, a.name, a.country, source="list"
                )
            )
            out.append(listed)
        taken.sort()
        taken_starts = [s for s, _ in taken]
        last_cue_end = -1
        for cue in cues.find(text, set(taken)):
            if cue.start < last_cue_end or _overlaps(taken, taken_starts, cue.start, cue.end):
                continue
            last_cue_end = cue.end
            name = text[cue.start : cue.end]
            prefix = "person-" if cue.label == "PERSON" else "org-"
            out.append(
                Entity(
                    cue.label,
                    prefix + key(name).replace(" ", "-"),
                    name,
                    cue.start,
                    cue.end,
                    _sentence_of(starts, cue.start),
                    name,
                    None,
                    None,
                    cue.score,
                    cue.why,
                    source="cue",
                )
            )
        for found in _IMO.finditer(text) if "IMO" in text else ():
            imo = found.group(1)
            if not imo_number.is_valid(imo):
                continue  # its check digit is wrong: a typo or not an IMO number at all
            sentence = _sentence_of(starts, found.start())
            entry = self._vessels_by_imo.get(imo)
            vessel = entry.name if entry else None
            span = (found.group(0), found.start(), found.end(), sentence)
            out.append(Entity("VESSEL", f"imo-{imo}", *span, vessel, source="cue"))
            if entry is not None:
                out.append(
                    Entity(
                        "WATCHLIST",
                        entry.id,
                        *span,
                        entry.name,
                        entry.countries[0] if entry.countries else None,
                        ",".join(entry.datasets + entry.programs),
                        SCORE_EXACT,
                        "imo number",
                        (Feature("match", SCORE_EXACT, "imo number (check digit valid)"),),
                        source="list",
                    )
                )
        out.sort(key=lambda e: (e.start, e.end))
        return tuple(out), tuple(candidates)


class NameIndex:
    """The watchlist's names of two words or more by word, for the model's names: a
    model span matches a listed name with the same words in another order, or one
    spelled within a few letters of it (built at the first model span screened)."""

    __slots__ = ("_by_word",)

    MAX_POSTINGS = 200  # a word more than this many listed names carry decides nothing
    CLOSE = 0.9  # SequenceMatcher ratio of the sorted words

    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        by_word: dict[str, list[tuple[WatchlistEntry, str]]] = {}
        for e in entries:
            if e.schema == "Vessel":
                continue
            for name in e.names:
                words = set(key(name).split())
                if len(words) < 2:
                    continue
                for w in words:
                    if len(w) >= 3:
                        by_word.setdefault(w, []).append((e, name))
        self._by_word = by_word

    def best(self, surface: str, *, person: bool) -> tuple[WatchlistEntry, str, str] | None:
        """The listed (entry, name, how) closest to ``surface``, if one is close enough."""
        words = key(surface).split()
        if len(words) < 2:
            return None
        postings = [self._by_word.get(w, []) for w in set(words) if len(w) >= 3]
        postings = [p for p in postings if 0 < len(p) <= self.MAX_POSTINGS]
        if not postings:
            return None
        wanted = " ".join(sorted(words))
        best: tuple[float, WatchlistEntry, str, str] | None = None
        for entry, name in min(postings, key=len):
            if (entry.schema == "Person") != person:
                continue
            theirs = key(name).split()
            if abs(len(theirs) - len(words)) > 1:
                continue
            if sorted(theirs) == sorted(words):
                found = (1.0, entry, name, "model name: same words")
            else:
                ratio = SequenceMatcher(None, wanted, " ".join(sorted(theirs))).ratio()
                if ratio < self.CLOSE:
                    continue
                found = (ratio, entry, name, "model name: close spelling")
            if best is None or found[0] > best[0]:
                best = found
        return None if best is None else best[1:]


def _context(article: NormalizedArticle, starts: list[int], matches: list[Match]) -> ArticleContext:
    """What the screening needs to know about the article beyond one find."""
    countries: set[str] = set()
    by_sentence: dict[int, set[str]] = {}
    places: set[tuple[int, int]] = set()
    place_countries: dict[int, tuple[int, str]] = {}
    full_names: set[str] = set()
    for m in matches:
        a = m.alias
        if a.label in ("COUNTRY", "LOCATION", "NORP"):
            places.add((m.start, m.end))
            if a.label in ("COUNTRY", "NORP") and a.country:
                place_countries[m.start] = (m.end, a.country)
            if a.country:
                countries.add(a.country)
                by_sentence.setdefault(_sentence_of(starts, m.start), set()).add(a.country)
        elif a.label == "WATCHLIST" and a.why != "weak alias" and len(name_words(a.surface)) > 1:
            full_names.add(a.id)
    return ArticleContext(
        text=article.text,
        sentences=tuple(article.sentences),
        countries=countries,
        countries_by_sentence=by_sentence,
        places=places,
        full_names=full_names,
        country_at=place_countries,
    )


def tag_article(
    tagger: EntityTagger,
    article: NormalizedArticle,
    spans: Sequence[ModelSpan] | None = None,
) -> TaggedArticle:
    """The tag stage: the article, its entities and their summary; with the NER model's
    ``spans`` (offsets into ``article.text``), its entities merged in."""
    entities, candidates = tagger.tag_all(article)
    tagged = TaggedArticle(article, entities, summarize(entities), candidates)
    return tagged if spans is None else with_model(tagger, tagged, spans)


def with_model(
    tagger: EntityTagger, tagged: TaggedArticle, spans: Sequence[ModelSpan]
) -> TaggedArticle:
    """``tagged`` with the model's ``spans`` (offsets into the article's text) merged
    into its entities (:func:`pipeline.stages.ner.merge`), the model's names screened."""
    article = tagged.article
    starts = [s for s, _ in article.sentences]
    found = model_entities(article.text, spans, lambda offset: _sentence_of(starts, offset))
    if not found:
        return tagged
    entities = merge(
        article.text,
        tagged.entities,
        found,
        tagger.model_screener(article),
        lambda offset: _sentence_of(starts, offset),
    )
    return TaggedArticle(article, entities, summarize(entities), tagged.candidates)


def summarize(entities: Iterable[Entity]) -> Summary:
    """Article-level summary: countries with mention counts, watchlist hits."""
    countries: Counter[str] = Counter()
    hits: dict[str, WatchlistMention] = {}
    for e in entities:
        if e.label in ("COUNTRY", "LOCATION", "NORP") and e.country:
            countries[e.country] += 1
        elif e.label == "WATCHLIST":
            hit = hits.setdefault(
                e.id, {"id": e.id, "name": e.name, "mentions": 0, "score": e.score}
            )
            hit["mentions"] += 1
    return Summary(countries=dict(countries.most_common()), watchlist=list(hits.values()))


def _overlaps(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    """Does [start, end) overlap one of ``spans`` (sorted by start, ``starts`` their starts)?"""
    i = bisect.bisect_left(starts, end) - 1
    while i >= 0 and spans[i][1] > start:
        if spans[i][0] < end:
            return True
        i -= 1
    return False


def _sentence_of(starts: list[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)
