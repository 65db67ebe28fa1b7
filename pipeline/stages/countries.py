"""An alert's countries with their roles, each with the sentence that gives it.

    (article text, entities, evidence, flows) -> tuple[CountryRole, ...]

Roles, read from the evidence sentences and the title (docs/rules.md, "Countries and
their roles"):

- ``target``: a sanctioned jurisdiction, a listed party's country, or the country a
  measure is against ("sanctions on Haiti's former leader", "export curbs to China");
- ``designator``: the state that acts in a measure or an enforcement action: a
  designating state of the regimes table in its evidence, or a country that is the
  sentence's actor ("Germany has confiscated ...", "the Japanese government said ...",
  "... frozen by Switzerland");
- ``supplier`` and ``recipient``: both ends of a flow ("from North Korea to Russia"),
  and suppliers named by their nationality ("Chinese suppliers");
- ``intermediary``: where goods or money pass ("via the UAE", "transshipped through
  Malaysia");
- ``location``: where parties are based ("firms based in Turkey and the UAE",
  "Hong Kong-based", "companies located in Armenia, China and Malta", "Emirati firms").

A country has every role the text gives it. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from pipeline.models import CountryRole, CountryRoleName, Entity, Evidence, Flow, is_country

_LOCATED = re.compile(
    r"\b(?:based|located|registered|headquartered|incorporated|domiciled|operating|"
    r"residents?|nationals?|basée?s?|situées?|établies?|ansässig(?:e|en)?|mit\s+Sitz|"
    r"con\s+sede|radicad[oa]s?|ubicad[oa]s?|зарегистрированн\w*|базирующ\w*)\s+"
    r"(?:in|at|out\s+of|of|en|au|aux|à|dans|в|на)\s+"
    # "radicadas en varios países europeos como Chipre", "ansässig in Ländern wie Zypern"
    r"(?:(?:\w+\s+){0,2}?(?:países|Ländern)\s+(?:\w+\s+)?(?:como|wie)\s+)?"
    r"(?:the\s+|l[ae]\s+|les\s+|el\s+|der\s+)?$",
    re.IGNORECASE,
)
# The phrasings below are French and Russian (2026.12.01-35), asked only of an article in one
# of those languages (``_FR_RU``): where a party is: "enregistré au Liberia", "sous pavillon
# du Panama", "au large de Chypre", "компании из Китая", "под флагом Панамы", "у берегов Кипра"  # noqa: RUF003
_LOCATED_FR_RU = re.compile(
    r"\b(?:enregistrée?s?|immatriculée?s?|domiciliée?s?|implantée?s?)\s+(?:en|au|aux|à)\s+$"
    r"|\bsous\s+pavillons?\s+(?:du\s+|de\s+la\s+|des\s+|de\s+l'|d')?$|\bau\s+large\s+(?:de|du|des|d')\s*$"
    r"|\b(?:компани|фирм|организаци|предприяти|банк|структур|поставщик|производител|лиц)\w*"
    r"\s+(?:\w+\s+){0,2}?из\s+$"
    r"|\b(?:под\s+флаг(?:ом|ами)|у\s+берегов|находящ\w*\s+в|расположенн\w*\s+в)\s+$",  # noqa: RUF001
    re.IGNORECASE,
)
_BASED_AFTER = re.compile(r"^-?(?:based|registered|headquartered)\b", re.IGNORECASE)
_THROUGH = re.compile(
    r"\b(?:via|through|transit(?:ed|ing)?(?:\s+(?:through|in|via))?|"
    r"trans-?ship(?:ped|ping|ment)?(?:\s+(?:through|in|via))?|routed\s+(?:through|via)|"
    r"re-?exported\s+(?:through|from|via)|par\s+l'interm[ée]diaire\s+d[eu]s?|über|"
    r"a\s+trav[ée]s\s+de|через)\s+(?:the\s+|l[ae]\s+|el\s+|den\s+|die\s+)?$",
    re.IGNORECASE,
)
# A list of countries goes on: "in Armenia, China, Malta and the UAE".
_LIST_GAP = re.compile(r"^\s*(?:,|,?\s+(?:and|or|et|und|y|и))\s+(?:the\s+)?$", re.IGNORECASE)
# ... with the preposition repeated at each item in French and Russian: "en Turquie, aux
# Emirats arabes unis et au Japon", "из Индии и три из Малайзии"
_LIST_GAP_FR_RU = re.compile(
    r"^\s*(?:,|,?\s+(?:et|и))\s+(?:(?:aux?|à|en|du|des|de\s+la|de\s+l'|la|le|les|l')\s*"
    r"|(?:\w+\s+)?(?:из|в|во)\s+)$"
    # a count before each item: "двух фирм из ОАЭ, одной индийской и одной иранской"
    r"|^\s*(?:,|,?\s+и)\s+(?:одн|дв|тр|четыр|пят|шест|нескольк)\w*\s+$",
    re.IGNORECASE,
)
_PARTY_NOUN = re.compile(
    r"^\W*(?:\w+\s+){0,2}?(?:firms?|compan(?:y|ies)|entit(?:y|ies)|businesses|individuals|"
    r"nationals|networks?|front\s+compan(?:y|ies)|traders?|brokers?|intermediar(?:y|ies)|"
    r"banks?|shipping|exchanges?)\b",
    re.IGNORECASE,
)
# Russian: "китайских организаций", "турецких компаний"
_PARTY_NOUN_RU = re.compile(
    r"^\W*(?:\w+\s+){0,2}?(?:компани|фирм|организаци|предприяти|банк|структур|поставщик)\w*",
    re.IGNORECASE,
)
# French puts the demonym after its noun: "deux sociétés iraniennes", "53 entités,
# majoritairement russes et chinoises" (2026.12.01-35)
_PARTY_NOUN_BEFORE = re.compile(
    r"\b(?:sociétés?|entreprises?|entités?|firmes?|banques?|compagnies?|ressortissants?|"
    r"fournisseurs?|intermédiaires?|navires?|pétroliers?|armateurs?)\W+(?:\w+\s+)?$",
    re.IGNORECASE,
)
_SUPPLIER_NOUN = re.compile(
    r"^\W*(?:\w+\s+){0,2}?(?:suppliers?|exporters?|manufacturers?|vendors?|producers?|"
    r"arms\s+dealers?)\b",
    re.IGNORECASE,
)
_ACTOR_NOUN = re.compile(
    r"^\W*(?:(?:foreign|finance|economy|justice|trade|defen[cs]e|interior)\s+)?"
    r"(?:government|authorities|officials|ministry|minister|treasury|department|navy|"
    r"coast\s+guard|police|court|prosecutors|customs|regulators?|state|administration|"
    r"cabinet|parliament|federal|gouvernement|autorités|Regierung|Behörden|gobierno|"
    r"autoridades|правительство|власти|МИД|Минфин)\b",
    re.IGNORECASE,
)
# The government's noun before the country in Russian and French (2026.12.01-35): "Власти
# Италии", "Министерство торговли США", "le gouvernement du Japon", "les autorités italiennes",
# "la justice américaine".
_ACTOR_BEFORE = re.compile(
    r"(?:\b(?:власти|правительств\w*|министерств\w*(?:\s+\w+){0,2}?|минфин\w*|минторг\w*|"
    r"минюст\w*|МИД|госдеп\w*|казначейств\w*|прокуратур\w*|таможн\w*|полици\w*|ведомств\w*|"
    r"суд|суда|парламент\w*|посольств\w*)"
    r"|\b(?:gouvernement|autorités|Trésor|ministère(?:\s+[\w'-]+){0,3}?|justice|douanes?|"
    r"département\s+d.État|administration|diplomatie|marine|garde-côtes|parquet|tribunal)"
    r"(?:\s+(?:du|de\s+la|des|de\s+l'|d'))?)\s*$",
    re.IGNORECASE,
)
# Before the actor at the start of a clause: "On Monday, ", "The ", "Meanwhile ".
_CLAUSE_START = re.compile(
    r"(?:^|[;:]\s+|,\s+(?:and|while|but)\s+|\b(?:and|while|but)\s+)"
    r"(?:(?:the|on\s+\w+|in\s+\w+|on\s+\w+\s+\d+|last\s+\w+|this\s+\w+|earlier|meanwhile|"
    r"separately|also|now|le|la|les|el|los|las|der|die|das|am\s+\w+)\W+)*$",
    re.IGNORECASE,
)
_BY = re.compile(
    r"\b(?:by|par|durch|von|por)\s+(?:the\s+|la\s+|le\s+|l'|el\s+|den\s+|die\s+|der\s+)?"
    r"(?:government\s+of\s+)?$",
    re.IGNORECASE,
)
_AGAINST = re.compile(
    r"\b(?:against|on|to|targeting|contre|sur|vers|gegen|auf|nach|contra|sobre|hacia|"
    r"против|в\s+отношении)\s+(?:the\s+|la\s+|le\s+|l'|el\s+|den\s+|die\s+)?$",
    re.IGNORECASE,
)


# The same after a trigger in Russian and French, with the party's noun between (2026.12.01-35):
# "санкции в отношении фирм Армении, Грузии и Казахстана", "против компаний из",
# "à l'encontre de la Russie"; a list goes on from it.
_AGAINST_I18N = re.compile(
    r"\b(?:против|в\s+отношении)\s+(?:\w+\s+){0,3}?$"
    r"|\b(?:à\s+l.encontre\s+(?:de\s+la|de\s+l'|du|des|de|d')|visant\s+(?:la|le|l'|les))\s*$",
    re.IGNORECASE,
)


# Evidence that authorities pursue (evasion, export-control breaches, theft): in French and
# Russian the state whose agency is named before it acts (not a state that reports troops).
_PURSUED = frozenset({"sanctions_evasion", "export_control", "cyber_theft"})
# The languages the _FR_RU phrasings are asked of; their lists of countries also go on with
# the first one's role, whatever it is (2026.12.01-35; the other languages keep their rules).
_FR_RU = frozenset({"fr", "ru"})


# German and Spanish: a designating state named as the war's theatre or victim, not as an
# actor ("wegen des Angriffskriegs in der Ukraine", "des Ukraine-Kriegs", "por la guerra
# en Ucrania", "tras la invasión de Ucrania"). Asked only of German and Spanish articles.
_WAR_BEFORE_DE_ES = re.compile(
    r"\b(?:Krieg\w*|Angriffskrieg\w*|Invasion|Überfall\w*|Einmarsch\w*|Aggression|Angriff\w*"
    r"|guerra|invasión|agresión|ofensiva|conflicto|ataques?)"
    r"\s+(?:in|gegen|auf|en|contra|de|a)\s+(?:die\s+|der\s+|den\s+|la\s+|el\s+)?$",
    re.IGNORECASE,
)
_WAR_AFTER_DE_ES = re.compile(r"^-(?:Krieg|Kriegs|Kriege|Konflikt|Invasion)\w*", re.IGNORECASE)
_WAR_LANGUAGES = frozenset({"de", "es"})
# German and Spanish enforcement stories name where the seizure, the arrest or the trial
# happens by its city ("un yate retenido en Palma", "vor dem Landgericht in Kiel") or
# its country after "in/en/aus" ("almacenados en España"): that state
# enforces, and the story is about it (asked only of those languages' enforcement evidence).
_ENFORCEMENT_EVENTS = frozenset({"asset_freeze", "sanctions_evasion", "export_control"})
_IN_DE_ES = re.compile(r"\b(?:in|en|aus)\s+(?:der\s+|dem\s+|den\s+|la\s+|el\s+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Policy:
    """What the roles need from the rules: the sanctioned jurisdictions, the designating
    states, and the event types whose evidence is a measure or an enforcement action."""

    sanctioned: Collection[str]
    designators: Collection[str]
    measures: Collection[str]


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    start: int
    end: int
    measure: bool  # its evidence is a measure or an enforcement action
    triggers: tuple[int, ...]  # where its rules matched (offsets in text)
    fr_ru: bool = False  # the article is French or Russian: the _FR_RU phrasings count
    pursued: bool = False  # its evidence is evasion or theft that authorities pursue
    language: str | None = None  # the article's, where known
    enforcement: bool = False  # its evidence is an enforcement action (seizure, evasion)


def country_roles(
    text: str,
    sentences: Sequence[tuple[int, int]],
    entities: Iterable[Entity],
    evidence: Sequence[Evidence],
    flows: Iterable[Flow],
    *,
    policy: Policy,
    title: bool = True,
    language: str | None = None,
) -> tuple[CountryRole, ...]:
    """Every (country, role) the evidence sentences (and the title, when ``title``) give,
    first sentence first. ``language``: the article's, where known. In a French or Russian
    article a list goes on with any role its first country has ("Страны G7 (Великобритания,
    Германия, Италия ...) запретят", "la France, l'Allemagne et l'Italie ont gelé"); German
    and Spanish read a designating state named as the war's theatre as no designator."""
    fr_ru = language in _FR_RU
    by_sentence: dict[int, list[Evidence]] = {}
    for ev in evidence:
        by_sentence.setdefault(ev.sentence, []).append(ev)
    if title and sentences:
        by_sentence.setdefault(0, [])
    roles: dict[tuple[str, CountryRoleName], CountryRole] = {}
    mentions: dict[int, list[Entity]] = {}
    for e in entities:
        if e.country and _counts(e):
            mentions.setdefault(e.sentence, []).append(e)
    for i in sorted(mentions):
        start, end = sentences[i]
        evs = by_sentence.get(i)
        if evs is None:
            # a sentence without evidence: where the article's parties are based and
            # where goods pass, nothing else
            _places(text, (start, end), mentions[i], roles, i, fr_ru=fr_ru)
            continue
        where = _Sentence(
            text,
            start,
            end,
            # the title of an alert about a measure names who acts in it
            any(ev.event_type in policy.measures for ev in (evs or evidence if i == 0 else evs)),
            tuple(t for ev in evs if (t := text.find(ev.trigger, start, end)) >= 0),
            fr_ru,
            any(ev.event_type in _PURSUED for ev in evs),
            language,
            any(ev.event_type in _ENFORCEMENT_EVENTS for ev in evs),
        )
        located_from: int | None = None  # the end of the mention a list of places goes on from
        chain_role: CountryRoleName | None = None  # the role a list goes on with
        for e in sorted(mentions[i], key=lambda e: e.start):
            country = e.country or ""
            if e.label == "WATCHLIST" or (is_country(e) and e.id in policy.sanctioned):
                roles.setdefault((country, "target"), CountryRole(country, "target", i))
            chained = located_from is not None and _list_goes_on(
                text[located_from : e.start], fr_ru=fr_ru
            )
            role = chain_role if chained else _role(e, where, policy)
            # a list goes on with a place, or with a target named after a Russian or French
            # "against" (not an English one: its figures stay as they were)
            chain_role = (
                role
                if role == "location"
                or (role == "target" and (chained or _against_i18n(e, where)))
                or (role is not None and fr_ru)
                else None
            )
            located_from = e.end if chain_role is not None else None
            if role is not None:
                roles.setdefault((country, role), CountryRole(country, role, i))
    for f in flows:
        roles.setdefault((f.supplier, "supplier"), CountryRole(f.supplier, "supplier", f.sentence))
        roles.setdefault(
            (f.recipient, "recipient"), CountryRole(f.recipient, "recipient", f.sentence)
        )
    return tuple(sorted(roles.values(), key=lambda r: (r.sentence, r.country, r.role)))


def _places(
    text: str,
    bounds: tuple[int, int],
    found: list[Entity],
    roles: dict[tuple[str, CountryRoleName], CountryRole],
    i: int,
    *,
    fr_ru: bool = False,
) -> None:
    """Locations and intermediaries of one sentence without evidence."""
    start, end = bounds
    located_from: int | None = None
    for e in sorted(found, key=lambda e: e.start):
        country = e.country or ""
        before = text[max(start, e.start - 80) : e.start]
        after = text[e.end : min(end, e.end + 60)]
        chained = located_from is not None and _list_goes_on(
            text[located_from : e.start], fr_ru=fr_ru
        )
        role: CountryRoleName | None = None
        if chained or _located(before, after, fr_ru=fr_ru):
            role = "location"
        elif _THROUGH.search(before):
            role = "intermediary"
        located_from = e.end if role == "location" else None
        if role is not None:
            roles.setdefault((country, role), CountryRole(country, role, i))


def _role(e: Entity, where: _Sentence, policy: Policy) -> CountryRoleName | None:
    """The role the words around one mention give its country, if any."""
    before = where.text[max(where.start, e.start - 80) : e.start]
    after = where.text[e.end : min(where.end, e.end + 60)]
    if _located(before, after, fr_ru=where.fr_ru):
        return "location"
    if _THROUGH.search(before):
        return "intermediary"
    if e.label == "NORP":
        norp = _norp_role(where, before, after)
        if norp is not None:
            return norp
    # German and Spanish: the war's theatre ("Angriffskrieg in der Ukraine") acts in nothing
    theatre = where.language in _WAR_LANGUAGES and bool(
        _WAR_BEFORE_DE_ES.search(before) or _WAR_AFTER_DE_ES.match(after)
    )
    if not theatre and _enforced_in(e, where, policy, before):
        return "location"  # where the enforcement happens: "retenido en Palma"
    if not where.measure:
        return "designator" if _pursuer(e, where, policy) else None
    if e.country in policy.designators and (is_country(e) or e.label == "ORGANIZATION"):
        if theatre:
            return None
        return "designator"  # a designating state in a measure's evidence
    first_trigger = min(where.triggers, default=where.end)
    after_trigger = any(t < e.start for t in where.triggers)
    if e.end <= first_trigger and _actor(e, where, after, policy):
        return "designator"
    if after_trigger and _BY.search(before):
        return "designator"
    if after_trigger and (_AGAINST.search(before) or _against_i18n(e, where)):
        return "target"
    return None


def _norp_role(where: _Sentence, before: str, after: str) -> CountryRoleName | None:
    """A nationality word's role from the noun it qualifies: suppliers, or parties."""
    if _SUPPLIER_NOUN.match(after):
        return "supplier"
    if _PARTY_NOUN.match(after) or (
        where.fr_ru and (_PARTY_NOUN_RU.match(after) or _PARTY_NOUN_BEFORE.search(before))
    ):
        return "location"
    return None


def _enforced_in(e: Entity, where: _Sentence, policy: Policy, before: str) -> bool:
    """German and Spanish enforcement evidence: is ``e`` where it happens (a city, or a
    state after "in/en/aus") and not a sanctioned state?"""
    return (
        where.enforcement
        and where.language in _WAR_LANGUAGES
        and e.country not in policy.sanctioned
        and (e.label == "LOCATION" or (is_country(e) and bool(_IN_DE_ES.search(before))))
    )


def _pursuer(e: Entity, where: _Sentence, policy: Policy) -> bool:
    """In French and Russian, the state whose authorities act against evasion or theft:
    "Les douanes françaises ont découvert", "Le FBI impute", "Минюст США сообщил" (its
    government's noun or agency before the trigger)."""
    if not (where.fr_ru and where.pursued and e.end <= min(where.triggers, default=where.end)):
        return False
    if e.label == "ORGANIZATION" and e.country in policy.designators:
        return True
    return is_country(e) and bool(
        _ACTOR_BEFORE.search(where.text[max(where.start, e.start - 60) : e.start])
    )


def _against_i18n(e: Entity, where: _Sentence) -> bool:
    """A Russian or French "against" before ``e``, after a trigger of its sentence."""
    if not where.fr_ru or not any(t < e.start for t in where.triggers):
        return False
    return bool(_AGAINST_I18N.search(where.text[max(where.start, e.start - 80) : e.start]))


def _located(before: str, after: str, *, fr_ru: bool) -> bool:
    """Whether the words around a mention make it where a party is based."""
    if _LOCATED.search(before) or _BASED_AFTER.match(after):
        return True
    return fr_ru and _LOCATED_FR_RU.search(before) is not None


def _list_goes_on(gap: str, *, fr_ru: bool) -> bool:
    """Whether ``gap`` between two mentions goes on with a list."""
    return bool(_LIST_GAP.match(gap) or (fr_ru and _LIST_GAP_FR_RU.match(gap)))


def _counts(e: Entity) -> bool:
    """A mention that can give a country a role: a country, a demonym, a city, a listed
    party, or an organisation of a state (OFAC is the US)."""
    return is_country(e) or e.label in ("LOCATION", "WATCHLIST", "ORGANIZATION")


def _actor(e: Entity, where: _Sentence, after: str, policy: Policy) -> bool:
    """Is ``e`` the one acting in its clause: a state's organisation, a country at the
    start of a clause, or a country or demonym followed by its government's noun?"""
    if e.label == "ORGANIZATION":
        return e.country in policy.designators
    if e.label not in ("COUNTRY", "NORP"):
        return False
    if _ACTOR_NOUN.match(after):
        return True
    if where.fr_ru and _ACTOR_BEFORE.search(where.text[max(where.start, e.start - 60) : e.start]):
        return True
    return e.label == "COUNTRY" and bool(_CLAUSE_START.search(where.text[where.start : e.start]))


def countries_of(roles: Iterable[CountryRole], sanctioned: Collection[str]) -> tuple[str, ...]:
    """The alert's countries: every country with a role, sanctioned ones first, then by
    how many roles and sentences give it."""
    counts: dict[str, int] = {}
    for r in roles:
        counts[r.country] = counts.get(r.country, 0) + 1
    return tuple(sorted(counts, key=lambda c: (c not in sanctioned, -counts[c], c)))
