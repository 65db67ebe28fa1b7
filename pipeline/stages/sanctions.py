"""Sanctions-event flagging stage: rule hits near sanctioned parties become an alert.

    TaggedArticle -> Alert | None

Rules are data (``seeds/rules/sanctions.toml`` and ``regimes.toml``), compiled once into a
:class:`RuleSet` by :func:`build_ruleset`. A trigger counts only in a sentence that is
not in another sense of "sanction" (negative context) and whose own or neighbouring
sentences name a sanctioned jurisdiction or watchlist party (or, for designations and
freezes, a sanctions authority). Every alert carries each hit with its sentence.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from pipeline.errors import FatalError
from pipeline.models import (
    EVENT_CODE_PATTERN,
    Alert,
    Entity,
    Evidence,
    Flow,
    Severity,
    Source,
    TaggedArticle,
    WatchlistHit,
    is_country,
)
from pipeline.stages.countries import Policy as CountryPolicy
from pipeline.stages.countries import countries_of, country_roles
from pipeline.stages.language import LETTER, SAMPLE_CHARS, identify
from pipeline.stages.scripts import has_cyrillic

_EVENT_CODE = re.compile(EVENT_CODE_PATTERN)
_REQUIRES = ("sanctioned", "authority")
# The keys the rules file may use, per table: any other key is a typo that would be
# ignored silently, so it stops start-up instead.
_KEYS = {
    "the rules file": {
        "version",
        "min_score",
        "min_event_score",
        "modifiers",
        "bonuses",
        "severity",
        "context",
        "event",
        "verbs",
    },
    "[context]": {
        "negative",
        "hedged",
        "prospective",
        "denied",
        "relief",
        "quantity",
        "negated",
        "backdrop",
        "dated",
    },
    "a local cue": {"patterns", "phrases", "examples", "counterexamples"},
    "[[event]]": {
        "code",
        "family",
        "anchors",
        "weight",
        "requires",
        "window",
        "description",
        "rule",
    },
    "[[event.rule]]": {
        "name",
        "patterns",
        "relief",
        "languages",
        "window",
        "yields_to",
        "not_alone",
        "yields_reach",
        "examples",
        "counterexamples",
    },
}


def _window(table: Mapping[str, Any], where: str, *, rule: bool = False) -> str:
    window = str(table.get("window", "adjacent"))
    allowed = ("adjacent", "sentence", "near") if rule else ("adjacent", "sentence")
    if window not in allowed:
        raise FatalError(f"{where}: window must be one of {', '.join(allowed)}")
    return window


def _yields_reach(table: Mapping[str, Any], where: str) -> int:
    reach = table.get("yields_reach", 0)
    if not isinstance(reach, int) or isinstance(reach, bool) or not 0 <= reach <= 2:
        raise FatalError(f"{where}: yields_reach must be 0, 1 or 2")
    if reach and not table.get("yields_to"):
        raise FatalError(f"{where}: yields_reach needs yields_to")
    return reach


def _check_keys(table: Mapping[str, Any], kind: str, where: str) -> None:
    unknown = sorted(set(table) - _KEYS[kind])
    if unknown:
        raise FatalError(f"{where}: unknown key(s) {', '.join(unknown)} in {kind}")


_AUTHORITY_EVENTS = frozenset({"sanctions_designation", "asset_freeze", "financial_sanctions"})
# Measures of a state whose evidence names who acts and against whom, beyond the rule
# families "measure" and "enforcement" (export controls are filed with evasion).
_ROLE_MEASURES = frozenset({"export_control", "un_sanctions_action"})
_FLOW_EVENTS = frozenset({"arms_transfer", "troop_deployment", "military_cooperation"})
_SUPPLY_VERB = (
    r"suppl(?:y|ies|ied|ying)|provid(?:e|es|ed|ing)|sen(?:d|ds|t|ding)|deliver(?:s|ed|ing)?"
    r"|ship(?:s|ped|ping)?|s(?:ell|ells|old|elling)|transferr?(?:s|ed|ing)?|g(?:ive|ave|iving)"
    r"|deploy(?:s|ed|ing)?|dispatch(?:es|ed|ing)?"
)
_FLOW_FROM_TO = re.compile(r"\s+to\s+")
_FLOW_VERB = re.compile(
    rf"\s+(?:[\w'-]+\s+){{0,4}}?(?:{_SUPPLY_VERB})\s+(?:(?:[\w'-]+\s+){{0,6}}?to\s+"
    r"(?:support\s+|help\s+|aid\s+|assist\s+)?)?",
    re.IGNORECASE,
)


# A detected language at least this sure selects the rules of its language.
LANGUAGE_CONFIDENCE = 0.5

# How far before a trigger a local cue of its language may start (in characters): a
# negation ("n'a pas imposé") qualifies the verb next to it, a backdrop clause ("after
# the West imposed sanctions", "in response to its nuclear test") may open further back.
NEGATION_REACH = 40
BACKDROP_REACH = 80
# A year-only date after a trigger ("ввел эмбарго в декабре 2013 года") qualifies it up to
# this many characters after its end (before it, up to BACKDROP_REACH).
DATED_REACH_AFTER = 50
_YEAR = re.compile(r"(?:19|20)\d\d")
# Between a cue and its trigger, any of these ends the cue's clause: "after the invasion,
# the EU imposed sanctions" is a new measure (a full stop too: the sentence splitter may
# have left two sentences as one).
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]|[.!?]\s|\s[-\u2013\u2014]\s")


@dataclass(frozen=True, slots=True)
class LocalCues:
    """Cues of one kind (``negated``, ``backdrop``) per language: each weighs down a trigger
    it stands just before, in its own clause, not the whole sentence. A language without
    cues of the kind (English) has none, and so has a sentence of unknown language: one
    language's cue words are another's ordinary words (Spanish "no", "ya")."""

    # language -> cues that open a clause or qualify the verb next to them ("bereits",
    # "после того как"): they count up to ``reach`` characters before the trigger
    by_language: Mapping[str, re.Pattern[str]]
    reach: int
    # whether a cue inside the trigger counts too (a negation does: "Sanktionen wurden
    # nicht verhängt"; a backdrop does not: "hob die seit 2010 bestehenden Sanktionen auf")
    inside: bool
    # language -> a preposition with the start of its phrase ("als Reaktion auf den
    # jüngsten"): it counts only for a trigger that starts within the phrase or right after
    # it, since no comma ends a German or Russian fronted phrase ("Trotz der Kritik
    # verhängt die EU Sanktionen" is a new measure)
    phrases: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    # language -> (sentences whose trigger a cue weighs down, sentences it leaves alone)
    examples: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)

    def qualify(self, sentence: str, start: int, end: int, language: str | None) -> bool:
        """Whether a cue of ``language`` qualifies the trigger ``sentence[start:end]``: it
        starts at most ``reach`` characters before the trigger with no clause break
        between its end and the trigger (or, if ``inside``, it lies within the trigger),
        or the trigger starts within a cue phrase or right after it."""
        if language is None:
            return False
        pattern = self.by_language.get(language)
        if pattern is not None:
            for cue in pattern.finditer(sentence, max(0, start - self.reach), end):
                if cue.start() >= start:
                    if self.inside:
                        return True
                    break
                if cue.end() >= start or not _CLAUSE_BREAK.search(sentence, cue.end(), start):
                    return True
        phrase = self.phrases.get(language)
        if phrase is not None:
            for cue in phrase.finditer(sentence, max(0, start - self.reach), start):
                if start <= cue.end() + 1:
                    return True
        return False


@dataclass(frozen=True, slots=True)
class DatedCues:
    """A date given by its year alone in the trigger's clause, before or after it ("adoptée
    en 2007", "в 2018 году США ввели", "ввел эмбарго в декабре 2013 года"): a measure of an
    earlier year than the article's is a past one, weighed as ``backdrop``. A new measure is
    dated by its day ("lundi", "23 октября"), and a year of the article's own or a later one
    says nothing. Per language, as the other local cues; an article without a publication
    date is taken to be of the latest year it names (none named: its triggers are left
    alone)."""

    by_language: Mapping[str, re.Pattern[str]]
    examples: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)

    def qualify(
        self, sentence: str, start: int, end: int, language: str | None, year: int | None
    ) -> bool:
        """Whether a year-only date of ``language`` earlier than ``year`` stands in the
        clause of the trigger ``sentence[start:end]``: ending at most BACKDROP_REACH
        characters before it, or starting at most DATED_REACH_AFTER after it, with no clause
        break between."""
        if language is None or year is None:
            return False
        pattern = self.by_language.get(language)
        if pattern is None:
            return False
        reach = (max(0, start - BACKDROP_REACH), end + DATED_REACH_AFTER)
        for cue in pattern.finditer(sentence, *reach):
            found = _YEAR.search(cue.group(0))
            if found is None or int(found.group(0)) >= year:
                continue
            if cue.end() <= start:
                if not _CLAUSE_BREAK.search(sentence, cue.end(), start):
                    return True
            elif cue.start() >= end and not _CLAUSE_BREAK.search(sentence, end, cue.start()):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    relief: bool
    pattern: re.Pattern[str]
    # the article languages it is for (the rules file's `languages`); empty: every language
    languages: frozenset[str] = frozenset()
    # sentences it must fire on, and must not (run by tests/unit/test_rule_examples.py)
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    # `window = "sentence"` on the rule: it counts only with a sanctioned party named in
    # its own sentence, whatever its event's window
    same_sentence: bool = False
    # `yields_to`: event codes whose hit in the same sentence takes this rule's hit's place
    # (a measure the Security Council takes is its action, not a designation)
    yields_to: frozenset[str] = frozenset()
    # `window = "near"` on the rule: its requirement may be met up to two sentences before
    # or after it (a trigger that names the sanctions it evades, "уклонение от санкций",
    # two sentences after its party), whatever its event's window
    near: bool = False
    # `not_alone`: countries that do not meet its requirement alone (a Russian article's
    # Russia, named at home): the trigger's sentence, or the one before or after, must also
    # name a listed party, a sanctions authority or another country
    not_alone: frozenset[str] = frozenset()
    # `yields_reach`: how many sentences on either side a `yields_to` hit reaches too
    # (0: only its own sentence)
    yields_reach: int = 0


@dataclass(frozen=True, slots=True)
class EventRule:
    code: str
    weight: float
    requires: str
    rules: tuple[Rule, ...]
    same_sentence: bool = False
    anchors: tuple[str, ...] = ()
    # the kind of action it reports (the rules file's `family`, else the code itself):
    # alert routing treats events of one family as one action
    family: str = ""
    # whether one of its rules has the "near" window
    near: bool = False


def _anchor_automaton(events: list[EventRule]) -> Any:
    """One Aho-Corasick automaton over every event's anchor stems (lower case): stem ->
    (its length, the events it can start). One pass over a sentence finds them all."""
    automaton = ahocorasick.Automaton()
    for stem, ids in _anchor_events(events).items():
        automaton.add_word(stem, (len(stem), ids))
    if len(automaton):
        automaton.make_automaton()
    return automaton


# ASCII punctuation (not "_", which is a word character here) as a space.
_ASCII_NON_WORD_TO_SPACE = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not (c.isalnum() or c == "_")}
)


def _word_start_automaton(events: list[EventRule]) -> Any:
    """The anchor stems with punctuation as spaces and one space in front, for searching
    an ASCII sentence translated the same way with a space in front: every hit then
    starts a word, and none has to be found inside a word and thrown away. A stem with
    punctuation ("ship-to-ship") also matches other punctuation there ("ship to ship"):
    more candidates, never fewer, and candidates only decide which patterns run."""
    automaton = ahocorasick.Automaton()
    merged: dict[str, set[int]] = {}
    for stem, events_of_stem in _anchor_events(events).items():
        key = " " + stem.translate(_ASCII_NON_WORD_TO_SPACE)
        merged.setdefault(key, set()).update(events_of_stem)
    for key, ids in merged.items():
        automaton.add_word(key, (len(key) - 1, frozenset(ids)))
    if len(automaton):
        automaton.make_automaton()
    return automaton


def _anchor_events(events: list[EventRule]) -> dict[str, frozenset[int]]:
    """anchor stem -> the indices of the events it can start. A stem also stands for every
    shorter stem it begins with ("sanctions committee" is a "sanction" too)."""
    own: dict[str, set[int]] = {}
    for i, e in enumerate(events):
        for a in e.anchors:
            own.setdefault(a, set()).add(i)
    return {
        stem: frozenset(i for other, ids in own.items() if stem.startswith(other) for i in ids)
        for stem in own
    }


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Compiled rules. Build once with :func:`build_ruleset`."""

    version: str
    min_score: float
    min_event_score: float
    modifiers: Mapping[str, float]
    bonuses: Mapping[str, float]
    severity: tuple[tuple[Severity, float], ...]
    negative: re.Pattern[str]
    hedged: re.Pattern[str]
    prospective: re.Pattern[str]
    denied: re.Pattern[str]
    quantity: re.Pattern[str]
    negated: LocalCues  # a negation just before a trigger ("n'a pas imposé")
    backdrop: LocalCues  # a past or background mention ("already", "in response to")
    dated: DatedCues  # a year-only date earlier than the article's ("en 2007", "в 2018 году")
    events: tuple[EventRule, ...]
    event_types: tuple[str, ...]  # the event codes, in the order the rules file gives them
    families: Mapping[str, str]  # event code -> the kind of action it reports
    anchor_automaton: Any  # ahocorasick.Automaton (untyped)
    word_start_automaton: Any  # the same stems, for ASCII text (_word_start_automaton)
    sanctioned: frozenset[str]
    designators: frozenset[str]
    all_events: frozenset[int]
    unanchored: frozenset[int]  # events declared without anchors: candidates everywhere
    country_policy: CountryPolicy  # what an alert's country roles need of the rules


def _alternation(patterns: list[str], where: str) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!x)x")  # matches nothing
    try:
        # The leading look-ahead lets the regex engine skip positions that cannot start a
        # word quickly: about twice as fast as the bare word boundary on news text.
        body = "|".join(f"(?:{p})" for p in patterns)
        return re.compile(r"(?=\w)\b(?:" + body + r")\b", re.I)
    except re.error as exc:
        raise FatalError(f"bad pattern in {where}: {exc}") from exc


def _dated_cues(table: Mapping[str, Any]) -> DatedCues:
    """``[context.dated.<language>]`` tables, compiled per language."""
    cues = _local_cues(table, "dated", BACKDROP_REACH, inside=False)
    if cues.phrases:
        raise FatalError("context.dated: phrases are not read (patterns only)")
    return DatedCues(cues.by_language, cues.examples)


def _local_cues(table: Mapping[str, Any], kind: str, reach: int, *, inside: bool) -> LocalCues:
    """``[context.<kind>.<language>]`` tables, compiled per language."""
    by_language: dict[str, re.Pattern[str]] = {}
    phrases: dict[str, re.Pattern[str]] = {}
    examples: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for language, cues in table.items():
        where = f"context.{kind}.{language}"
        _check_keys(cues, "a local cue", where)
        by_language[str(language)] = _alternation([str(p) for p in cues["patterns"]], where)
        if cues.get("phrases"):
            phrases[str(language)] = _alternation([str(p) for p in cues["phrases"]], where)
        examples[str(language)] = (
            tuple(str(x) for x in cues.get("examples", ())),
            tuple(str(x) for x in cues.get("counterexamples", ())),
        )
    return LocalCues(by_language, reach, inside, phrases, examples)


_MACRO = re.compile(r"\{([a-z][a-z_]*)\}")


def verb_forms(entry: str | list[str]) -> tuple[str, ...]:
    """A verb family of the rules file's ``[verbs]``: its forms as listed, or, for a base
    form, the regular English ones ("impose" -> imposes, imposed, imposing; "supply" ->
    supplies, supplied, supplying; "freeze" is irregular: list its forms)."""
    if not isinstance(entry, str):
        return tuple(str(f) for f in entry)
    base = entry
    if base.endswith("ee"):
        return (base, base + "s", base + "d", base + "ing")
    if base.endswith("e"):
        return (base, base + "s", base + "d", base[:-1] + "ing")
    if base.endswith("y") and len(base) > 2 and base[-2] not in "aeiou":
        return (base, base[:-1] + "ies", base[:-1] + "ied", base + "ing")
    if base.endswith(("s", "sh", "ch", "x", "z")):
        return (base, base + "es", base + "ed", base + "ing")
    return (base, base + "s", base + "ed", base + "ing")


def expand_macros(pattern: str, verbs: Mapping[str, tuple[str, ...]], where: str) -> str:
    """``pattern`` with every ``{verb}`` replaced by the alternation of its forms.

    Raises:
        FatalError: the pattern names a verb family ``[verbs]`` does not define.
    """

    def forms(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in verbs:
            raise FatalError(f"{where}: unknown verb family {{{name}}} (define it in [verbs])")
        return "(?:" + "|".join(sorted(verbs[name], key=len, reverse=True)) + ")"

    return _MACRO.sub(forms, pattern)


def derived_anchors(patterns: list[str], verbs: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The stems of the verb families the patterns use (their forms' common prefix, of
    four letters or more): anchors the rules need not list by hand."""
    out: set[str] = set()
    for p in patterns:
        for name in _MACRO.findall(p):
            stem = _common_prefix([f.lower() for f in verbs.get(name, ())])
            if len(stem) >= 4:
                out.add(stem)
    return out


def _common_prefix(words: list[str]) -> str:
    if not words:
        return ""
    first, last = min(words), max(words)
    n = 0
    while n < len(first) and first[n] == last[n]:
        n += 1
    return first[:n]


def build_ruleset(rules: Mapping[str, Any], regimes: Mapping[str, Any]) -> RuleSet:
    """Validate and compile the rule and regime documents (parsed TOML).

    Raises:
        FatalError: an unknown event code, a missing field, a bad regular expression.
    """
    try:
        _check_keys(rules, "the rules file", "rules")
        _check_keys(rules["context"], "[context]", "rules")
        verbs = {str(k): verb_forms(v) for k, v in rules.get("verbs", {}).items()}
        events = []
        for ev in rules["event"]:
            code = ev["code"]
            _check_keys(ev, "[[event]]", str(code))
            if not isinstance(code, str) or _EVENT_CODE.match(code) is None:
                raise FatalError(f"event code {code!r} in the rules is not lower_snake_case")
            if ev["requires"] not in _REQUIRES:
                raise FatalError(f"{code}: requires must be one of {_REQUIRES}")
            for r in ev["rule"]:
                _check_keys(r, "[[event.rule]]", f"{code}/{r.get('name')}")
            compiled = tuple(
                Rule(
                    r["name"],
                    bool(r.get("relief", False)),
                    _alternation(
                        [
                            expand_macros(str(p), verbs, f"{code}/{r['name']}")
                            for p in r["patterns"]
                        ],
                        f"{code}/{r['name']}",
                    ),
                    frozenset(str(lang) for lang in r.get("languages", ())),
                    tuple(str(x) for x in r.get("examples", ())),
                    tuple(str(x) for x in r.get("counterexamples", ())),
                    _window(r, f"{code}/{r['name']}", rule=True) == "sentence",
                    frozenset(str(c) for c in r.get("yields_to", ())),
                    _window(r, f"{code}/{r['name']}", rule=True) == "near",
                    frozenset(str(c).upper() for c in r.get("not_alone", ())),
                    _yields_reach(r, f"{code}/{r['name']}"),
                )
                for r in ev["rule"]
            )
            window = _window(ev, code)
            listed = [str(a).lower() for a in ev.get("anchors", ())]
            used = [str(p) for r in ev["rule"] for p in r["patterns"]]
            anchor_re = tuple(dict.fromkeys([*listed, *sorted(derived_anchors(used, verbs))]))
            events.append(
                EventRule(
                    code,
                    float(ev["weight"]),
                    ev["requires"],
                    compiled,
                    window == "sentence",
                    anchor_re,
                    str(ev.get("family", code)),
                    any(r.near for r in compiled),
                )
            )
        codes = {e.code for e in events}
        for e in events:
            for r in e.rules:
                if unknown := sorted(r.yields_to - codes):
                    raise FatalError(f"{e.code}/{r.name}: yields_to names no event: {unknown}")
        ctx = rules["context"]
        sev = rules["severity"]
        if ctx.get("dated") and "backdrop" not in rules["modifiers"]:
            raise FatalError("[context.dated] needs the backdrop factor in [modifiers]")
        for kind in ("negated", "backdrop"):
            if ctx.get(kind) and kind not in rules["modifiers"]:
                raise FatalError(f"[context.{kind}] needs its factor in [modifiers] ({kind} = ...)")
        sanctioned = frozenset(t.upper() for r in regimes["regime"] for t in r["targets"])
        designators = frozenset(c.upper() for c in regimes["designators"]["countries"])
        measures = {e.code for e in events if e.family in ("measure", "enforcement")}
        return RuleSet(
            version=str(rules["version"]),
            min_score=float(rules["min_score"]),
            min_event_score=float(rules["min_event_score"]),
            modifiers={k: float(v) for k, v in rules["modifiers"].items()},
            bonuses={k: float(v) for k, v in rules["bonuses"].items()},
            severity=(
                ("critical", float(sev["critical"])),
                ("high", float(sev["high"])),
                ("medium", float(sev["medium"])),
            ),
            negative=_alternation(ctx["negative"], "context.negative"),
            hedged=_alternation(ctx["hedged"], "context.hedged"),
            prospective=_alternation(ctx["prospective"], "context.prospective"),
            denied=_alternation(ctx["denied"], "context.denied"),
            quantity=_alternation(ctx["quantity"], "context.quantity"),
            negated=_local_cues(ctx.get("negated", {}), "negated", NEGATION_REACH, inside=True),
            backdrop=_local_cues(ctx.get("backdrop", {}), "backdrop", BACKDROP_REACH, inside=False),
            dated=_dated_cues(ctx.get("dated", {})),
            events=tuple(events),
            event_types=tuple(dict.fromkeys(e.code for e in events)),
            families={e.code: e.family for e in events},
            anchor_automaton=_anchor_automaton(events),
            word_start_automaton=_word_start_automaton(events),
            all_events=frozenset(range(len(events))),
            unanchored=frozenset(i for i, e in enumerate(events) if not e.anchors),
            sanctioned=sanctioned,
            designators=designators,
            country_policy=CountryPolicy(
                sanctioned, designators, frozenset(measures | _ROLE_MEASURES)
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FatalError(f"invalid rules document: {exc!r}") from exc


@dataclass(slots=True)
class _SentenceFacts:
    countries: set[str]
    sanctioned: bool
    authority: bool
    watchlist: bool
    sanctioned_actor: bool = False  # a sanctioned party named as more than background


# A country named only as the backdrop: "amid tensions with Russia", "in the face of
# Russia's invasion", "since Russia's full-scale invasion".
_BACKDROP_AFTER = re.compile(
    r"'s (?:full-scale |ongoing |brutal |unprovoked )?(?:war|invasion|aggression|offensive)\b"
)
_BACKDROP_BEFORE = re.compile(
    r"(?:amid|over|despite) (?:\w+ ){0,3}(?:with|from|by) $|in the face of $|"
    r"(?:tensions|war|conflict|confrontation) with $|(?:invasion|war) (?:of|in|against) $"
)


# Every branch of _BACKDROP_BEFORE ends in one of these: the regex is tried only then
# ("in Russia", the most frequent context, is not one of them).
_BACKDROP_BEFORE_ENDINGS = (
    "with ",
    "from ",
    "by ",
    "in the face of ",
    "invasion of ",
    "invasion in ",
    "invasion against ",
    "war of ",
    "war in ",
    "war against ",
    "\n",  # "$" also matches before a final newline
)


# The same in French, German, Spanish and Russian: the adversary or the war, not a party to
# the deal ("face à la menace russe", "pour se défendre contre la Russie", "wegen des
# russischen Angriffskriegs", "ante la amenaza rusa", "на фоне угрозы со стороны России").  # noqa: RUF003
# Asked only of text with a letter outside ASCII (these languages' articles have one).
_BACKDROP_AFTER_I18N = re.compile(
    r"\s+(?:Angriffskrieg|Invasion|Aggression|Überfall|Bedrohung|Kriegs?\b|Krieges\b"
    # the attack or advance it makes ("russischen Angriff", "российских атак")
    r"|Angriff\w*|Vormarsch\w*|Offensive|(?:атак|нападени|агресси|вторжени|наступлени)\w*)"
)
_BACKDROP_BEFORE_I18N = re.compile(
    r"(?:menace|invasion|agression|guerre|offensive|amenaza|invasión|agresión|guerra|ofensiva"
    r"|Bedrohung|Invasion|Aggression|Krieg|Angriffskrieg"
    r"|avancée|attaques?|bombardements?|avance|ataques?|bombardeos?)"
    r" (?:(?:de|par|menée par|contra|por|durch) )?(?:la |le |l'|les |el |los |der |des |die )?$"
    r"|face à (?:la |le |l'|les )?$|frente a (?:la |el |los )?$"
    # defending against it, not "sanctions against Iran for its drone deliveries"
    r"|(?:défendre|défense|protéger|combattre|sich|Verteidigung|defenderse|defensa|protegerse"
    r"|luchar) (?:contre|gegen|contra|de) (?:la |le |l'|les |el |los |die |das |den |dem )?$"
    # deterring or guarding against it ("zum Schutz vor Russland", "disuadir a Rusia")
    r"|(?:Schutz|Abschreckung|Abwehr) (?:vor|gegenüber|gegen) (?:dem |der |den |die |das )?$"
    r"|(?:disuadir|disuasión|protección|protegerse) (?:a|de|frente a|contra|ante)"
    r" (?:la |el |los )?$"
    # the front a deployment holds: "die Ostflanke gegen Russland stärken" (not a bare
    # "gegen": "Sanktionen gegen Iran wegen Drohnenlieferungen" names the supplier)
    r"|(?:Ostflanke|Flanke|Front|flanco(?: oriental)?|frente oriental) (?:gegen|contra|ante)"
    r" (?:die |den |der |dem |das |la |el |los )?$"
    # the army fought: "combaten contra el ejército ruso", "luchan contra las tropas rusas"
    r"|contra (?:el |la |los |las )?(?:ejército|fuerzas|tropas|soldados|militares) $"
    r"|(?:угроз\w*|агресси\w*|вторжени\w*|войн\w*|нападени\w*) (?:со стороны )?$"  # noqa: RUF001
    r"|(?:защит\w*|оборон\w*) (?:от|против) $|на фоне (?:\w+ ){0,2}?(?:с )?$"  # noqa: RUF001
)


def _backdrop(text: str, e: Entity, *, wide: bool = False) -> bool:
    """Whether the country ``e`` is named only as the backdrop; ``wide``: the text has a
    letter outside ASCII, so the French, German, Spanish and Russian phrasings are asked
    too."""
    if _BACKDROP_AFTER.match(text, e.end):
        return True
    before = text[max(0, e.start - 40) : e.start]
    if before.endswith(_BACKDROP_BEFORE_ENDINGS) and _BACKDROP_BEFORE.search(before):
        return True
    if not wide:
        return False
    return bool(_BACKDROP_AFTER_I18N.match(text, e.end) or _BACKDROP_BEFORE_I18N.search(before))


def _facts(
    entities: tuple[Entity, ...], n: int, rules: RuleSet, text: str = ""
) -> list[_SentenceFacts]:
    facts = [_SentenceFacts(set(), False, False, False) for _ in range(n)]
    wide = not text.isascii()
    for e in entities:
        if e.sentence >= n:
            continue
        f = facts[e.sentence]
        if is_country(e):
            f.countries.add(e.id)
            f.sanctioned |= e.id in rules.sanctioned
            if (
                e.id in rules.sanctioned
                and not f.sanctioned_actor
                and not _backdrop(text, e, wide=wide)
            ):
                f.sanctioned_actor = True
            f.authority |= e.id in rules.designators
        elif e.label == "WATCHLIST":
            f.watchlist = True
            f.sanctioned = True
            f.sanctioned_actor = True
            if e.country:
                f.countries.add(e.country)
        elif e.label == "ORGANIZATION" and (
            e.country in rules.designators or e.id in _AUTHORITY_IDS
        ):
            f.authority = True
    return facts


# International authorities that count as a sanctions actor without a country.
_AUTHORITY_IDS = frozenset({"un-security-council", "un-panel-of-experts", "msmt", "fatf", "iaea"})


def _requirement_met(
    facts: list[_SentenceFacts], i: int, event: EventRule, *, near: bool = False
) -> bool:
    """Whether the event's requirement holds for sentence ``i``: in its window, or, with
    ``near``, in the two sentences before and after it."""
    requires = event.requires
    if near:
        window = facts[max(0, i - 2) : i + 3]
        if any(f.sanctioned for f in window):
            return True
    elif event.same_sentence:
        window = facts[i : i + 1]
        if window[0].sanctioned_actor:
            return True
    else:
        window = facts[max(0, i - 1) : i + 2]
        if any(f.sanctioned for f in window):
            return True
    return requires == "authority" and any(f.authority for f in window)


def _kept(
    found: _SentenceHits, facts: list[_SentenceFacts], codes_at: Mapping[int, set[str]]
) -> list[tuple[EventRule, Rule, re.Match[str]]]:
    """The hits of a sentence that stand: a rule's hit yields to a hit of its
    ``yields_to`` events in the sentence (or within its ``yields_reach``), and a rule with
    ``not_alone`` countries needs more than them near by."""
    hits = list(found.hits)
    if any(rule.yields_to for _, rule, _ in hits):
        hits = [h for h in hits if not h[1].yields_to & _codes_near(codes_at, found.index, h[1])]
    if any(rule.not_alone for _, rule, _ in hits):
        hits = [h for h in hits if _beyond(facts, found.index, h[1].not_alone)]
    return hits


def _beyond(facts: list[_SentenceFacts], i: int, alone: frozenset[str]) -> bool:
    """Whether sentence ``i`` or a neighbour names more than the ``alone`` countries: a
    listed party, a sanctions authority or another country (always, without ``alone``)."""
    if not alone:
        return True
    return any(
        f.watchlist or f.authority or bool(f.countries - alone)
        for f in facts[max(0, i - 1) : i + 2]
    )


def _live_events(
    facts: list[_SentenceFacts], i: int, candidates: Iterable[int], rules: RuleSet
) -> tuple[list[int], set[int]]:
    """The candidate events of sentence ``i`` whose requirement holds, and among them those
    whose requirement holds only two sentences away (only their "near" rules may match)."""
    live, near_only = [], set()
    for c in candidates:
        event = rules.events[c]
        if _requirement_met(facts, i, event):
            live.append(c)
        elif event.near and _requirement_met(facts, i, event, near=True):
            live.append(c)
            near_only.add(c)
    return sorted(live), near_only


def flag(tagged: TaggedArticle, rules: RuleSet, *, use_anchors: bool = True) -> Alert | None:
    """An alert for the article, or ``None`` when its score stays under ``min_score``.

    ``use_anchors=False`` skips the anchor pre-filter (the tests compare both ways).
    """
    article = tagged.article
    text = article.text
    spans = article.sentences
    per_sentence = (
        _candidates_by_sentence(text, spans, rules)
        if use_anchors
        else dict.fromkeys(range(len(spans)), rules.all_events)
    )
    if not per_sentence:
        return None  # no sentence can match any rule
    facts = _facts(tagged.entities, len(spans), rules, text)
    has_title = bool(article.title)
    # Rules for other languages are skipped once the article's language is known
    # (confidently detected or given); otherwise every rule runs.
    confident = article.language_source in ("record", "page") or (
        (article.language_confidence or 0.0) >= LANGUAGE_CONFIDENCE
    )
    language = article.language if article.language and confident else None
    paragraph_language = _ParagraphLanguages(text, language)
    # the year a year-only date is compared with (only read in a language with dated cues)
    year = (
        _year_of(article.published_at) or _latest_year(text)
        if language in rules.dated.by_language
        else None
    )
    evidence: list[Evidence] = []
    weights: dict[str, list[float]] = {}
    found = _sentence_hits(
        text, spans, per_sentence, facts=facts, rules=rules, paragraph_language=paragraph_language
    )
    codes_at = {f.index: {event.code for event, _, _ in f.hits} for f in found}
    for f in found:
        for event, rule, m in _kept(f, facts, codes_at):
            modifier = _modifier(
                f.sentence,
                m,
                rules,
                headline=has_title and f.index == 0,
                language=f.language,
                year=year,
            )
            w = event.weight * modifier * (rules.modifiers["relief"] if rule.relief else 1.0)
            weights.setdefault(event.code, []).append(min(w, 0.95))
            evidence.append(
                Evidence(
                    event.code,
                    f"{event.code}/{rule.name}",
                    f.sentence,
                    f.start,
                    f.end,
                    f.index,
                    m.group(0),
                )
            )
    if not evidence:
        return None
    type_scores = {code: _noisy_or(ws) for code, ws in weights.items()}
    kept = [c for c in rules.event_types if type_scores.get(c, 0.0) >= rules.min_event_score]
    if not kept:
        return None
    evidence = [e for e in evidence if e.event_type in kept]
    ev_sentences = sorted({e.sentence for e in evidence})
    quantities = tuple(
        dict.fromkeys(
            q.group(0) for i in ev_sentences for q in rules.quantity.finditer(_sentence(article, i))
        )
    )
    terms = [type_scores[c] for c in kept]
    if any(facts[i].watchlist for i in ev_sentences):
        terms.append(rules.bonuses["watchlist"])
    if quantities:
        terms.append(rules.bonuses["quantity"])
    if len(ev_sentences) >= 3:
        terms.append(rules.bonuses["multi_sentence"])
    score = round(_noisy_or(terms), 3)
    if score < rules.min_score:
        return None
    flows = _flows(tagged, {e.sentence for e in evidence if e.event_type in _FLOW_EVENTS})
    roles = country_roles(
        text,
        spans,
        tagged.entities,
        evidence,
        flows,
        policy=rules.country_policy,
        title=has_title,
        language=language,
    )
    return Alert(
        alert_id=alert_id(article.id, rules.version),
        article_id=article.id,
        title=article.title,
        url=article.url,
        published_at=article.published_at,
        event_types=tuple(kept),
        countries=countries_of(roles, rules.sanctioned),
        country_roles=roles,
        watchlist=_watchlist(tagged.entities),
        score=score,
        severity=_severity(score, rules),
        evidence=tuple(evidence),
        flows=flows,
        quantities=quantities,
        rule_version=rules.version,
        sources=(
            Source(
                article.id,
                article.title,
                article.url,
                article.published_at,
                score,
                language=article.language,
            ),
        ),
        duplicate_of=article.duplicate_of,
        language=article.language,
    )


# A paragraph in another language than its article's (a Russian statement quoted on an
# English page) selects that language's rules. Telling it costs a language model run, so
# it is asked only of a paragraph with a sentence that can match, with at least this many
# letters, whose letters disagree with the article's language: an accented Latin letter or
# a letter of another script in an English article, no accented letter (or Cyrillic) in a
# French, German or Spanish one, no Cyrillic in a Russian one.
PARAGRAPH_LETTERS = 100
_NON_ASCII_LETTER = re.compile(r"[\u00c0-\u024f\u0370-\u1fff]")
_LATIN_ACCENTED = re.compile(r"[\u00c0-\u024f]")


class _ParagraphLanguages:
    """The language that selects the rules for a sentence: its paragraph's, where that
    is told apart from the article's, else the article's (``None``: every rule runs)."""

    __slots__ = ("_known", "_language", "_text")

    def __init__(self, text: str, language: str | None) -> None:
        self._text = text
        self._language = language
        self._known: dict[int, str | None] = {}

    def __call__(self, offset: int) -> str | None:
        if self._language is None:
            return None
        start = self._text.rfind("\n\n", 0, offset) + 1
        known = self._known.get(start, "")
        if known != "":
            return known
        end = self._text.find("\n\n", offset)
        paragraph = self._text[start : len(self._text) if end < 0 else end]
        found = self._language
        if (
            len(paragraph) >= PARAGRAPH_LETTERS
            and _disagrees(paragraph, self._language)
            and len(LETTER.findall(paragraph, 0, 2 * SAMPLE_CHARS)) >= PARAGRAPH_LETTERS
        ):
            told, confidence = identify(paragraph[:SAMPLE_CHARS])
            if confidence >= LANGUAGE_CONFIDENCE:
                found = told
        self._known[start] = found
        return found


def _disagrees(paragraph: str, language: str) -> bool:
    """Whether ``paragraph``'s letters make another language than ``language`` likely."""
    if language == "en":
        return not paragraph.isascii() and _NON_ASCII_LETTER.search(paragraph) is not None
    if language == "ru":
        return not has_cyrillic(paragraph)
    if language in ("fr", "de", "es"):
        return _LATIN_ACCENTED.search(paragraph) is None or has_cyrillic(paragraph)
    return False


@dataclass(frozen=True, slots=True)
class _SentenceHits:
    index: int
    start: int
    end: int
    sentence: str
    language: str | None  # the language that selects its rules
    hits: tuple[tuple[EventRule, Rule, re.Match[str]], ...]  # (event, its first rule, match)


def _sentence_hits(
    text: str,
    spans: tuple[tuple[int, int], ...],
    per_sentence: Mapping[int, AbstractSet[int]],
    *,
    facts: list[_SentenceFacts],
    rules: RuleSet,
    paragraph_language: _ParagraphLanguages,
) -> list[_SentenceHits]:
    """Every sentence's rule hits, before any yields to another's: sentences whose
    candidates meet their requirement, with a hit, not in another sense of "sanction"."""
    found = []
    for i, candidates in per_sentence.items():
        # The requirement (a sanctioned party or authority near by) is known from the
        # entities alone: checked before any pattern runs on the sentence.
        live, near_only = _live_events(facts, i, candidates, rules)
        if not live:
            continue
        start, end = spans[i]
        sentence = text[start:end]
        sentence_language = paragraph_language(start)
        actor_here = facts[i].sanctioned_actor
        hits = tuple(
            (event, rule, m)
            for c in live
            for event in (rules.events[c],)
            for rule, m in _first_match(
                event, sentence, sentence_language, actor_here, near_only=c in near_only
            )
        )
        # A sentence in another sense of "sanction" counts for nothing; asked only of a
        # sentence with a hit (most sentences with an anchor have none).
        if not hits or rules.negative.search(sentence):
            continue
        found.append(_SentenceHits(i, start, end, sentence, sentence_language, hits))
    return found


def _codes_near(codes_at: Mapping[int, set[str]], i: int, rule: Rule) -> set[str]:
    """The event codes hit in sentence ``i`` and, for a rule with ``yields_reach``, in the
    sentences that near it."""
    if not rule.yields_reach:
        return codes_at.get(i, set())
    near: set[str] = set()
    for j in range(i - rule.yields_reach, i + rule.yields_reach + 1):
        near |= codes_at.get(j, set())
    return near


def _first_match(
    event: EventRule,
    sentence: str,
    language: str | None,
    actor_here: bool = True,
    *,
    near_only: bool = False,
) -> tuple[tuple[Rule, re.Match[str]], ...]:
    """The event's first rule that matches ``sentence``, with its match (one hit per event
    type and sentence), or nothing. A rule for other languages than the article's is
    skipped (an article of no known language runs them all), and so is a rule of the
    sentence window in a sentence that names no sanctioned party (``actor_here``); with
    ``near_only`` (the requirement holds only two sentences away) only rules of the "near"
    window run."""
    for rule in event.rules:
        if rule.languages and language is not None and language not in rule.languages:
            continue
        if rule.same_sentence and not actor_here:
            continue
        if near_only and not rule.near:
            continue
        m = rule.pattern.search(sentence)
        if m is not None:
            return ((rule, m),)
    return ()


def _candidates(sentence: str, rules: RuleSet) -> set[int]:
    """The events that can match in ``sentence``: those with an anchor stem starting a word
    in it (and any event declared without anchors)."""
    found = set(rules.unanchored)
    for _, _, ids in _stem_hits(sentence.lower(), rules):
        found |= ids
    return found


def _stem_hits(low: str, rules: RuleSet) -> Iterator[tuple[int, int, frozenset[int]]]:
    """(start, end, events) of every anchor stem starting a word in lower-cased ``low``."""
    if not len(rules.anchor_automaton):
        return
    for last, (length, ids) in rules.anchor_automaton.iter(low):
        start = last - length + 1
        if start and (low[start - 1].isalnum() or low[start - 1] == "_"):
            continue  # inside a word: not where a stem starts
        yield start, last + 1, ids


def _candidates_by_sentence(
    text: str, spans: tuple[tuple[int, int], ...], rules: RuleSet
) -> dict[int, set[int]]:
    """:func:`_candidates` of every sentence that has some, by sentence index in text
    order, from one pass of an automaton over the whole text (a hit belongs to the
    sentence it lies in; whitespace between sentences and the start of a sentence both
    start a word, so the word-start test is unchanged)."""
    if text.isascii() and len(rules.word_start_automaton):
        # every word start made a space-preceded position (see _word_start_automaton);
        # padded[k] is text[k - 1], so a stem ending at padded[last] is text[last - length:last]
        padded = " " + text.lower().translate(_ASCII_NON_WORD_TO_SPACE)
        hits: Iterable[tuple[int, int, frozenset[int]]] = (
            (last - length, last, ids)
            for last, (length, ids) in rules.word_start_automaton.iter(padded)
        )
    else:
        low = text.lower()
        if len(low) != len(text):
            # Lower-casing changed some lengths ("\u0130" -> "i\u0307"): offsets would drift.
            each = ((i, _candidates(text[s:e], rules)) for i, (s, e) in enumerate(spans))
            return {i: found for i, found in each if found}
        hits = _stem_hits(low, rules)
    found: dict[int, set[int]] = (
        {i: set(rules.unanchored) for i in range(len(spans))} if rules.unanchored else {}
    )
    starts = [s for s, _ in spans]
    for start, end, ids in hits:
        i = bisect_right(starts, start) - 1
        if i >= 0 and end <= spans[i][1]:
            if i in found:
                found[i] |= ids
            else:
                found[i] = set(ids)
    return dict(sorted(found.items()))


def alert_id(article_id: str, rule_version: str) -> str:
    """Deterministic: the same article under the same rules always gives the same id."""
    digest = hashlib.blake2b(f"{article_id}\x00{rule_version}".encode(), digest_size=10)
    return f"alert-{digest.hexdigest()}"


def _sentence(article: Any, i: int) -> str:
    start, end = article.sentences[i]
    return str(article.text[start:end])


def _year_of(published_at: str | None) -> int | None:
    """The year of an ISO 8601 publication time, if it has one."""
    if published_at and len(published_at) >= 4 and published_at[:4].isdigit():
        return int(published_at[:4])
    return None


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:19[5-9]\d|20\d\d)(?!\d)")


def _latest_year(text: str) -> int | None:
    """The latest year the text names, for an article without a publication date: it was
    written that year or later (a year-only date before it is a past one)."""
    years = [int(y) for y in _YEAR_IN_TEXT.findall(text)]
    return max(years) if years else None


def _modifier(
    sentence: str,
    m: re.Match[str],
    rules: RuleSet,
    *,
    headline: bool,
    language: str | None,
    year: int | None = None,
) -> float:
    """Headline, denial, backdrop, prospect and hedge weights for one hit. A prospect
    ("would", "calls for") counts only just before the trigger: it qualifies that verb, not
    the whole sentence ("it would stop buying after the US imposed sanctions"); so do the
    local cues of the sentence's language, a negation ("n'a pas imposé") and a backdrop
    ("bereits verhängte", "в ответ на"), and a year-only date earlier than the article's
    ("adoptée en 2007")."""
    trigger_at = m.start()
    factor = rules.modifiers["headline"] if headline else 1.0
    if rules.denied.search(sentence):
        factor *= rules.modifiers["denied"]
    elif rules.negated.qualify(sentence, trigger_at, m.end(), language):
        factor *= rules.modifiers["negated"]
    elif rules.backdrop.qualify(sentence, trigger_at, m.end(), language) or rules.dated.qualify(
        sentence, trigger_at, m.end(), language, year
    ):
        factor *= rules.modifiers["backdrop"]
    elif rules.prospective.search(sentence, max(0, trigger_at - 40), trigger_at + 1):
        factor *= rules.modifiers["prospective"]
    elif rules.hedged.search(sentence):
        factor *= rules.modifiers["hedged"]
    return factor


def _noisy_or(values: list[float]) -> float:
    remaining = 1.0
    for v in values:
        remaining *= 1.0 - max(0.0, min(v, 1.0))
    return 1.0 - remaining


def _severity(score: float, rules: RuleSet) -> Severity:
    return severity_of(score, rules.severity)


def severity_of(score: float, thresholds: tuple[tuple[Severity, float], ...]) -> Severity:
    """``critical``/``high``/``medium`` by the first threshold reached, else ``low``."""
    for name, threshold in thresholds:
        if score >= threshold:
            return name
    return "low"


def _watchlist(entities: tuple[Entity, ...]) -> tuple[WatchlistHit, ...]:
    hits: dict[str, WatchlistHit] = {}
    for e in entities:
        if e.label == "WATCHLIST" and e.id not in hits:
            hits[e.id] = WatchlistHit(
                e.id, e.name or e.text, e.dataset or "", e.text, e.score or 1.0, e.features or ()
            )
    return tuple(hits.values())


def _flows(tagged: TaggedArticle, sentences: set[int]) -> tuple[Flow, ...]:
    """Supplier -> recipient pairs: "from X to Y", "X supplied Y with", "X sent troops to Y"."""
    text = tagged.article.text
    by_sentence: dict[int, list[Entity]] = {}
    for e in tagged.entities:
        if is_country(e) and e.sentence in sentences:
            by_sentence.setdefault(e.sentence, []).append(e)
    flows: dict[tuple[str, str], Flow] = {}
    for i, countries in sorted(by_sentence.items()):
        for a, b in itertools.pairwise(countries):
            if a.id == b.id:
                continue
            between = text[a.end : b.start]
            from_to = _FLOW_FROM_TO.fullmatch(between) and text[: a.start].lower().endswith("from ")
            if from_to or _FLOW_VERB.fullmatch(between):
                flows.setdefault((a.id, b.id), Flow(a.id, b.id, i))
    return tuple(flows.values())
