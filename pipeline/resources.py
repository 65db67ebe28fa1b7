"""Start-up loading: data files -> the stage objects every article reuses.

The only module that reads rule, gazetteer and watchlist files. It runs once per process;
per-article work never re-loads or re-compiles anything.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pycountry

from pipeline.errors import FatalError
from pipeline.settings import Settings
from pipeline.stages.entities import (
    EntityTagger,
    WatchlistEntry,
    country_aliases,
    organization_aliases,
    watchlist_entry,
)
from pipeline.stages.sanctions import RuleSet, build_ruleset


@dataclass(frozen=True, slots=True)
class Stages:
    """Everything the stages need, built once."""

    tagger: EntityTagger
    rules: RuleSet
    watchlist_size: int


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
            lines = path.read_bytes().splitlines()
        except OSError as exc:
            raise FatalError(f"cannot read watchlist {path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = watchlist_entry(orjson.loads(line))
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise FatalError(f"{path}:{number}: not a FollowTheMoney entity: {exc}") from exc
            if entry is not None:
                entries.append(entry)
    return entries


def build_stages(settings: Settings) -> Stages:
    """Load every data file named by the settings and build the stage objects."""
    watchlist = load_watchlist(settings.watchlists)
    aliases = country_aliases(iso_country_names(), _package_toml("countries.toml"))
    aliases += organization_aliases(_package_toml("organizations.toml"))
    tagger = EntityTagger(aliases, watchlist)
    rules = build_ruleset(_toml(settings.rules), _toml(settings.regimes))
    return Stages(tagger=tagger, rules=rules, watchlist_size=len(watchlist))
