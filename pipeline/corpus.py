"""Synthetic articles and watchlists for the benchmarks (deterministic, seeded); used by
`newsflow bench` and tests/bench.

Articles read like wire copy: a headline, paragraphs of sentences built from templates
that mention countries, capitals, listed parties, organisations, people and numbers,
mixed with filler sentences; a configurable share is sanctions-relevant.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import orjson

_COUNTRIES = [
    "North Korea",
    "Russia",
    "Iran",
    "Syria",
    "Belarus",
    "Venezuela",
    "Myanmar",
    "China",
    "the United States",
    "Japan",
    "South Korea",
    "Ukraine",
    "Germany",
    "France",
    "India",
    "Brazil",
    "Turkey",
    "Poland",
]
_CAPITALS = [
    "Pyongyang",
    "Moscow",
    "Tehran",
    "Damascus",
    "Minsk",
    "Caracas",
    "Beijing",
    "Washington",
    "Seoul",
    "Kyiv",
    "Berlin",
    "Tokyo",
]
_PARTIES = [
    "Rosoboronexport",
    "Korea Mining Development Trading Corporation",
    "Bank Melli",
    "Sovcomflot",
    "Islamic Revolutionary Guard Corps",
    "Petroleos de Venezuela",
    "Myanmar Economic Corporation",
    "Belaruskali",
    "Lazarus Group",
    "Gazprombank",
]
_ORGS = [
    "the UN Security Council",
    "the Treasury Department",
    "the European Union",
    "NATO",
    "the International Atomic Energy Agency",
    "the State Department",
    "Reuters",
]
_PEOPLE = [
    "President Anna Keller",
    "Foreign Minister Li Wen",
    "lawmaker Park Min-soo",
    "Mr Tomas Berg",
    "spokeswoman Ruth Adler",
]
_RELEVANT = [
    "{party} shipped {n} artillery shells from {country} to {country2}, officials said.",
    "{org} imposed sanctions on {party} and {n} companies linked to {country}.",
    "{capital} deployed troops to {country2} to support the war, {person} said.",
    "Tankers of the shadow fleet carried oil from {country} in ship-to-ship transfers.",
    "{org} froze assets worth ${n} million held by {party}.",
]
_NEUTRAL = [
    "{person} visited {capital} on Tuesday for talks on trade and climate.",
    "Markets in {capital} rose {n} percent as investors weighed the outlook.",
    "The festival in {country} drew {n} visitors, organisers said.",
    "Heavy rain flooded roads in {capital}, and {n} flights were cancelled.",
    "{org} published its annual report on food security in {country}.",
    "Analysts said growth in {country} would slow next year as exports weaken.",
    "The team from {country} won {n} medals at the championship.",
]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        country=rng.choice(_COUNTRIES),
        country2=rng.choice(_COUNTRIES),
        capital=rng.choice(_CAPITALS),
        party=rng.choice(_PARTIES),
        org=rng.choice(_ORGS),
        person=rng.choice(_PEOPLE),
        n=rng.randint(2, 900),
    )


def article(
    rng: random.Random, index: int, *, size: int = 3000, relevant: bool = False
) -> dict[str, str]:
    """One article of about ``size`` characters."""
    paragraphs: list[str] = []
    length = 0
    while length < size:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            pool = _RELEVANT if relevant and rng.random() < 0.3 else _NEUTRAL
            sentences.append(_fill(rng, rng.choice(pool)))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    title = _fill(rng, rng.choice(_RELEVANT if relevant else _NEUTRAL)).rstrip(".")
    return {
        "id": f"bench-{index}",
        "title": title[:120],
        "body": "\n\n".join(paragraphs),
        "published_at": "2026-11-29T12:00:00Z",
        "source": "bench",
    }


def articles(
    count: int, *, size: int = 3000, relevant_share: float = 0.2, seed: int = 7
) -> list[bytes]:
    """``count`` encoded input articles; sizes vary +-30% around ``size``."""
    rng = random.Random(seed)
    return [
        orjson.dumps(
            article(
                rng,
                i,
                size=int(size * rng.uniform(0.7, 1.3)),
                relevant=rng.random() < relevant_share,
            )
        )
        for i in range(count)
    ]


_SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ta",
    "ne",
    "vo",
    "lu",
    "shi",
    "an",
    "bek",
    "dor",
    "zen",
    "gal",
    "tor",
    "vin",
    "sar",
    "mol",
    "tek",
    "ra",
    "po",
    "li",
    "us",
    "ev",
    "ok",
]
_SUFFIXES = ["Trading LLC", "Shipping Co", "Holdings", "Industrial Group", "Bank", "Logistics"]


def watchlist_lines(count: int, seed: int = 11) -> Iterator[bytes]:
    """``count`` FollowTheMoney entities with made-up names (persons and companies)."""
    rng = random.Random(seed)
    for i in range(count):
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        other = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if i % 3 == 0:
            schema, name = "Person", f"{word} {other}"
        else:
            schema, name = "Company", f"{word} {other} {rng.choice(_SUFFIXES)}"
        yield orjson.dumps(
            {
                "id": f"syn-{i}",
                "schema": schema,
                "properties": {"name": [name], "country": ["ru"]},
                "datasets": ["synthetic"],
            }
        )
