"""The entity tagger: countries, organisations, watchlist parties, vessels, offsets."""

from __future__ import annotations

import pytest

from pipeline.models import Entity, InputArticle
from pipeline.resources import Stages
from pipeline.stages.entities import EntityTagger, watchlist_entry
from pipeline.stages.normalize import normalize


def _tag(stages: Stages, body: str, title: str = "Headline") -> tuple[Entity, ...]:
    article = normalize(InputArticle(title=title, body=body))
    entities = stages.tagger.tag(article)
    for e in entities:
        assert article.text[e.start : e.end] == e.text
        s, end = article.sentences[e.sentence]
        assert s <= e.start
        assert e.end <= end
    return entities


def _ids(entities: tuple[Entity, ...], label: str) -> list[str]:
    return [e.id for e in entities if e.label == label]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("North Korea and the DPRK said so.", ["KP", "KP"]),
        ("North Korean troops arrived.", ["KP"]),
        ("Pyongyang answered Moscow and the Kremlin.", ["KP", "RU", "RU"]),
        ("The U.S. and the UK and the UAE agreed.", ["US", "GB", "AE"]),
        ("Russian-flagged ships sailed to Iran.", ["RU", "IR"]),
        (
            "Officials in Tehran, Beijing, Damascus, Minsk and Caracas replied.",
            ["IR", "CN", "SY", "BY", "VE"],
        ),
        ("Myanmar, also called Burma, replied.", ["MM", "MM"]),
    ],
)
def test_countries_from_names_acronyms_demonyms_and_capitals(
    stages: Stages, body: str, expected: list[str]
) -> None:
    assert _ids(_tag(stages, body), "COUNTRY") == expected


@pytest.mark.parametrize(
    "body",
    [
        "He ate from china plates and a turkey.",
        "Let us go; the us in lower case is a pronoun.",
        "Michael Jordan scored for the team.",
        "She studied at Georgia Tech in Atlanta, Georgia.",
    ],
)
def test_common_words_and_ambiguous_names_do_not_become_countries(
    stages: Stages, body: str
) -> None:
    assert _ids(_tag(stages, body), "COUNTRY") == []


def test_ambiguous_country_names_count_when_they_stand_alone(stages: Stages) -> None:
    ents = _tag(stages, "Troops crossed from Turkey into Syria. Jordan closed its border.")
    assert _ids(ents, "COUNTRY") == ["TR", "SY", "JO"]


def test_watchlist_names_match_with_spelling_variants(stages: Stages) -> None:
    ents = _tag(stages, "Kim Jong-un met KIM JONG UN's envoy and officials of Rosoboronexport.")
    hits = [e for e in ents if e.label == "WATCHLIST"]
    assert [e.id for e in hits] == [
        "nf-kp-kim-jong-un",
        "nf-kp-kim-jong-un",
        "nf-ru-rosoboronexport",
    ]
    assert all(h.dataset and h.score == 1.0 for h in hits)
    assert _ids(ents, "PERSON") == ["nf-kp-kim-jong-un", "nf-kp-kim-jong-un"]
    assert _ids(ents, "ORGANIZATION") == ["nf-ru-rosoboronexport"]


def test_watchlist_acronyms_match_only_in_capitals(stages: Stages) -> None:
    assert _ids(_tag(stages, "KOMID shipped parts."), "WATCHLIST") == ["nf-kp-komid"]
    assert _ids(_tag(stages, "The komid word is lower case."), "WATCHLIST") == []


def test_international_bodies_are_organizations(stages: Stages) -> None:
    ents = _tag(
        stages, "The UN Security Council and the Multilateral Sanctions Monitoring Team met."
    )
    assert _ids(ents, "ORGANIZATION") == ["un-security-council", "msmt"]


def test_imo_numbers_are_vessels_and_listed_ones_are_watchlist_hits(stages: Stages) -> None:
    ents = _tag(stages, "The Angara (IMO 9179842) and a tanker, IMO number 1234567, sailed.")
    assert "imo-9179842" in _ids(ents, "VESSEL")
    assert "imo-1234567" in _ids(ents, "VESSEL")
    assert _ids(ents, "WATCHLIST").count("nf-ru-angara") == 2


def test_a_tagger_built_from_followthemoney_lines_finds_their_names() -> None:
    entry = watchlist_entry(
        {
            "id": "x-1",
            "schema": "Company",
            "properties": {
                "name": ["Acme Trading LLC"],
                "alias": ["Acme Trade"],
                "country": ["ae"],
            },
            "datasets": ["test_list"],
        }
    )
    assert entry is not None
    tagger = EntityTagger([], [entry])
    article = normalize(InputArticle(title="T", body="Shipments by Acme Trade rose."))
    (org, hit) = tagger.tag(article)
    assert (org.label, hit.label, hit.id, hit.country, hit.dataset) == (
        "ORGANIZATION",
        "WATCHLIST",
        "x-1",
        "AE",
        "test_list",
    )
