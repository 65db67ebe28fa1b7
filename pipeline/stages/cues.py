"""People and organisations that no list names, found by the form of the text.

One pass collects runs of capitalised words; each run is then judged by cheap look-ups:

- PERSON after a title ("lawmaker Lee Seong-kweun", "President Vladimir Putin",
  "Secretary of State Antony Blinken") or as a speaker ("Kari Egge said",
  "according to Maria Lopez");
- ORGANIZATION when the name ends in an organisational word ("... Program Administration",
  "Asia Sun Trading Co. Ltd.") or is "Ministry/Office/Bank ... of X".

Pure functions over the normalized text; offsets index into it.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from functools import lru_cache

# A capitalised word. Periods end runs: "... Byung-joo. Maria" is two runs, and so are
# "Co. Ltd." and initials, which costs little ("Trading Co" still ends in a suffix).
_TOKEN = r"[A-Z][\w'\u2019&-]*"  # noqa: S105 -- a regex, not a password
_RUN = re.compile(rf"{_TOKEN}(?: {_TOKEN})*")

TITLE_WORDS = frozenset(
    """president vice prime minister premier secretary chancellor senator sen rep
    representative congressman congresswoman lawmaker legislator governor gov mayor general
    gen lieutenant lt colonel col admiral adm commander marshal ambassador envoy spokesman
    spokeswoman spokesperson chairman chairwoman ceo director judge justice king queen prince
    crown sheikh ayatollah supreme leader dictator mr mrs ms dr professor prof analyst
    researcher official diplomat chief deputy foreign defence defense finance interior
    trade economy state senior sergeant sgt captain capt major maj pope patriarch""".split()
)
# Titles that stand before a name in lower case: "lawmaker Lee", "spokesman Ivan Ivanov".
_LOWER_TITLES = frozenset(
    """lawmaker legislator spokesman spokeswoman spokesperson minister president leader
    dictator analyst researcher official diplomat envoy ambassador general commander
    chairman director secretary senator governor mayor premier chancellor""".split()
)
NOT_NAME = frozenset(
    """the a an of and in on at for to with by from said says told this that these those
    it he she they we his her their its monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november
    december""".split()
)
ORG_SUFFIXES = frozenset(
    """agency organisation organization office department ministry council committee
    commission bank group corporation corp co company ltd limited inc llc plc jsc pjsc pte
    association federation foundation institute center centre service court fund programme
    program force forces party army navy guard corps exchange university administration
    authority bureau directorate industries holdings enterprise shipping airlines trading
    petroleum logistics network alliance union front movement brigade task""".split()
)
_ORG_HEADS = frozenset(
    """ministry department office bureau bank council committee commission institute
    university court agency federation association organization organisation academy
    centre center""".split()
)
_CONNECTORS = (" of the ", " of ", " for the ", " for ", " and ", " & ", " on ")
_SPEECH_VERBS = ("said", "says", "told", "added", "wrote", "noted", "warned", "stated")
_SPEECH_AFTER = re.compile(rf" (?:{'|'.join(_SPEECH_VERBS)})\b")
_SPEAKER_BEFORE = ("according to ", "quoted ", "said ")
_OFFICE_BEFORE = re.compile(
    r"\b(?:Secretary|Minister|Ambassador|Director|Chief|Head|"
    r"Commissioner|Envoy)(?:[- ]General)? (?:of|for|to) (?:the )?$"
)
_OFFICE_ENDINGS = ("of ", "for ", "to ", "the ", "\n")  # "$" matches before a final "\n" too
_LEADING_NOISE = frozenset("the a an in on at by for from with and of said".split())

SCORE_TITLE = 0.7
SCORE_SPEAKER = 0.6
SCORE_ORG_FORM = 0.6


@dataclass(frozen=True, slots=True)
class Cue:
    label: str
    start: int
    end: int
    score: float
    why: str


@dataclass(frozen=True, slots=True)
class _Run:
    start: int
    end: int
    tokens: tuple[tuple[str, int, int], ...]


def _tokens(text: str, start: int, end: int) -> tuple[tuple[str, int, int], ...]:
    out = []
    pos = start
    for tok in text[start:end].split(" "):
        out.append((tok, pos, pos + len(tok)))
        pos += len(tok) + 1
    return tuple(out)


@lru_cache(maxsize=65536)
def _norm(token: str) -> str:
    return token.lower().rstrip(".,").removesuffix("'s").removesuffix("\u2019s")


def _spans(text: str) -> list[tuple[int, int]]:
    """Runs of capitalised words as (start, end)."""
    return [m.span() for m in _RUN.finditer(text)]


def find(text: str, known: Container[tuple[int, int]] = ()) -> Iterator[Cue]:
    """Every PERSON and ORGANIZATION cue in ``text``, in text order (may overlap).

    Runs that are exactly a ``known`` span (already tagged from a list) are skipped.
    """
    spans = _spans(text)
    for i, (start, end) in enumerate(spans):
        if (start, end) in known:
            continue
        if text.find(" ", start, end) < 0 and not _single_may_matter(text, start, end):
            continue  # most runs: one capitalised word starting a sentence, or a name
        run = _Run(start, end, _tokens(text, start, end))
        person = _person(text, run)
        if person is not None:
            yield person
            continue
        org = _organization(text, spans, i, run)
        if org is not None:
            yield org


_JOIN_STARTS = (" of ", " and ", " for ", " & ", " on ")


def _single_may_matter(text: str, start: int, end: int) -> bool:
    """A one-word run counts only after a lower-case title or before a connector."""
    if text.startswith(_JOIN_STARTS, end):
        return True
    if start < 2 or not text[start - 2].islower():
        return False  # after a capitalised word, a period or a line break: no title cue
    space = text.rfind(" ", 0, start - 1)
    return text[space + 1 : start - 1] in _LOWER_TITLES


def _name_from(tokens: tuple[tuple[str, int, int], ...]) -> tuple[int, int] | None:
    """The span of up to four name tokens; stops at a non-name word or a possessive."""
    kept: list[tuple[str, int, int]] = []
    for tok, s, e in tokens[:4]:
        word = tok.lower().rstrip(".,")
        if word in NOT_NAME or word in TITLE_WORDS or word in ORG_SUFFIXES:
            break
        if tok.endswith(("'s", "\u2019s")):
            kept.append((tok, s, e - 2))
            break
        kept.append((tok, s, e))
    if not kept or sum(len(t) for t, _, _ in kept) < 3:
        return None
    start, end = kept[0][1], kept[-1][2]
    return start, end - 1 if kept[-1][0].endswith(".") and len(kept[-1][0]) > 2 else end


def _person(text: str, run: _Run) -> Cue | None:
    tokens = run.tokens
    before = text[max(0, run.start - 40) : run.start]
    before_words = before.split()
    prev_word = before_words[-1].lower() if before_words else ""
    # _OFFICE_BEFORE is tried only when ``before`` ends as every match of it does.
    if len(tokens) >= 3 and before.endswith(_OFFICE_ENDINGS) and _OFFICE_BEFORE.search(before):
        span = _name_from(tokens[-2:])  # "Secretary of State | Antony Blinken"
        return Cue("PERSON", *span, SCORE_TITLE, "title cue") if span else None
    lead = 0
    while lead < len(tokens) and _norm(tokens[lead][0]) in TITLE_WORDS:
        lead += 1
    if (lead or prev_word in _LOWER_TITLES) and lead < len(tokens):
        span = _name_from(tokens[lead:])
        if span:
            return Cue("PERSON", *span, SCORE_TITLE, "title cue")
        return None
    if 2 <= len(tokens) <= 4 and (
        _SPEECH_AFTER.match(text, run.end) or before.endswith(_SPEAKER_BEFORE)
    ):
        if any(_norm(t) in ORG_SUFFIXES or _norm(t) in TITLE_WORDS for t, _, _ in tokens):
            return None
        span = _name_from(tokens)
        if span and span[1] == run.end:
            return Cue("PERSON", *span, SCORE_SPEAKER, "speaker cue")
    return None


def _organization(text: str, spans: list[tuple[int, int]], i: int, run: _Run) -> Cue | None:
    """The longest org-shaped name starting with run ``i`` (joined over "of", "and", ...)."""
    start = run.start
    words = [t for t, _, _ in run.tokens]
    while words and words[0].lower() in _LEADING_NOISE:
        start = run.tokens[len(run.tokens) - len(words) + 1][1] if len(words) > 1 else -1
        words = words[1:]
    if start < 0 or not words:
        return None
    best: tuple[int, int] | None = None
    end = run.end
    head = _norm(words[0]) in _ORG_HEADS
    last = _norm(words[-1])
    if last in ORG_SUFFIXES and any(_norm(w) not in ORG_SUFFIXES for w in words):
        best = (start, end)
    j = i
    while j + 1 < len(spans) and j - i < 3:
        gap = text[spans[j][1] : spans[j + 1][0]]
        if gap not in _CONNECTORS:
            break
        left_last = text[spans[j][0] : spans[j][1]].rsplit(" ", 1)[-1]
        if gap in (" and ", " & ") and _norm(left_last) in ORG_SUFFIXES:
            break  # "X Administration and Y Shipping" are two names
        j += 1
        end = spans[j][1]
        last = _norm(text[spans[j][0] : end].rsplit(" ", 1)[-1])
        if last in ORG_SUFFIXES or (head and gap.startswith(" of")):
            best = (start, end)
    if best is None or len(text[best[0] : best[1]].split()) < 2:
        return None
    return Cue("ORGANIZATION", best[0], best[1], SCORE_ORG_FORM, "name form")
