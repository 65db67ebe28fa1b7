"""The NER model and its merge with the lists' entities (invented sentences throughout)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from msgspec import structs

from pipeline import ner
from pipeline.models import Entity, InputArticle
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.ner import ModelSpan, merge, model_entities, model_text, role, trim
from pipeline.stages.normalize import normalize
from pipeline.steps import join_sentences, split_spans, untagged_names
from tests.single import run_one


def _entity(label: str, text: str, surface: str, source: str = "gazetteer", **kw: str) -> Entity:
    start = text.index(surface)
    return Entity(
        label,
        kw.get("id", surface.lower()),
        surface,
        start,
        start + len(surface),
        0,
        surface,
        kw.get("country"),
        source=source,  # type: ignore[arg-type]
    )


def _span(text: str, label: str, surface: str) -> ModelSpan:
    start = text.index(surface)
    return ModelSpan(label, start, start + len(surface))


def _found(text: str, *spans: ModelSpan) -> list[Entity]:
    return model_entities(text, spans, lambda _: 0)


def _labels(entities: tuple[Entity, ...]) -> list[tuple[str, str, str]]:
    return [(e.label, e.text, e.source) for e in entities]


# --- the loaded model -------------------------------------------------------------------


@pytest.fixture(scope="module")
def nlp() -> object:
    return ner.load(Settings().ner_model)


def test_the_pinned_model_is_en_core_web_sm_3_8_for_spacy_3_8(nlp: object) -> None:
    import spacy

    about = ner.describe(nlp)
    assert about["name"].startswith("en_core_web_sm")
    assert about["version"].startswith("3.8.")
    assert spacy.__version__.startswith("3.8.")
    assert nlp.pipe_names == ["tok2vec", "ner"]  # type: ignore[attr-defined]


def test_the_model_tags_invented_sentences_as_expected(nlp: object) -> None:
    texts = [
        "Marta Kowalczyk, a spokeswoman for Baltic Freight Lines, declined to comment.",
        "The ministry said Jonas Petersen met officials in Oslo on Tuesday.",
    ]
    found = [
        {(texts[i][s.start : s.end], s.label) for s in spans}
        for i, spans in enumerate(ner.spans_of(nlp, texts))
    ]
    assert ("Marta Kowalczyk", "PERSON") in found[0]
    assert ("Baltic Freight Lines", "ORG") in found[0]
    assert ("Jonas Petersen", "PERSON") in found[1]
    assert ("Oslo", "GPE") in found[1]


def test_an_unknown_model_name_stops_with_a_clear_error() -> None:
    from pipeline.errors import FatalError

    with pytest.raises(FatalError, match="not installed"):
        ner.load("no_such_model_xx")


# --- merge rules ------------------------------------------------------------------------


def test_a_list_entity_wins_where_the_spans_agree() -> None:
    text = "Officials in Iran said so."
    listed = [_entity("COUNTRY", text, "Iran", id="IR", country="IR")]
    merged = merge(text, listed, _found(text, _span(text, "GPE", "Iran")))
    assert _labels(merged) == [("COUNTRY", "Iran", "gazetteer")]


def test_a_model_name_no_list_knows_is_added_with_its_source() -> None:
    text = "Marta Kowalczyk of Baltic Freight Lines spoke."
    spans = (_span(text, "PERSON", "Marta Kowalczyk"), _span(text, "ORG", "Baltic Freight Lines"))
    merged = merge(text, [], _found(text, *spans))
    assert _labels(merged) == [
        ("PERSON", "Marta Kowalczyk", "model"),
        ("ORGANIZATION", "Baltic Freight Lines", "model"),
    ]
    assert merged[0].id == "person-marta-kowalczyk"


def test_a_club_named_after_its_city_is_an_organisation_not_the_place() -> None:
    text = "Northport City beat the visitors on Sunday."
    listed = [_entity("LOCATION", text, "Northport", id="gb-northport", country="GB")]
    merged = merge(text, listed, _found(text, _span(text, "ORG", "Northport City")))
    assert _labels(merged) == [("ORGANIZATION", "Northport City", "model")]
    assert merged[0].country is None


def test_a_country_inside_an_organisation_stays_as_its_country() -> None:
    text = "The Central Bank of Iran denied it."
    listed = [_entity("COUNTRY", text, "Iran", id="IR", country="IR")]
    merged = merge(text, listed, _found(text, _span(text, "ORG", "Central Bank of Iran")))
    assert _labels(merged) == [
        ("ORGANIZATION", "Central Bank of Iran", "model"),
        ("COUNTRY", "Iran", "gazetteer"),
    ]
    assert merged[0].country == "IR"


def test_a_person_named_like_a_country_is_a_person() -> None:
    text = "Striker Jordan Whitley scored twice."
    listed = [_entity("COUNTRY", text, "Jordan", id="JO", country="JO")]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Jordan Whitley")))
    assert _labels(merged) == [("PERSON", "Jordan Whitley", "model")]


def test_a_partial_overlap_keeps_the_list_entity_only() -> None:
    text = "Lawmaker Ana Ruiz Delgado spoke."
    listed = [_entity("PERSON", text, "Ana Ruiz Delgado", source="cue")]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Lawmaker Ana Ruiz")))
    assert _labels(merged) == [("PERSON", "Ana Ruiz Delgado", "cue")]


def test_nationalities_and_products_get_their_own_labels_dates_are_dropped() -> None:
    text = "Houthi fighters fired a Shahed-136 drone on Monday."
    spans = (
        _span(text, "NORP", "Houthi"),
        _span(text, "PRODUCT", "Shahed-136"),
        _span(text, "DATE", "Monday"),
    )
    assert _labels(merge(text, [], _found(text, *spans))) == [
        ("NORP", "Houthi", "model"),
        ("PRODUCT", "Shahed-136", "model"),
    ]


def test_the_model_is_not_shown_symbol_floods_and_offsets_stay_the_same() -> None:
    text = "Flood \U0001f4a5\U0001f4a5\U0001f4a5\U0001f4a5\U0001f4a5 then Jonas Petersen spoke!!"
    shown = model_text(text)
    assert len(shown) == len(text)
    assert "\U0001f4a5" not in shown
    assert shown.index("Jonas Petersen") == text.index("Jonas Petersen")
    assert shown.endswith("spoke!!")  # two symbols are no flood


def test_spans_lose_a_leading_article_and_a_trailing_possessive() -> None:
    text = "the Harbour Group's ships"
    assert text[slice(*trim(text, 0, len("the Harbour Group's")))] == "Harbour Group"


def test_a_model_person_is_screened_against_the_watchlist(stages: Stages) -> None:
    # A listed person written with the words in another order than any listed form:
    # the automaton does not find it, the model's span is screened and matches.
    entry = next(e for e in stages.watchlist if e.schema == "Person" and len(e.name.split()) == 3)
    words = entry.name.split()
    shuffled = " ".join([words[1], words[2], words[0]])
    article = normalize(
        InputArticle(title="Note", body=f"Officials said {shuffled} was sanctioned on Monday.")
    )
    tagged = tag_article(stages.tagger, article)
    assert entry.id not in {e.id for e in tagged.entities if e.label == "WATCHLIST"}
    start = article.text.index(shuffled)
    with_model = tag_article(
        stages.tagger, article, [ModelSpan("PERSON", start, start + len(shuffled))]
    )
    hits = [e for e in with_model.entities if e.label == "WATCHLIST"]
    assert [(h.id, h.source, h.match) for h in hits] == [
        (entry.id, "model", "model name: same words")
    ]
    assert any(f.name == "found by the model" for f in hits[0].features or ())


def test_evidence_sentences_read_as_one_text_map_back_to_the_article() -> None:
    text = "Title here\n\nFirst Anna Berg spoke. Then nothing. Later Baltic Rovers won."
    first, later = text.index("First"), text.index("Later")
    bounds = [(first, first + len("First Anna Berg spoke.")), (later, len(text))]
    joined, starts = join_sentences(text, bounds)
    assert joined == "First Anna Berg spoke.\nLater Baltic Rovers won."
    found = [
        _span(joined, "PERSON", "Anna Berg"),
        _span(joined, "ORG", "Baltic Rovers"),
        ModelSpan("ORG", joined.index("spoke"), joined.index("Later") + 5),  # across the join
    ]
    back = split_spans(found, bounds, starts)
    assert [(text[s.start : s.end], s.label) for s in back] == [
        ("Anna Berg", "PERSON"),
        ("Baltic Rovers", "ORG"),
    ]


# --- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "name", "designation", "expected"),
    [
        (
            "Treasury sanctioned Harbour Star Trading for shipping oil.",
            "Harbour Star Trading",
            True,
            "designated",
        ),
        (
            "Harbour Star Trading was designated on Friday.",
            "Harbour Star Trading",
            True,
            "designated",
        ),
        ("Kestrel Avionics supplied drone engines to Iran.", "Kestrel Avionics", False, "supplier"),
        ("The engines were shipped by Kestrel Avionics.", "Kestrel Avionics", False, "supplier"),
        (
            "Drones were delivered to Vostok Holdings last year.",
            "Vostok Holdings",
            False,
            "recipient",
        ),
        ("The tanker is owned by Meridian Shipping.", "Meridian Shipping", False, "owner"),
        ("Meridian Shipping owns the tanker.", "Meridian Shipping", False, "owner"),
        ("Analysts at Meridian Shipping were surprised.", "Meridian Shipping", False, None),
    ],
)
def test_the_evidence_sentence_gives_a_party_its_role(
    sentence: str, name: str, designation: bool, expected: str | None
) -> None:
    e = _entity("ORGANIZATION", sentence, name)
    assert role(sentence, (0, len(sentence)), e, designation) == expected


# --- in the pipeline --------------------------------------------------------------------

_UNLISTED = (
    "The Treasury Department on Tuesday sanctioned Kestrel Avionics, a company whose "
    "director, Daniel Hartley, arranged shipments of drone engines to Iran in violation of "
    "US sanctions."
)


def _raw(title: str, body: str) -> bytes:
    return orjson.dumps({"title": title, "body": body})


def test_an_alert_lists_an_unlisted_person_and_company_from_the_model(
    settings: Settings, stages: Stages
) -> None:
    alert = run_one(_raw("Drone engines", _UNLISTED), stages, settings).alert
    assert alert is not None
    parties = {p.name: p for p in alert.parties}
    assert parties["Daniel Hartley"].source == "model"
    assert parties["Daniel Hartley"].label == "PERSON"
    assert parties["Kestrel Avionics"].role == "designated"
    quote = alert.evidence[0].text
    assert "Daniel Hartley" in quote


def test_with_the_model_off_an_alert_lists_only_what_the_lists_know(
    settings: Settings, stages: Stages
) -> None:
    alert = run_one(_raw("Drone engines", _UNLISTED), stages, replace(settings, ner="off")).alert
    assert alert is not None
    assert "Daniel Hartley" not in {p.name for p in alert.parties}


def test_ner_all_tags_model_entities_in_every_english_article(
    settings: Settings, stages: Stages
) -> None:
    raw = _raw("Match report", "Marta Kowalczyk scored for Baltic Rovers on Sunday.")
    tagged = run_one(raw, stages, replace(settings, ner="all")).tagged
    model = {(e.label, e.text) for e in tagged.entities if e.source == "model"}
    assert ("PERSON", "Marta Kowalczyk") in model
    off = run_one(raw, stages, replace(settings, ner="off")).tagged
    assert not [e for e in off.entities if e.source == "model"]


def test_a_surname_after_the_full_name_is_the_same_person() -> None:
    text = "Anna Berg met Rovers officials. Later Berg said Berg Holdings was fine."
    spans = (
        _span(text, "PERSON", "Anna Berg"),
        ModelSpan("ORG", text.index("Berg said"), text.index("Berg said") + 4),
        _span(text, "ORG", "Berg Holdings"),
    )
    merged = merge(text, [], _found(text, *spans))
    people = [(e.text, e.start) for e in merged if e.label == "PERSON"]
    assert people == [("Anna Berg", 0), ("Berg", text.index("Berg said"))]
    assert ("ORGANIZATION", "Berg Holdings", "model") in _labels(merged)


def test_a_surname_before_the_full_name_and_in_capitals_is_the_same_person() -> None:
    text = "BERG QUITS AS CHAIR\nBerg told staff. Anna Berg, 52, leaves in May."
    merged = merge(text, [], _found(text, _span(text, "PERSON", "Anna Berg")))
    people = [e.text for e in merged if e.label == "PERSON"]
    assert people == ["BERG", "Berg", "Anna Berg"]
    assert {e.id for e in merged} == {"person-anna-berg"}


def test_a_surname_inside_another_name_is_not_the_person_a_title_before_it_is_no_name() -> None:
    text = "The Global Berg Act passed. Mr Berg was pleased. Anna Berg, 52, left Oslo. Berg wept."
    merged = merge(text, [], _found(text, _span(text, "PERSON", "Anna Berg")))
    assert [(e.text, e.start) for e in merged if e.label == "PERSON"] == [
        ("Berg", text.index("Berg was")),
        ("Anna Berg", text.index("Anna Berg")),
        ("Berg", text.index("Berg wept")),  # after a sentence's end
    ]


def test_a_two_word_names_first_word_retypes_the_models_other_label_at_it() -> None:
    text = "Liu Wenhai was detained. Liu 's lawyer said Liu was ill."
    spans = [_span(text, "PERSON", "Liu Wenhai")]
    spans += [ModelSpan("ORG", m.start(), m.end()) for m in re.finditer(r"Liu(?= )", text)][1:]
    merged = merge(text, [], _found(text, *spans))
    assert [e.text for e in merged if e.label == "PERSON"] == ["Liu Wenhai", "Liu", "Liu"]
    assert {e.id for e in merged if e.text == "Liu"} == {"person-liu-wenhai"}


def test_a_companys_first_word_stays_the_company_whatever_the_model_calls_a_name() -> None:
    text = "Vega Cables grew. Vega said Vega SpA would list."
    listed = [_entity("ORGANIZATION", text, "Vega SpA", source="cue")]
    at = text.index("Vega said")
    spans = (_span(text, "PERSON", "Vega Cables"), ModelSpan("ORG", at, at + 4))
    merged = merge(text, listed, _found(text, *spans))
    assert [(e.label, e.text) for e in merged] == [
        ("PERSON", "Vega Cables"),
        ("ORGANIZATION", "Vega"),
        ("ORGANIZATION", "Vega SpA"),
    ]


def test_an_initial_and_a_surname_is_a_person() -> None:
    text = "Kelby: A. Lind 69, T.O'Vega 12 and H. Ostby 40 batted."
    ostby = _span(text, "ORG", "H. Ostby")
    merged = merge(text, [], _found(text, ostby))
    assert _labels(merged) == [
        ("PERSON", "A. Lind", "cue"),
        ("PERSON", "T.O'Vega", "cue"),
        ("PERSON", "H. Ostby", "cue"),
    ]


def test_an_initial_before_a_place_a_people_or_a_new_sentence_is_not_a_person() -> None:
    text = "N. Korea and S. Freedonian envoys met at U.S. Steel. It was plan A. The end."
    listed = [_entity("COUNTRY", text, "N. Korea", id="KP", country="KP")]
    merged = merge(text, listed, _found(text, _span(text, "NORP", "S. Freedonian")))
    assert [e.label for e in merged] == ["COUNTRY", "NORP"]


def test_a_gazetteer_abbreviation_keeps_its_period_as_a_model_span_does() -> None:
    text = "Officials of the U.S. and the U.N. met in the U.K"
    listed = [
        _entity("COUNTRY", text, "U.S", id="US", country="US"),
        _entity("ORGANIZATION", text, "U.N", id="un"),
        _entity("COUNTRY", text, "U.K", id="GB", country="GB"),
    ]
    merged = merge(text, listed, [])
    assert [(e.text, e.end - e.start, e.country) for e in merged] == [
        ("U.S.", 4, "US"),
        ("U.N.", 4, None),
        ("U.K", 3, "GB"),
    ]


def test_a_model_span_is_cut_after_a_spaced_dash_and_a_person_after_leading_figures() -> None:
    text = (
        "Freedonia - Anna Berg ( 31st )\n64 Jonas Petersen\n-- Marta Kowalczyk +48 22 653\n"
        "Vega Art Museum - on show"
    )
    spans = (
        _span(text, "PERSON", "Freedonia - Anna Berg"),
        _span(text, "PERSON", "64 Jonas Petersen"),
        _span(text, "PERSON", "-- Marta Kowalczyk +48"),
        _span(text, "ORG", "Vega Art Museum - on"),
    )
    assert [e.text for e in _found(text, *spans)] == [
        "Anna Berg",
        "Jonas Petersen",
        "Marta Kowalczyk",
        "Vega Art Museum",  # what follows the dash is no name
    ]


def test_an_everyday_word_alone_is_no_name_unless_the_model_read_an_article_with_it() -> None:
    text = "Men 's 400 metres. Secretary of State Anna Berg told The Times and NATO."
    spans = (
        _span(text, "ORG", "Men"),
        _span(text, "ORG", "State"),
        _span(text, "ORG", "The Times"),
        _span(text, "ORG", "NATO"),
    )
    assert [e.text for e in _found(text, *spans)] == ["Times", "NATO"]


def test_a_model_person_takes_the_rare_capitalised_words_it_left_out_beside_it() -> None:
    text = "4. Osvaldo Berg ( Freedonia ) 13.52. Yesterday Petersen met President Kowalczyk."
    spans = (
        _span(text, "PERSON", "Berg"),
        _span(text, "PERSON", "Petersen"),
        _span(text, "PERSON", "Kowalczyk"),
    )
    listed = [_entity("COUNTRY", text, "Freedonia", id="FD", country="FD")]
    merged = merge(text, listed, _found(text, *spans))
    assert [e.text for e in merged if e.label == "PERSON"] == [
        "Osvaldo Berg",
        "Petersen",  # "Yesterday" is an ordinary word
        "Kowalczyk",  # "President" is a title
    ]


def test_the_names_of_a_list_of_people_are_people() -> None:
    text = "Freedonia : 1 - Anna Berg , 2 - Jonas Petersen ( 46th ) , 3 - Walter Lind ; Osk Ide"
    spans = (
        _span(text, "PERSON", "Anna Berg"),
        _span(text, "PERSON", "Jonas Petersen"),
        _span(text, "PERSON", "Lind"),
    )
    merged = merge(text, [], _found(text, *spans))
    assert [(e.label, e.text) for e in merged] == [  # "Freedonia :" is the heading
        ("PERSON", "Anna Berg"),
        ("PERSON", "Jonas Petersen"),
        ("PERSON", "Walter Lind"),  # the model's "Lind" inside the item
        ("PERSON", "Osk Ide"),  # nothing had tagged it
    ]


def test_a_results_line_is_a_list_beat_joins_two_of_a_kind_a_country_is_neutral() -> None:
    text = (
        "Freedonia - 1 - Anna Berg ( Freedonia ) beat Osk Ide ( Westland ) 6-4 6-2 , "
        "Jonas Petersen ( Westland ) beat Marta Kowalczyk ( Freedonia ) 6-3 6-1"
    )
    listed = [
        _entity("COUNTRY", text, "Freedonia", id="FD", country="FD"),
        _entity("COUNTRY", text, "Westland", id="WL", country="WL"),
    ]
    listed += [
        structs.replace(e, start=start, end=start + len(e.text))
        for e in listed
        for start in [m.start() for m in re.finditer(e.text, text)][1:]
    ]
    spans = (_span(text, "PERSON", "Jonas Petersen"), _span(text, "PERSON", "Marta Kowalczyk"))
    merged = merge(text, listed, _found(text, *spans))
    assert [e.text for e in merged if e.label == "PERSON"] == [
        "Anna Berg",
        "Osk Ide",
        "Jonas Petersen",
        "Marta Kowalczyk",
    ]


def test_a_ranked_results_line_names_a_competitor_with_the_country_in_brackets() -> None:
    text = (
        "Women's 100 metres:\n4. Anna Berg ( Freedonia ) 11.20\n"
        "Top exporters:\n1. Vega Trading Group ( Freedonia ) 23.5\n2. Osk Ide ( Ruritan ) 9"
    )
    listed = [_entity("COUNTRY", text, "Freedonia", id="FD", country="FD")]
    listed.append(
        structs.replace(listed[0], start=text.rindex("Freedonia"), end=text.rindex("Freedonia") + 9)
    )
    spans = (_span(text, "ORG", "Anna Berg"), _span(text, "ORG", "Vega Trading Group"))
    merged = merge(text, listed, _found(text, *spans))
    assert [(e.label, e.text) for e in merged if e.label != "COUNTRY"] == [
        ("PERSON", "Anna Berg"),
        ("ORGANIZATION", "Vega Trading Group"),  # an organisation's word
        # "Ruritan" is no country the gazetteer knows: "Osk Ide" is left untagged
    ]


def test_a_list_keeps_its_company_unless_it_is_people_through_and_through() -> None:
    mixed = "Named: Gazprom Vega, Ivan Petrov and Oleg Sokolov."
    spans = (
        _span(mixed, "ORG", "Gazprom Vega"),
        _span(mixed, "PERSON", "Ivan Petrov"),
        _span(mixed, "PERSON", "Oleg Sokolov"),
    )
    assert [e.label for e in merge(mixed, [], _found(mixed, *spans))] == [
        "ORGANIZATION",
        "PERSON",
        "PERSON",
    ]
    people = "Anna Berg , Jonas Petersen , Mihai Tarara , Marta Kowalczyk"
    spans = (
        _span(people, "PERSON", "Anna Berg"),
        _span(people, "PERSON", "Jonas Petersen"),
        _span(people, "ORG", "Mihai Tarara"),
        _span(people, "PERSON", "Marta Kowalczyk"),
    )
    assert [e.label for e in merge(people, [], _found(people, *spans))] == ["PERSON"] * 4


def test_an_acronym_defined_after_a_name_is_that_name_in_the_article() -> None:
    text = (
        "The Freedonian Workers Party ( FWP ) won. FWP leaders met the Vega Trust ( VT ). "
        "The FWP said so; XYZ did not."
    )
    listed = [_entity("ORGANIZATION", text, "Vega Trust", id="org-vega", country="FD")]
    at = text.index("FWP said")
    spans = (_span(text, "ORG", "Freedonian Workers Party"), ModelSpan("PERSON", at, at + 3))
    merged = merge(text, listed, _found(text, *spans))
    assert [(e.label, e.text, e.id) for e in merged if e.label == "ORGANIZATION"] == [
        ("ORGANIZATION", "Freedonian Workers Party", "org-freedonian-workers-party"),
        ("ORGANIZATION", "FWP", "org-freedonian-workers-party"),
        ("ORGANIZATION", "FWP", "org-freedonian-workers-party"),
        ("ORGANIZATION", "Vega Trust", "org-vega"),
        ("ORGANIZATION", "VT", "org-vega"),
        ("ORGANIZATION", "FWP", "org-freedonian-workers-party"),  # the model's person
    ]
    assert all(e.country is None for e in merged if e.text == "VT")


def test_the_sides_of_a_score_line_are_teams_a_country_stays_its_country() -> None:
    text = "Results on Sunday:\nNorthport 2 Eastfield 1\nFreedonia 3 Westbay 0 ( halftime 1-0 )"
    listed = [
        _entity("LOCATION", text, "Northport", id="xx-northport", country="XX"),
        _entity("COUNTRY", text, "Freedonia", id="FD", country="FD"),
    ]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Westbay")))
    assert _labels(merged) == [
        ("ORGANIZATION", "Northport", "cue"),
        ("ORGANIZATION", "Eastfield", "cue"),
        ("COUNTRY", "Freedonia", "gazetteer"),
        ("ORGANIZATION", "Westbay", "cue"),
    ]
    assert merged[0].country is None


def test_a_cricket_result_line_names_its_sides_after_the_ground() -> None:
    text = "Kelby Park : Northport 214 and 99-2 ( A. Berg 84 ) , Eastfield 108-3 ."
    listed = [
        _entity("LOCATION", text, "Kelby Park", id="xx-kelby-park"),
        _entity("LOCATION", text, "Northport", id="xx-northport"),
    ]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Eastfield")))
    assert [(e.label, e.text) for e in merged] == [
        ("LOCATION", "Kelby Park"),  # the ground
        ("ORGANIZATION", "Northport"),
        ("PERSON", "A. Berg"),
        ("ORGANIZATION", "Eastfield"),
    ]


def test_a_model_span_across_a_score_goes_and_its_sides_are_teams() -> None:
    text = "Northport 3 Eastfield 1"
    merged = merge(text, [], _found(text, _span(text, "PERSON", "Northport 3 Eastfield")))
    assert _labels(merged) == [
        ("ORGANIZATION", "Northport", "cue"),
        ("ORGANIZATION", "Eastfield", "cue"),
    ]


def test_a_standings_row_names_a_team_a_leaderboards_person_stays() -> None:
    text = "Standings:\nNorthport 12 7 3 2 .583\nAnna Berg 68 70 71 209\nKent Ridge 9.06 9.31 8.42"
    listed = [
        _entity("LOCATION", text, "Northport", id="xx-northport"),
        _entity("LOCATION", text, "Kent Ridge", id="xx-kent-ridge"),
    ]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Anna Berg")))
    assert _labels(merged) == [
        ("ORGANIZATION", "Northport", "cue"),
        ("PERSON", "Anna Berg", "model"),
        ("LOCATION", "Kent Ridge", "gazetteer"),  # prices, not a standings row
    ]


def test_a_fixture_names_its_sides_at_names_the_visitors_and_the_venue() -> None:
    text = "NORTHPORT AT EASTFIELD\nWestbay v Southend\nMay 4 v Lakeside ( two days )"
    listed = [
        _entity("LOCATION", text, "NORTHPORT", id="xx-northport"),
        _entity("LOCATION", text, "EASTFIELD", id="xx-eastfield"),
        _entity("LOCATION", text, "Lakeside", id="xx-lakeside"),
    ]
    merged = merge(text, listed, [])
    assert _labels(merged) == [
        ("ORGANIZATION", "NORTHPORT", "cue"),
        ("LOCATION", "EASTFIELD", "gazetteer"),
        ("ORGANIZATION", "Westbay", "cue"),
        ("ORGANIZATION", "Southend", "cue"),
        ("ORGANIZATION", "Lakeside", "cue"),
    ]


def test_a_city_its_clubs_people_follow_is_the_club() -> None:
    text = "Northport captain Anna Berg scored; Eastfield fans left; Westbay mayor spoke."
    listed = [
        _entity("LOCATION", text, "Northport", id="xx-northport"),
        _entity("LOCATION", text, "Eastfield", id="xx-eastfield"),
        _entity("LOCATION", text, "Westbay", id="xx-westbay"),
    ]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Anna Berg")))
    assert [(e.label, e.text) for e in merged] == [
        ("ORGANIZATION", "Northport"),
        ("PERSON", "Anna Berg"),
        ("ORGANIZATION", "Eastfield"),
        ("LOCATION", "Westbay"),
    ]


def test_a_court_cases_person_a_headline_and_a_place_in_prose_are_not_teams() -> None:
    text = (
        "Blaze Halts Work at Eastfield Oil Refinery\n"
        "Westbay v Lakeside: the front line moved.\n"
        "The ruling in Doe v Roe was upheld. Fans in Northport 2 stayed home."
    )
    listed = [
        _entity("LOCATION", text, "Lakeside", id="xx-lakeside"),
        _entity("LOCATION", text, "Northport", id="xx-northport"),
    ]
    merged = merge(text, listed, _found(text, _span(text, "PERSON", "Roe")))
    assert _labels(merged) == [
        ("LOCATION", "Lakeside", "gazetteer"),
        ("PERSON", "Roe", "model"),
        ("LOCATION", "Northport", "gazetteer"),
    ]


def test_a_model_span_is_cut_at_a_line_break_and_before_a_score_keeping_abbreviations() -> None:
    text = "Northport Rovers 2\nSouthend\nU.S. Steel Corp. said"
    assert text[slice(*trim(text, 0, len("Northport Rovers 2")))] == "Northport Rovers"
    assert text[slice(*trim(text, 0, len("Northport Rovers 2\nSouthend")))] == "Northport Rovers"
    at = text.index("U.S.")
    assert text[slice(*trim(text, at, at + len("U.S. Steel Corp.")))] == "U.S. Steel Corp."


def test_only_sentences_with_an_untagged_capitalised_word_go_to_the_model() -> None:
    text = "Iran and Russia signed it. Officials met Daniel Hartley. Nothing new here."
    known = [
        _entity("COUNTRY", text, "Iran", id="IR", country="IR"),
        _entity("COUNTRY", text, "Russia", id="RU", country="RU"),
    ]
    first = (0, text.index(".") + 1)
    second = (first[1] + 1, text.index("Hartley.") + len("Hartley."))
    third = (second[1] + 1, len(text))
    assert untagged_names(text, [first, second, third], known) == [second]


def test_the_pool_batches_requests_that_wait_and_answers_each_its_own() -> None:
    import asyncio

    from pipeline import metrics

    pool = ner.ModelPool(Settings().ner_model, 1)
    try:
        pool.start()
        texts = [f"Officials said Jonas Petersen{i} met them in Oslo." for i in range(6)]

        async def ask() -> list[list[tuple[ModelSpan, ...]]]:
            return await asyncio.gather(*(pool([t]) for t in texts))

        before = _model_calls(metrics)
        answers = asyncio.run(ask())
        calls = _model_calls(metrics) - before
    finally:
        pool.close()
    for text, (spans,) in zip(texts, answers, strict=True):
        assert ("Oslo", "GPE") in {(text[s.start : s.end], s.label) for s in spans}
    assert 1 <= calls < len(texts)  # the five that waited went together


def _model_calls(metrics: object) -> float:
    (family,) = metrics.NER_SECONDS.collect()  # type: ignore[attr-defined]
    return float(next(s.value for s in family.samples if s.name.endswith("_count")))


def test_the_pools_processes_end_when_their_worker_is_killed() -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from pipeline import ner\n"
        f"pool = ner.ModelPool({Settings().ner_model!r}, 1)\n"
        "pool.start()\n"
        "print('pid', *[p.pid for p in pool._pool._processes.values()], flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    line = next(li for li in parent.stdout if li.startswith("pid "))  # not the model's log
    (child,) = map(int, line.split()[1:])
    os.kill(parent.pid, signal.SIGKILL)  # no shutdown: the way a worker dies in a crash
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.2)
    assert not _alive(child), "the model's process outlived its worker"


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()  # a zombie has exited, not yet reaped
    return stat.split()[2] != "Z"
