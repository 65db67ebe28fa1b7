"""One ongoing story told many times: invented articles for the alert-storm tests.

Every article reports the same action (North Korea shipping munitions to Russia) in other
words: other headlines, quantities, places, officials, days and closing lines, so that
the near-duplicate index folds only some of them. A few articles, at fixed positions,
bring something new to the story (a material change); every other article only adds a
source.

    story(n) -> [raw input bytes, ...]    CHANGES: positions of the material articles
"""

from __future__ import annotations

import random

import orjson

_HEADLINES = (
    "North Korea ships more shells to Russia",
    "Pyongyang sends munitions to Moscow",
    "More North Korean ammunition reaches Russia",
    "Seoul says DPRK keeps arming Russia",
    "Rail convoys carry North Korean shells to Russia",
    "North Korean artillery rounds flow to Russian front",
)
_LEADS = (
    "North Korea has shipped {n} artillery shells to Russia, {who} said on {day}.",
    "North Korea sent {n} rounds of ammunition to Russia by rail, {who} said on {day}.",
    "Pyongyang delivered {n} artillery shells to Russia this {period}, according to {who}.",
    "North Korea supplied Russia with {n} shells and rockets, {who} told reporters on {day}.",
)
_DETAILS = (
    "The munitions crossed the border at {place} in {k} rail convoys.",
    "Satellite images showed {k} trains loading containers near {place}.",
    "Officials counted {k} shipments through {place} since {month}.",
    "Analysts at the {inst} institute put the total at {k} containers.",
    "The cargo was moved overnight from {place}, a spokesman for {who} added.",
)
_CLOSERS = (
    "The Kremlin did not reply to a request for comment.",
    "Moscow has denied receiving weapons from Pyongyang in the past.",
    "Reporting by {name}; editing by {name2}.",
    "{name} contributed reporting from {city}.",
    "The ministry said it would publish more figures in {month}.",
)
_WHO = (
    "South Korea's military",
    "a South Korean lawmaker",
    "Seoul's spy agency",
    "officials in Seoul",
    "a defence ministry spokesman",
    "Japanese officials",
)
_PLACES = ("Tumangang", "Khasan", "Rajin", "Vostochny", "Najin", "Chongjin")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("March", "April", "May", "June", "July", "August", "September")
_NAMES = ("Kim Min-ji", "Lee Joon", "Park Soo-ah", "Choi Hyun", "Jung Da-eun", "Han Seo-yeon")
_CITIES = ("Seoul", "Tokyo", "Busan", "Incheon", "Osaka")
_INSTITUTES = ("Asan", "Sejong", "Korea Institute for Defense Analyses", "Stimson", "CSIS")

# Articles that bring something new to the story, by position: the alert must be
# published again for each of these, and for nothing else (besides the first article).
TROOPS = 5  # a new event type: troops join the shells
CHINA = 9  # a new country: Chinese components in the shells
CHANGES = (TROOPS, CHINA)


def _changed(i: int) -> str:
    if i == TROOPS:
        return (
            " North Korea has also deployed thousands of troops to Russia to fight "
            "alongside Russian forces in Kursk."
        )
    if i == CHINA:
        return (
            " Investigators said China supplied components to North Korea for the "
            "shells shipped to Russia."
        )
    return ""


def story(n: int, *, seed: int = 17, prefix: str = "story") -> list[bytes]:
    """``n`` articles on one story, deterministic for a ``seed``; ids ``<prefix>-<i>``."""
    rng = random.Random(seed)
    out = []
    for i in range(n):

        def fill(template: str) -> str:
            return template.format(
                n=f"{rng.randint(2, 900) * 1000:,}",
                k=rng.randint(2, 400),
                who=rng.choice(_WHO),
                day=rng.choice(_DAYS),
                period=rng.choice(("week", "month", "spring", "summer")),
                place=rng.choice(_PLACES),
                month=rng.choice(_MONTHS),
                inst=rng.choice(_INSTITUTES),
                name=rng.choice(_NAMES),
                name2=rng.choice(_NAMES),
                city=rng.choice(_CITIES),
            )

        details = rng.sample(_DETAILS, 3)
        body = " ".join(
            [
                fill(rng.choice(_LEADS)) + _changed(i),
                *(fill(d) for d in details),
                fill(rng.choice(_CLOSERS)),
                f"Dispatch {i} of {rng.randint(1, 10**9)}.",
            ]
        )
        title = f"{rng.choice(_HEADLINES)} ({rng.choice(_DAYS)} update {i})"
        out.append(orjson.dumps({"id": f"{prefix}-{i}", "title": title, "body": body}))
    return out
