"""Listed names across scripts: Cyrillic text read in Latin letters, declined names in
their nominative, found by the tagger with offsets into the original (issue 18)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.models import Entity
from pipeline.morphology import nominative
from pipeline.resources import TaggerData, load_tagger_data
from pipeline.settings import Settings
from pipeline.stages.entities import EntityTagger, korean_syllables, watchlist_entry
from pipeline.stages.screening import OTHER_SCRIPT, THRESHOLD
from pipeline.stages.scripts import (
    SPELLINGS,
    has_cyrillic,
    korean_in_cyrillic,
    latin_view,
    latin_views,
    romanize_word,
)
from tests.single import normalize_one

AS_WRITTEN, NOMINATIVE = SPELLINGS[0], SPELLINGS[3]
I_FOR_SHORT_I, C_FOR_K = SPELLINGS[1], SPELLINGS[2]


def _latin(word: str, spelling: Any = AS_WRITTEN) -> str:
    return "".join(romanize_word(word, spelling))


# --- romanisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Щукин", "Shchukin"),  # one letter, four Latin ones
        ("ВТБ", "VTB"),  # all capitals stay capitals
        ("Медведев", "Medvedev"),  # the letter ie after a consonant is "e"
        ("Евгений", "Yevgeniy"),  # ... at the start of a word "ye"
        ("Кириенко", "Kiriyenko"),  # ... after a vowel "ye"
        ("Глазьев", "Glazyev"),  # ... after the soft sign "ye"; the sign itself is dropped
        ("Роснефть", "Rosneft"),
        ("Sovcomflot", "Sovcomflot"),  # Latin letters pass through
    ],
)
def test_cyrillic_letters_are_romanised_bgn_pcgn_style(cyrillic: str, latin: str) -> None:
    assert _latin(cyrillic) == latin


def test_short_i_and_hard_k_have_their_other_spellings_only_in_their_views() -> None:
    assert _latin("Лукойл") == "Lukoyl"
    assert _latin("Лукойл", I_FOR_SHORT_I) == "Lukoil"
    assert _latin("Совкомфлот", C_FOR_K) == "Sovcomflot"
    assert _latin("Совкомфлот") == "Sovkomflot"
    # before a soft vowel "к" stays "k" ("c" would read "s")
    assert _latin("Никита", C_FOR_K) == "Nikita"


def test_has_cyrillic() -> None:
    assert has_cyrillic("Минфин США")
    assert not has_cyrillic("Treasury sanctions Sovcomflot (Moskva)")


# --- views and their offsets -------------------------------------------------------------


def test_a_find_in_the_view_maps_back_to_the_exact_original_span() -> None:
    text = "Минфин США ввел санкции против «Лукойла»."
    view = latin_view(text)
    at = view.text.index("Lukoyla")
    start, end = view.span(at, at + len("Lukoyla"))
    assert text[start:end] == "Лукойла"
    at = view.text.index("SSHA")
    assert text[slice(*view.span(at, at + 4))] == "США"


def test_a_word_put_in_its_nominative_maps_back_to_the_whole_declined_word() -> None:
    text = "Санкции против Совкомфлота и Сергею Лаврову."
    view = latin_view(text, NOMINATIVE, nominative)
    assert "Sovkomflot i Sergey Lavrov." in view.text
    at = view.text.index("Sergey Lavrov")
    assert text[slice(*view.span(at, at + len("Sergey Lavrov")))] == "Сергею Лаврову"
    # a lower-case word is left as written: only names are put in their nominative
    assert latin_view("против санкции", NOMINATIVE, nominative).text == "protiv sanktsii"


def test_a_span_outside_the_view_is_refused() -> None:
    view = latin_view("ВТБ")
    with pytest.raises(IndexError):
        view.span(0, 4)
    with pytest.raises(IndexError):
        view.span(2, 2)
    with pytest.raises(IndexError):
        view.origin(3)


@given(
    st.text(
        alphabet=st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕЙКЩЬ Ivan-.,«»1")),
        max_size=60,
    )
)
def test_every_view_character_maps_into_the_original_in_order(text: str) -> None:
    """The referee of the offset map: every character's origin is inside the text, they
    never go back, a character that is not Cyrillic maps to itself, and a Latin letter of
    a word romanised letter by letter to the one Cyrillic letter it comes from."""
    for spelling in SPELLINGS:
        view = latin_view(text, spelling, lambda w, _after: w.lower())
        previous = 0
        for i, c in enumerate(view.text):
            start, end = view.origin(i)
            assert previous <= start < end <= len(text)
            previous = start
            if not has_cyrillic(text[start:end]):
                assert (text[start:end], end - start) == (c, 1)
            elif not spelling.nominative or not text[start:end][:1].isupper():
                assert end - start == 1  # letter by letter
                assert c.isascii()
                assert c.isalpha()


@given(st.text(alphabet=st.sampled_from(list("абвгдейкьъАБВЕЙКЬ Ivan-.,«»1")), max_size=60))
def test_all_views_at_once_are_each_view_made_alone(text: str) -> None:
    """The referee of the one-pass way the tagger makes its views."""
    assert latin_views(text, SPELLINGS, nominative) == [
        latin_view(text, spelling, nominative) for spelling in SPELLINGS
    ]


@given(st.text(alphabet=st.characters(max_codepoint=0x3FF), max_size=80))
def test_text_without_cyrillic_is_its_own_view(text: str) -> None:
    view = latin_view(text, NOMINATIVE, nominative)
    assert view.text == text
    assert [view.origin(i) for i in range(len(text))] == [(i, i + 1) for i in range(len(text))]


# --- the nominative -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "form"),
    [
        ("Лаврову", "лавров"),
        ("Сергея", "сергей"),
        ("Набиуллиной", "набиуллина"),  # a woman's surname stays feminine
        ("Совкомфлота", "совкомфлот"),  # a word the dictionary does not know: guessed
        ("Роснефти", "роснефть"),
        ("Дерипаски", "дерипаска"),  # a name is singular, not a plural "дерипаск"
        ("Шойгу", "шойгу"),  # indeclinable
    ],
)
def test_a_declined_name_is_put_in_its_nominative(word: str, form: str) -> None:
    assert nominative(word) == form


@pytest.mark.parametrize(
    ("first", "surname", "form", "latin"),
    [
        ("Сергея", "Нарышкина", "нарышкин", "Sergey Naryshkin"),  # his, not her nominative
        ("Мария", "Захарова", "захарова", "Mariya Zakharova"),  # hers
        ("Марии", "Захаровой", "захарова", "Mariya Zakharova"),
        ("Игоря", "Сечина", "сечин", "Igor Sechin"),
    ],
)
def test_a_first_name_before_a_surname_gives_it_its_gender(
    first: str, surname: str, form: str, latin: str
) -> None:
    assert nominative(surname, first) == form
    view = latin_view(f"по словам {first} {surname}", NOMINATIVE, nominative)
    assert view.text == f"po slovam {latin}"


# --- the tagger ---------------------------------------------------------------------------


def _entity(eid: str, schema: str, names: list[str], alias: tuple[str, ...] = ()) -> Any:
    return {
        "id": eid,
        "schema": schema,
        "properties": {"name": names, "alias": list(alias), "country": ["ru"]},
        "datasets": ["test_list"],
        "programs": ["RUSSIA-EO14024"],
    }


# Invented parties, written as OFAC writes them: Latin letters only, capitals.
LIST = [
    _entity("p-kramovtsev", "Person", ["Sergei KRAMOVTSEV"], alias=("KRAMOVTSEV",)),
    _entity("p-belokurova", "Person", ["Alina BELOKUROVA"]),
    _entity("c-volcomtrans", "Company", ["VOLCOMTRANS"]),
    _entity("c-zaroil", "Company", ["ZAROIL"]),
    _entity("c-molot", "Company", ["MOLOT"]),
]


@pytest.fixture(scope="module")
def data() -> TaggerData:
    return load_tagger_data()


@pytest.fixture(scope="module")
def tagger(data: TaggerData) -> EntityTagger:
    return data.tagger([e for e in map(watchlist_entry, LIST) if e is not None])


def _screen(tagger: EntityTagger, text: str) -> tuple[list[Entity], list[Entity]]:
    article = normalize_one(orjson.dumps({"id": "t", "title": "", "body": text}), Settings())
    entities, candidates = tagger.tag_all(article)
    for e in (*entities, *candidates):
        assert article.text[e.start : e.end] == e.text
    return [e for e in entities if e.label == "WATCHLIST"], list(candidates)


@pytest.mark.parametrize(
    ("text", "listed", "surface"),
    [
        # a declined person, given name through the list's spelling variants (sergei/sergey)
        ("Минфин США ввел санкции против Сергея Крамовцева.", "p-kramovtsev", "Сергея Крамовцева"),
        ("Сергей Крамовцев попал под санкции.", "p-kramovtsev", "Сергей Крамовцев"),
        ("Санкции против Алины Белокуровой продлены.", "p-belokurova", "Алины Белокуровой"),
        # "к" as "c", declined
        ("США ввели санкции против Волкомтранса.", "c-volcomtrans", "Волкомтранса"),
        # "й" as "i"
        ("Компания Заройл попала под санкции.", "c-zaroil", "Заройл"),
        ("Под санкции попал завод «Молот».", "c-molot", "Молот"),
    ],
)
def test_a_listed_latin_name_is_found_in_russian_text_declined_or_not(
    tagger: EntityTagger, text: str, listed: str, surface: str
) -> None:
    accepted, _ = _screen(tagger, text)
    (hit,) = [e for e in accepted if e.id == listed]
    assert hit.text == surface
    assert hit.match is not None
    assert hit.match.endswith("(Cyrillic)")
    (feature,) = [f for f in hit.features or () if f.name == "transliteration"]
    assert feature.weight == OTHER_SCRIPT
    assert repr(surface) in feature.detail


def test_a_ship_named_like_a_listed_company_is_only_a_candidate(tagger: EntityTagger) -> None:
    accepted, candidates = _screen(tagger, "В порту задержана яхта «Молот».")
    assert accepted == []
    assert [(c.id, c.text) for c in candidates] == [("c-molot", "Молот")]
    assert "named as a ship" in {f.name for f in candidates[0].features or ()}


def test_an_everyday_word_in_lower_case_is_not_a_listed_name(tagger: EntityTagger) -> None:
    accepted, candidates = _screen(tagger, "Кузнец взял молот и ударил по наковальне.")
    assert accepted == []
    assert candidates == []


def test_a_surname_alone_in_russian_needs_sanctions_language(tagger: EntityTagger) -> None:
    accepted, candidates = _screen(tagger, "Крамовцев выступил на форуме в Казани.")
    assert accepted == []
    (weak,) = candidates
    assert weak.id == "p-kramovtsev"
    assert weak.score is not None
    assert weak.score < THRESHOLD
    accepted, _ = _screen(tagger, "Крамовцев попал под санкции в пятницу.")
    assert [e.id for e in accepted] == ["p-kramovtsev"]


def test_latin_text_is_matched_as_before_without_the_transliteration_feature(
    tagger: EntityTagger,
) -> None:
    accepted, _ = _screen(tagger, "Treasury sanctioned Sergey Kramovtsev and Volcomtrans.")
    assert {(e.id, e.match) for e in accepted} == {
        ("p-kramovtsev", "transliteration"),
        ("c-volcomtrans", "exact"),
    }
    assert all(f.name != "transliteration" for e in accepted for f in e.features or ())


def test_a_latin_name_inside_russian_text_is_found_once(tagger: EntityTagger) -> None:
    accepted, _ = _screen(tagger, "США ввели санкции против компании Volcomtrans.")
    assert [(e.id, e.match) for e in accepted] == [("c-volcomtrans", "exact")]


def test_live_watchlist_changes_reach_russian_text(data: TaggerData, tagger: EntityTagger) -> None:
    """A party added by a live update is found in Cyrillic; a deleted one no longer."""
    added = watchlist_entry(_entity("c-gromtrans", "Company", ["GROMTRANS"]))
    assert added is not None
    layered = tagger.with_changes(
        {"c-molot": None, "c-gromtrans": added},
        len(LIST),
        transliterations=data.transliterations,
        common_words=data.common_words,
    )
    accepted, _ = _screen(layered, "Под санкции попали «Громтранс» и завод «Молот».")
    assert [e.id for e in accepted] == ["c-gromtrans"]
    accepted, _ = _screen(tagger, "Под санкции попали «Громтранс» и завод «Молот».")
    assert [e.id for e in accepted] == ["c-molot"]


# --- Korean names in Cyrillic -------------------------------------------------------------


def _korean(eid: str, names: list[str], country: str = "kp") -> Any:
    entity = _entity(eid, "Person", names)
    entity["properties"]["country"] = [country]
    return entity


# Invented North Korean parties, written as OFAC writes them (family name in capitals,
# last, or first before a comma) and with McCune-Reischauer's apostrophes.
KOREAN_LIST = [
    _korean("p-ko-chol-nam", ["Chol Nam KO"]),
    _korean("p-pak-son-hui", ["PAK, Son Hui"]),
    _korean("p-ryom-chol-ung", ["Ch'o'l-Ung RYOM"]),
    _korean("p-ri-il-bong", ["Il Bong RI"], country="ru"),  # not Korean by the list
]


@pytest.fixture(scope="module")
def korean_tagger(data: TaggerData) -> EntityTagger:
    return data.tagger([e for e in map(watchlist_entry, KOREAN_LIST) if e is not None])


@pytest.mark.parametrize(
    ("text", "listed", "surface"),
    [
        ("Санкции ввели против Ко Чхоль Нама.", "p-ko-chol-nam", "Ко Чхоль Нама"),  # declined
        ("Минфин США внес Ко Чхоль Нам в список.", "p-ko-chol-nam", "Ко Чхоль Нам"),
        ("Против Пак Сон Хи ввели санкции.", "p-pak-son-hui", "Пак Сон Хи"),  # not declined
        ("Санкции против Рём Чхоль Уна продлены.", "p-ryom-chol-ung", "Рём Чхоль Уна"),
    ],
)
def test_a_listed_korean_name_is_found_as_russian_writes_it(
    korean_tagger: EntityTagger, text: str, listed: str, surface: str
) -> None:
    accepted, _ = _screen(korean_tagger, text)
    (hit,) = [e for e in accepted if e.id == listed]
    assert hit.text == surface
    assert hit.match == "Korean name in Cyrillic (Cyrillic)"


def test_korean_spellings_are_only_for_parties_the_list_gives_korea(
    korean_tagger: EntityTagger,
) -> None:
    accepted, candidates = _screen(korean_tagger, "Санкции ввели против Ри Ир Бона.")
    assert accepted == []
    assert candidates == []


def test_a_korean_name_with_another_given_name_is_not_the_listed_party(
    korean_tagger: EntityTagger,
) -> None:
    accepted, _ = _screen(korean_tagger, "Санкции ввели против Ко Чхоль Мина.")
    assert accepted == []


def test_korean_syllables_come_family_name_first_and_whole() -> None:
    assert korean_syllables("Jong Un KIM") == ["kim", "jong", "un"]
    assert korean_syllables("KIM, Jong Un") == ["kim", "jong", "un"]
    assert korean_syllables("Ch'o'l-Chae KO") == ["ko", "chol", "chae"]
    assert korean_syllables("Yong Ho O") == ["o", "yong", "ho"]


def test_a_korean_name_in_cyrillic_is_keyed_in_every_case_and_view() -> None:
    spellings = {"kim": ["Ким"], "chol": ["Чхоль"], "hui": ["Хи"]}
    keys = korean_in_cyrillic(["kim", "chol"], spellings)
    assert keys[:5] == ["kim chkhol", "kim chkholya", "kim chkholyu", "kim chkholem", "kim chkhole"]
    assert korean_in_cyrillic(["kim", "hui"], spellings) == ["kim khi"]  # a vowel: one form
    assert korean_in_cyrillic(["kim", "mun"], spellings) == []  # a syllable not in the table


def test_a_korean_name_spelled_as_russian_writes_it_counts_only_in_cyrillic_text(
    korean_tagger: EntityTagger,
) -> None:
    # "Ko Chkhol Nam" is the Russian spelling in Latin letters: not how English writes it
    accepted, candidates = _screen(korean_tagger, "Treasury sanctioned Ko Chkhol Nam today.")
    assert accepted == []
    assert candidates == []
    accepted, _ = _screen(korean_tagger, "Treasury sanctioned Chol Nam Ko today.")
    assert [e.id for e in accepted] == ["p-ko-chol-nam"]
