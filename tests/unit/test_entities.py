"""The entity tagger: countries, organisations, watchlist parties, vessels, offsets."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pipeline.models import Entity, InputArticle, astuple, is_country
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


def _country_ids(entities: tuple[Entity, ...]) -> list[str]:
    """Countries and demonyms (NORP with a country) alike."""
    return [e.id for e in entities if is_country(e)]


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
    assert _country_ids(_tag(stages, body)) == expected


def test_a_demonym_is_a_nationality_with_its_country_not_a_country(stages: Stages) -> None:
    ents = _tag(stages, "North Korean troops arrived in Russia.")
    assert [(e.label, e.id, e.country) for e in ents] == [
        ("NORP", "KP", "KP"),
        ("COUNTRY", "RU", "RU"),
    ]


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


def test_an_imo_number_with_a_wrong_check_digit_is_no_vessel(stages: Stages) -> None:
    # 9179842 is valid (7*9 + 6*1 + 5*7 + 4*9 + 3*8 + 2*4 = 172: check digit 2); 9179843 is not
    ents = _tag(stages, "The tanker (IMO 9179843) and the Angara (IMO 9179842) sailed.")
    assert "imo-9179843" not in _ids(ents, "VESSEL")
    assert "imo-9179842" in _ids(ents, "VESSEL")


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


def test_the_seed_yields_its_countries_bodies_and_the_lawmaker(
    stages: Stages, seed_bytes: bytes
) -> None:
    from pipeline.codec import decode_input

    article = normalize(decode_input(seed_bytes, max_bytes=1 << 20)[0])
    ents = stages.tagger.tag(article)
    assert {"KP", "RU", "UA", "KR", "US", "JP"} <= set(_ids(ents, "COUNTRY"))
    assert {"un-security-council", "msmt"} <= set(_ids(ents, "ORGANIZATION"))
    people = [e for e in ents if e.label == "PERSON"]
    assert [p.text for p in people] == ["Lee Seong-kweun"]
    metonyms = {e.text: e.id for e in ents if e.text in ("Pyongyang", "Moscow")}
    assert metonyms == {"Pyongyang": "KP", "Moscow": "RU"}


@pytest.mark.parametrize(
    ("body", "place", "country"),
    [
        ("Drones struck Russia's Kursk region overnight.", "Kursk region", "RU"),
        ("The ship left Nakhodka for Rajin on Friday.", "Nakhodka", "RU"),
        ("Protests spread in Mandalay and Yangon.", "Mandalay", "MM"),
        ("Shelling hit Kharkiv again.", "Kharkiv", "UA"),
        ("Officials in Crimea denied it.", "Crimea", "UA"),
    ],
)
def test_cities_and_regions_resolve_to_their_country(
    stages: Stages, body: str, place: str, country: str
) -> None:
    places = {e.text: e.country for e in _tag(stages, body) if e.label == "LOCATION"}
    assert places.get(place) == country


def test_places_inside_longer_names_and_common_words_are_not_locations(stages: Stages) -> None:
    ents = _tag(stages, "The New York Times was reading a mobile report about Orange.")
    assert _ids(ents, "LOCATION") == []


@pytest.mark.parametrize(
    "body",
    ["A woman from Tirana spoke.", "Romania and Omani traders met.", "Iranians and Omanis met."],
)
def test_names_never_match_inside_other_words(stages: Stages, body: str) -> None:
    ids = _ids(_tag(stages, body), "COUNTRY")
    assert "IR" not in ids or "Iranians" in body
    assert "OM" not in ids or "Omani" in body


def test_listed_people_match_transliterated_reordered_and_with_diacritics(stages: Stages) -> None:
    ents = _tag(
        stages,
        "Sergey Lavrov met Aliaksandr Lukashenka. Later Lavrov Sergei and Nicolás Maduro spoke.",
    )
    hits = [(e.id, e.match) for e in ents if e.label == "WATCHLIST"]
    assert ("nf-ru-lavrov", "exact") in hits
    assert ("nf-by-lukashenko", "exact") in hits
    assert ("nf-ru-lavrov", "reordered") in hits
    assert ("nf-ve-maduro", "exact") in hits
    ents = _tag(stages, "Yevgeniy Prigozhin and Dmitri Peskov were named.")
    assert {e.id: e.match for e in ents if e.label == "WATCHLIST"} == {
        "nf-ru-prigozhin": "exact",
        "nf-ru-peskov": "exact",
    }
    ents = _tag(stages, "Viacheslav Volodin spoke.")
    (hit,) = [e for e in ents if e.label == "WATCHLIST"]
    assert (hit.id, hit.match, hit.score) == ("nf-ru-volodin", "exact", 1.0)
    ents = _tag(stages, "Alyaksandr Lukashenka spoke.")
    (hit,) = [e for e in ents if e.label == "WATCHLIST"]
    assert (hit.id, hit.match) == ("nf-by-lukashenko", "exact")


def test_transliterated_spellings_not_listed_still_match_with_a_lower_score(
    stages: Stages,
) -> None:
    ents = _tag(stages, "Oleksandr Bortnikov was mentioned.")
    (hit,) = [e for e in ents if e.label == "WATCHLIST"]
    assert (hit.id, hit.match, hit.score) == ("nf-ru-bortnikov", "transliteration", 0.9)


def test_common_word_aliases_need_their_exact_form(stages: Stages) -> None:
    assert _ids(_tag(stages, "Put the fruit in the blender and a hydra myth."), "WATCHLIST") == []


def test_people_by_title_and_speaker_cues(stages: Stages) -> None:
    ents = _tag(
        stages,
        "Secretary of State Antony Blinken met lawmaker Kim Byung-joo. "
        "Maria Lopez said the talks went well.",
    )
    people = {e.text: e.match for e in ents if e.label == "PERSON"}
    assert people == {
        "Antony Blinken": "title cue",
        "Kim Byung-joo": "title cue",
        "Maria Lopez": "speaker cue",
    }


def test_unlisted_organisations_are_found_by_their_name_form(stages: Stages) -> None:
    ents = _tag(
        stages,
        "The Defense Acquisition Program Administration and Hanwha Ocean "
        "Shipping signed. The Task Force met.",
    )
    orgs = [e.text for e in ents if e.label == "ORGANIZATION"]
    assert orgs == ["Defense Acquisition Program Administration", "Hanwha Ocean Shipping"]


def test_summary_counts_countries_and_lists_watchlist_hits(stages: Stages) -> None:
    from pipeline.stages.entities import tag_article

    article = normalize(InputArticle(title="Putin in Minsk", body="Russia and Belarus met."))
    summary = tag_article(stages.tagger, article).summary
    assert summary is not None
    assert summary["countries"] == {"BY": 2, "RU": 1}
    assert [h["id"] for h in summary["watchlist"]] == ["nf-ru-putin"]


def test_live_watchlist_applies_upserts_and_tombstones(stages: Stages) -> None:
    import orjson

    from pipeline.resources import LiveWatchlist

    live = LiveWatchlist(stages)
    entity = {"id": "t-1", "schema": "Company", "properties": {"name": ["Zentrobar Logistics"]}}
    assert live.apply(b"t-1", orjson.dumps(entity)) == "upsert"
    assert live.apply(b"x", b"not json") == "invalid"
    article = normalize(InputArticle(title="T", body="Zentrobar Logistics moved oil."))
    assert "t-1" in _ids(live.rebuild().tag(article), "WATCHLIST")
    assert live.apply(b"t-1", b"") == "delete"
    assert live.apply(b"nf-ru-putin", b"") == "delete"
    tagger = live.rebuild()
    assert tagger.watchlist_size == stages.watchlist_size - 1
    assert _ids(tagger.tag(article), "WATCHLIST") == []


def _entity_set(entities: tuple[Entity, ...]) -> list[tuple[Any, ...]]:
    # several things found at one span may come in either order
    return sorted(astuple(e) for e in entities)


_UPDATE_TEXT = (
    "Vladimir Putin met Valery Gerasimov. The tanker Angara (IMO 9179842) and the MV "
    "Kestrel Dawn (IMO 9999991) loaded oil. Zentrobar Logistics and Sergei Shoigu signed."
)


def test_a_live_update_laid_over_the_built_tagger_tags_as_a_full_rebuild(
    stages: Stages,
) -> None:
    from pipeline.resources import LiveWatchlist

    changes = [
        # a new company, a new vessel with an IMO number, a changed person (new alias),
        # a deleted vessel, a deleted person, an id that never existed deleted
        (b"t-1", {"id": "t-1", "schema": "Company",
                  "properties": {"name": ["Zentrobar Logistics"]}}),
        (b"t-2", {"id": "t-2", "schema": "Vessel",
                  "properties": {"name": ["Kestrel Dawn"], "imoNumber": ["9999991"]}}),
        (b"nf-ru-gerasimov", {"id": "nf-ru-gerasimov", "schema": "Person",
                              "properties": {"name": ["Sergei Shoigu"]}}),
        (b"nf-ru-angara", None),
        (b"nf-ru-putin", None),
        (b"never-listed", None),
    ]  # fmt: skip
    layered, full = LiveWatchlist(stages), LiveWatchlist(stages, overlay_limit=0)
    for key, doc in changes:
        value = orjson.dumps(doc) if doc else b""
        assert layered.apply(key, value) == full.apply(key, value)
    article = normalize(InputArticle(title="Update", body=_UPDATE_TEXT))
    fast, rebuilt = layered.rebuild(), full.rebuild()
    # the two ways were taken
    assert fast._overlay is not None
    assert rebuilt._overlay is None
    assert _entity_set(fast.tag(article)) == _entity_set(rebuilt.tag(article))
    assert fast.watchlist_size == rebuilt.watchlist_size == stages.watchlist_size - 2 + 2
    found = _ids(fast.tag(article), "WATCHLIST")
    assert {"t-1", "t-2", "nf-ru-gerasimov"} <= set(found)
    assert "nf-ru-putin" not in found
    assert "nf-ru-angara" not in found
    # the changed entry is found by its new name only
    gerasimov = [e for e in fast.tag(article) if e.id == "nf-ru-gerasimov"]
    assert {e.text for e in gerasimov} == {"Sergei Shoigu"}


def test_past_the_overlay_limit_the_watchlist_is_built_again_in_full(stages: Stages) -> None:
    from pipeline.resources import LiveWatchlist

    live = LiveWatchlist(stages, overlay_limit=1)
    company = {"id": "t-1", "schema": "Company", "properties": {"name": ["Zentrobar Logistics"]}}
    live.apply(b"t-1", orjson.dumps(company))
    assert live.rebuild()._overlay is not None  # one change: laid over
    live.apply(b"nf-ru-putin", b"")
    rebuilt = live.rebuild()  # two changes: past the limit, a full build that includes both
    assert rebuilt._overlay is None
    live.apply(b"t-1", b"")
    after = live.rebuild()  # the next change is laid over the new full build
    assert after._overlay is not None
    article = normalize(InputArticle(title="T", body="Zentrobar Logistics and Vladimir Putin."))
    assert _ids(rebuilt.tag(article), "WATCHLIST") == ["t-1"]
    assert _ids(after.tag(article), "WATCHLIST") == []
    assert after.watchlist_size == stages.watchlist_size - 1


def test_the_model_names_of_a_live_update_are_screened_against_the_changed_list(
    stages: Stages,
) -> None:
    """The NER model's names meet the list as it is after the changes: a new entry (here
    in a close spelling the automaton does not know), a deleted one not at all, the same
    as after a full rebuild."""
    from pipeline.resources import LiveWatchlist

    changes = [
        (b"t-9", {"id": "t-9", "schema": "Person", "properties": {"name": ["Oleg Vornikov"]}}),
        (b"nf-ru-putin", None),
    ]
    text = "Oleg Vornikow met Vladimir Poutine in Moscow."
    article = normalize(InputArticle(title="Meeting", body=text))
    new = article.text.index("Oleg Vornikow")
    gone = article.text.index("Vladimir Poutine")
    new_span = ("PERSON", new, new + len("Oleg Vornikow"))
    gone_span = ("PERSON", gone, gone + len("Vladimir Poutine"))
    before = LiveWatchlist(stages).tagger.model_screener(article)
    assert before(*new_span) is None
    putin = before(*gone_span)
    assert putin is not None
    assert putin.id == "nf-ru-putin"
    layered, full = LiveWatchlist(stages), LiveWatchlist(stages, overlay_limit=0)
    for key, doc in changes:
        value = orjson.dumps(doc) if doc else b""
        layered.apply(key, value)
        full.apply(key, value)
    for tagger in (layered.rebuild(), full.rebuild()):
        screen = tagger.model_screener(article)
        found = screen(*new_span)
        assert found is not None
        assert found.id == "t-9"
        assert screen(*gone_span) is None
