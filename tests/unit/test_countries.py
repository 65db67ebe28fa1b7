"""An alert's countries with their roles (invented articles)."""

from __future__ import annotations

import pytest

from pipeline.resources import Stages
from tests.single import flag_one


def _roles(stages: Stages, title: str, body: str) -> set[tuple[str, str]]:
    alert = flag_one(stages, title, body)
    assert alert is not None
    roles = {(r.country, r.role) for r in alert.country_roles}
    assert set(alert.countries) == {c for c, _ in roles}  # countries: the roles' union
    text = f"{title}\n\n{body}"
    for r in alert.country_roles:
        assert r.sentence < len(text)
    return roles


def test_firms_based_in_third_countries_are_locations_the_target_and_the_designator(
    stages: Stages,
) -> None:
    roles = _roles(
        stages,
        "Treasury targets drone engine network",
        "The US Treasury on Tuesday sanctioned six firms based in the United Arab Emirates "
        "and Turkey for shipping drone engines to Iran.",
    )
    assert {("AE", "location"), ("TR", "location"), ("IR", "target"), ("US", "designator")} <= (
        roles
    )


def test_a_list_of_places_after_located_in_gives_each_its_location(stages: Stages) -> None:
    roles = _roles(
        stages,
        "Entity List additions",
        "The Commerce Department added 14 entities to the Entity List for supplying Russia's "
        "military. The entities are companies located in Armenia, Malta, Singapore and Spain.",
    )
    assert {("AM", "location"), ("MT", "location"), ("SG", "location"), ("ES", "location")} <= (
        roles
    )
    assert ("RU", "target") in roles


@pytest.mark.parametrize(
    ("body", "country", "role"),
    [
        (
            "The parts were sanctioned by Washington after they were transshipped through "
            "Malaysia to Iran.",
            "MY",
            "intermediary",
        ),
        ("Germany has confiscated a tanker under EU sanctions on Russia.", "DE", "designator"),
        ("Russian assets worth 7 billion francs were frozen by Switzerland.", "CH", "designator"),
        (
            "The Japanese government imposed sanctions on Russian banks on Friday.",
            "JP",
            "designator",
        ),
        ("Canada imposed sanctions on Haiti's former president.", "HT", "target"),
        (
            "The Treasury sanctioned Hong Kong-based traders for selling Iranian oil.",
            "HK",
            "location",
        ),
        (
            "Chinese suppliers shipped drone parts to Russia in violation of US sanctions.",
            "CN",
            "supplier",
        ),
    ],
)
def test_the_sentence_gives_the_role(stages: Stages, body: str, country: str, role: str) -> None:
    assert (country, role) in _roles(stages, "Sanctions news", body)


def test_a_country_named_in_passing_gets_no_role(stages: Stages) -> None:
    roles = _roles(
        stages,
        "Sanctions news",
        "The US Treasury sanctioned three Iranian oil traders on Monday. Separately, the "
        "minister flew to Norway for a conference.",
    )
    assert "NO" not in {c for c, _ in roles}


# French and Russian phrasings of the roles (2026.12.01-35): a list with its preposition
# repeated, firms "из" a country, a demonym after its noun, the government's noun before
# its country, a target after "в отношении" with the party's noun between.
@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        (
            "Минторг США расширил санкционный список",
            "Минторг США добавил в санкционный список несколько фирм из Турции, Индии и "
            "Китая за поставки микросхем в Россию.",
            {("CN", "location"), ("IN", "location"), ("TR", "location"), ("US", "designator")},
        ),
        (
            "Евросоюз ввел санкции против банков",
            "Евросоюз ввел санкции в отношении банков Таджикистана, Казахстана и Кыргызстана "
            "за содействие России в обходе ограничений.",
            {("KZ", "target"), ("KG", "target"), ("TJ", "target")},
        ),
        (
            "Власти Италии арестовали виллу",
            "Власти Италии наложили арест на виллу российского бизнесмена, попавшего под санкции.",
            {("IT", "designator"), ("RU", "target")},
        ),
        (
            "Washington gèle les avoirs de sociétés",
            "Le Trésor américain a gelé les avoirs d'entreprises basées au Vietnam, à Hong Kong "
            "et aux Emirats arabes unis, accusées d'aider l'Iran à écouler son brut.",
            {("AE", "location"), ("HK", "location"), ("VN", "location"), ("US", "designator")},
        ),
        (
            "Tokyo sanctionne des entités",
            "Le Japon a imposé des sanctions à des sociétés chinoises et à des banques russes "
            "qui aident la Russie.",
            {("CN", "location"), ("RU", "target"), ("JP", "designator")},
        ),
        (
            "Страны G7 запретят импорт алмазов",
            "Страны G7 (Великобритания, Германия, Италия и Франция) запретят импорт алмазов "
            "из России.",
            {
                ("GB", "designator"),
                ("DE", "designator"),
                ("IT", "designator"),
                ("FR", "designator"),
            },
        ),
    ],
)
def test_french_and_russian_phrasings_give_the_roles(
    stages: Stages, title: str, body: str, expected: set[tuple[str, str]]
) -> None:
    assert expected <= _roles(stages, title, body)


def test_an_english_list_keeps_its_own_roles(stages: Stages) -> None:
    """Only French and Russian lists go on with any role: an English one as before."""
    roles = _roles(
        stages,
        "Diamond ban",
        "Britain, Germany and Italy banned imports of diamonds from Russia on Monday.",
    )
    assert ("GB", "designator") in roles
    assert ("DE", "designator") not in roles


def test_french_customs_acting_against_evasion_are_its_designator(stages: Stages) -> None:
    """In French and Russian, the state whose agency acts against evasion is named by its
    noun before the trigger ("les douanes françaises"), though evasion is no measure."""
    roles = _roles(
        stages,
        "Réseau d'exportations illégales démantelé",
        "Les douanes françaises ont mis au jour un réseau de contrebande de puces "
        "électroniques vers la Russie.",
    )
    assert ("FR", "designator") in roles
