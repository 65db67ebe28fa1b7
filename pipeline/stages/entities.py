"""Entity tagging stage: countries, organisations, watchlist parties and vessels.

    NormalizedArticle -> tuple[Entity, ...]

Every entity carries its offsets into ``article.text`` and its sentence index. A name on
the sanctions watchlist yields two entities over the same span: one with its own label
(PERSON, ORGANIZATION, VESSEL) and one WATCHLIST entity naming the list entry.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.models import Entity, NormalizedArticle
from pipeline.stages.gazetteer import Alias, Case, Gazetteer, fold

_SCHEMA_LABEL = {
    "Person": "PERSON",
    "Vessel": "VESSEL",
    "Organization": "ORGANIZATION",
    "Company": "ORGANIZATION",
    "LegalEntity": "ORGANIZATION",
    "PublicBody": "ORGANIZATION",
}
_IMO = re.compile(r"\bIMO(?:\s+(?:No\.?|number|#))?[\s:]*(\d{7})\b")


@dataclass(frozen=True, slots=True)
class WatchlistEntry:
    """One sanctioned party, from a FollowTheMoney entity."""

    id: str
    schema: str
    name: str
    names: tuple[str, ...]
    weak_aliases: tuple[str, ...]
    countries: tuple[str, ...]
    datasets: tuple[str, ...]
    imo_numbers: tuple[str, ...]


def watchlist_entry(doc: Mapping[str, Any]) -> WatchlistEntry | None:
    """Build an entry from one FollowTheMoney JSON object; ``None`` when it has no name.

    Raises:
        KeyError, TypeError: the object is not a FollowTheMoney entity.
    """
    props = doc["properties"]
    names = [str(n) for n in props.get("name", [])]
    if not names:
        return None
    aliases = [str(a) for a in props.get("alias", [])]
    return WatchlistEntry(
        id=str(doc["id"]),
        schema=str(doc.get("schema", "LegalEntity")),
        name=names[0],
        names=tuple(dict.fromkeys(names + aliases)),
        weak_aliases=tuple(str(a) for a in props.get("weakAlias", [])),
        countries=tuple(str(c).upper() for c in props.get("country", [])),
        datasets=tuple(str(d) for d in doc.get("datasets", [])) or ("watchlist",),
        imo_numbers=tuple(str(i).removeprefix("IMO").strip() for i in props.get("imoNumber", [])),
    )


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
            for surface in source:
                case = Case.EXACT if surface.replace(".", "").isupper() else Case.PROPER
                aliases.append(
                    Alias(surface, "COUNTRY", code, canonical, case, surface in ambiguous, code)
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


def watchlist_aliases(entries: Iterable[WatchlistEntry]) -> list[Alias]:
    """WATCHLIST aliases: every name and alias; weak aliases only when written as acronyms."""
    aliases: list[Alias] = []
    for e in entries:
        country = e.countries[0] if e.countries else None
        dataset = ",".join(e.datasets)
        for surface in e.names:
            if len(key_letters(surface)) < 3:
                continue
            acronym = surface.isupper() and len(surface) <= 6
            case = Case.EXACT if acronym else Case.PROPER
            aliases.append(
                Alias(surface, "WATCHLIST", e.id, e.name, case, False, country, dataset, e.schema)
            )
        for surface in e.weak_aliases:
            if surface.isupper() and len(key_letters(surface)) >= 3:
                aliases.append(
                    Alias(
                        surface,
                        "WATCHLIST",
                        e.id,
                        e.name,
                        Case.EXACT,
                        False,
                        country,
                        dataset,
                        e.schema,
                    )
                )
    return aliases


def key_letters(surface: str) -> str:
    return "".join(c for c in surface if c.isalnum())


class EntityTagger:
    """Tags one article. Build once at start-up from the loaded data; reuse for every article."""

    __slots__ = ("_gazetteer", "_vessels_by_imo", "watchlist_size")

    def __init__(self, aliases: list[Alias], watchlist: Iterable[WatchlistEntry]) -> None:
        entries = list(watchlist)
        self._gazetteer = Gazetteer(aliases + watchlist_aliases(entries))
        self._vessels_by_imo = {imo: e for e in entries for imo in e.imo_numbers}
        self.watchlist_size = len(entries)

    def tag(self, article: NormalizedArticle) -> tuple[Entity, ...]:
        """All entities in ``article.text``, in text order."""
        text = article.text
        starts = [s for s, _ in article.sentences]
        out: list[Entity] = []
        for m in self._gazetteer.find(text, fold(text)):
            a = m.alias
            sentence = _sentence_of(starts, m.start)
            surface = text[m.start : m.end]
            if a.label == "WATCHLIST":
                label = _SCHEMA_LABEL.get(a.kind or "", "ORGANIZATION")
                out.append(
                    Entity(label, a.id, surface, m.start, m.end, sentence, a.name, a.country)
                )
                out.append(
                    Entity(
                        "WATCHLIST",
                        a.id,
                        surface,
                        m.start,
                        m.end,
                        sentence,
                        a.name,
                        a.country,
                        a.dataset,
                        1.0,
                    )
                )
            else:
                out.append(
                    Entity(a.label, a.id, surface, m.start, m.end, sentence, a.name, a.country)
                )
        for found in _IMO.finditer(text):
            imo = found.group(1)
            sentence = _sentence_of(starts, found.start())
            entry = self._vessels_by_imo.get(imo)
            name = entry.name if entry else None
            out.append(
                Entity(
                    "VESSEL",
                    f"imo-{imo}",
                    found.group(0),
                    found.start(),
                    found.end(),
                    sentence,
                    name,
                )
            )
            if entry is not None:
                out.append(
                    Entity(
                        "WATCHLIST",
                        entry.id,
                        found.group(0),
                        found.start(),
                        found.end(),
                        sentence,
                        entry.name,
                        entry.countries[0] if entry.countries else None,
                        ",".join(entry.datasets),
                        1.0,
                    )
                )
        out.sort(key=lambda e: (e.start, e.end))
        return tuple(out)


def _sentence_of(starts: list[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)
