"""German and Spanish sanctions news: arms deals named by their aircraft or as a purchase,
fighters sent to a sanctioned state's forces, a drone base set up, freezes and bans named as
nouns, goods procured for a weapons programme, and the deals that stay quiet because no
sanctioned state is a party. Invented sentences."""

from __future__ import annotations

import tomllib

import pytest

from pipeline.errors import FatalError
from pipeline.models import InputArticle
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.normalize import normalize
from pipeline.stages.sanctions import _candidates, build_ruleset
from tests.single import flag_one


@pytest.mark.parametrize(
    ("title", "body", "event_type"),
    [
        (
            "Junta kauft Kampfhubschrauber",
            "Myanmar hat nach Angaben der Junta Kampfhubschrauber aus Russland gekauft.",
            "arms_transfer",
        ),
        (
            "Birmania recibe aviones de combate",
            "Rusia vendió aviones de combate a Birmania, según el ministerio.",
            "arms_transfer",
        ),
        (
            "Drones para Rusia",
            "Corea del Norte ha proporcionado drones a Rusia en los últimos meses.",
            "arms_transfer",
        ),
        (
            "Corea del Norte envía efectivos a Rusia",
            "Cientos de reclutas norcoreanos han servido en batallones rusos desde 2024.",
            "troop_deployment",
        ),
        (
            "Kämpfer für Russland",
            "Nordkorea schickt Kämpfer nach Russland, die in der russischen Armee dienen.",
            "troop_deployment",
        ),
        (
            "Rusia construyó una fábrica de drones en Bielorrusia",
            "Rusia abrió en Bielorrusia una base de drones con técnicos propios.",
            "military_cooperation",
        ),
        (
            "Sanktionen gegen Syrien",
            "Norwegen hat die Sanktionen gegen Syrien verschärft. Sie sehen das Einfrieren "
            "von Geldern syrischer Banken vor.",
            "asset_freeze",
        ),
        (
            "Sensoren für das nordkoreanische Atomprogramm geliefert",
            "Die Händler haben Sensoren für das nordkoreanische Atomprogramm beschafft.",
            "proliferation",
        ),
        (
            "Tornos para fabricar misiles iban a Siria",
            "La empresa exportaba a Siria tornos para fabricar misiles, según la fiscalía.",
            "proliferation",
        ),
        (
            "Material de doble uso",
            "La aduana retuvo tornos catalogados como material de doble uso destinados a Rusia.",
            "export_control",
        ),
        (
            "Ausfuhrkontrollen umgangen",
            "Die Firma wollte die Ausfuhrkontrollen über Armenien umgehen und lieferte "
            "nach Russland.",
            "sanctions_evasion",
        ),
        (
            "Liechtenstein übernimmt EU-Sanktionen",
            "Liechtenstein hat die neuen EU-Sanktionen gegen Belarus übernommen.",
            "sanctions_designation",
        ),
        (
            "Reedereien auf der schwarzen Liste",
            "Japan setzte zwei Reedereien aus Syrien auf die schwarze Liste.",
            "sanctions_designation",
        ),
        (
            "UN-Sicherheitsrat beschliesst Sanktionen",
            "Der UN-Sicherheitsrat hat neue Sanktionen gegen Nordkorea beschlossen.",
            "un_sanctions_action",
        ),
        (
            "Haft wegen Sanktionsbruchs",
            "Ein Händler wurde wegen Sanktionsbruchs im Handel mit Russland verurteilt.",
            "sanctions_evasion",
        ),
        (
            "Londres sanciona a dos navieras",
            "Dos navieras de Irán fueron sancionadas por el Reino Unido.",
            "sanctions_designation",
        ),
        (
            "La empresa eludió las sanciones",
            "La empresa eludió las sanciones contra Rusia mediante intermediarios.",
            "sanctions_evasion",
        ),
        (
            "Rusia ayuda a Corea del Norte a desarrollar misiles",
            "Rusia ayuda a Corea del Norte a desarrollar misiles y satélites.",
            "military_cooperation",
        ),
        (
            "Strafmassnahmen gegen Russland",
            "Der Bundesrat hat weitere Strafmassnahmen gegen Russland beschlossen.",
            "sanctions_designation",
        ),
    ],
)
def test_each_new_kind_of_trigger_is_flagged(
    stages: Stages, title: str, body: str, event_type: str
) -> None:
    alert = flag_one(stages, title, body)
    assert alert is not None, body
    assert event_type in alert.event_types


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # arms deals of states no sanctions regime names
        ("Schweiz kauft Kampfjets", "Die Schweiz kauft 36 Kampfjets aus den USA."),
        ("Colombia compra cazas", "Colombia firmó la compra de 17 cazas a Suecia."),
        (
            "Bundeswehr bekommt Hubschrauber",
            "Die Bundeswehr hat schwere Transporthubschrauber aus den USA gekauft.",
        ),
        # the sanctioned state as the threat deterred or the front faced, not a party
        (
            "Polen kauft Kampfflugzeuge",
            "Polen kauft Kampfflugzeuge aus Südkorea, zum Schutz vor Russland.",
        ),
        (
            "Abschreckung",
            "Der Kauf der Kampfjets aus den USA soll die Abschreckung gegenüber Russland stärken.",
        ),
        (
            "Soldaten nach Litauen",
            "Deutschland schickt Soldaten nach Litauen, um die Ostflanke gegen Russland "
            "zu stärken.",
        ),
        (
            "Cazas para Argentina",
            "La compra de cazas F-16 por Argentina busca disuadir a Rusia en el Atlántico Sur.",
        ),
        # the army fought against, the arms trade of criminal gangs
        (
            "Combates en Kursk",
            "Los soldados ucranianos combaten en la región de Kursk contra el ejército ruso.",
        ),
        (
            "Armas en la frontera",
            "El comercio de armas ilegales en Venezuela aumentó, según la ONG.",
        ),
        # a company's trade named as its business, a ban on sales
        (
            "Un yate de lujo",
            "El yate pertenece al director de una empresa de venta de armas de Rusia.",
        ),
        (
            "Verbot",
            "Die EU verbietet den Kauf von Waffen aus Russland seit Jahren nicht.",
        ),
        # a sanctioned status named in passing, a player's ban
        (
            "Petrolero en Cuba",
            "El petrolero, que fue sancionado por el Tesoro de Estados Unidos, llegó a Cuba.",
        ),
        (
            "Fútbol",
            "El portero de Venezuela fue sancionado con tres fechas.",
        ),
        # the fight against laundering, not laundering for a party
        (
            "Leyes",
            "El Gobierno de Venezuela invocó la ley contra el lavado de activos para cerrar "
            "dos ONG.",
        ),
    ],
)
def test_deals_and_laws_without_a_sanctioned_party_stay_quiet(
    stages: Stages, title: str, body: str
) -> None:
    alert = flag_one(stages, title, body)
    assert alert is None, alert.evidence if alert else None


def test_places_listed_after_countries_such_as_are_where_the_parties_are_based(
    stages: Stages,
) -> None:
    alert = flag_one(
        stages,
        "Canadá sanciona a nueve empresas vinculadas con Irán",
        "El Gobierno de Canadá sancionó a nueve empresas vinculadas con Irán. Las empresas "
        "estaban radicadas en varios países europeos como Chipre, Grecia y Malta.",
    )
    assert alert is not None
    assert {"IR", "CA", "CY", "GR", "MT"} <= set(alert.countries)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("Las empresas tenían sede en Holanda.", "NL"),
        ("Teherán negó cualquier implicación.", "IR"),
        ("La Habana rechazó las acusaciones del Departamento de Estado.", "CU"),
        ("Havanna wies die Vorwürfe zurück.", "CU"),
    ],
)
def test_everyday_names_and_capitals_in_spanish_and_german_are_countries(
    stages: Stages, body: str, code: str
) -> None:
    article = normalize(InputArticle(title="", body=body))
    found = {e.id for e in tag_article(stages.tagger, article).entities if e.label == "COUNTRY"}
    assert code in found


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Neue Sanktionen gegen Russland",
            "Die EU hat wegen des Angriffskriegs in der Ukraine neue Sanktionen gegen "
            "russische Banken verhängt.",
        ),
        (
            "Neue Sanktionen gegen Russland",
            "Die EU hat wegen des Ukraine-Kriegs neue Sanktionen gegen russische Banken verhängt.",
        ),
        (
            "Nuevas sanciones contra Rusia",
            "La UE impuso nuevas sanciones a bancos rusos por la guerra en Ucrania.",
        ),
    ],
)
def test_a_designating_state_named_as_the_wars_theatre_is_no_country_of_the_alert(
    stages: Stages, title: str, body: str
) -> None:
    alert = flag_one(stages, title, body)
    assert alert is not None
    assert "RU" in alert.countries
    assert "UA" not in alert.countries


def test_a_designating_state_that_acts_keeps_its_role(stages: Stages) -> None:
    alert = flag_one(
        stages,
        "Ukraine verhängt Sanktionen",
        "Die Ukraine hat neue Sanktionen gegen russische Banken verhängt.",
    )
    assert alert is not None
    assert {"UA", "RU"} <= set(alert.countries)


@pytest.mark.parametrize(
    ("title", "body", "code"),
    [
        (
            "Yate retenido",
            "Las autoridades retuvieron en Barcelona el yate de un oligarca ruso sancionado "
            "por la UE.",
            "ES",
        ),
        (
            "Jacht beschlagnahmt",
            "Der Zoll hat in Hamburg die Jacht eines russischen Oligarchen beschlagnahmt.",
            "DE",
        ),
        (
            "Tornos para Siria",
            "Los tornos se almacenaron en España antes de salir hacia Siria, vulnerando "
            "las sanciones.",
            "ES",
        ),
    ],
)
def test_where_an_enforcement_happens_is_a_country_of_the_alert(
    stages: Stages, title: str, body: str, code: str
) -> None:
    alert = flag_one(stages, title, body)
    assert alert is not None
    assert code in alert.countries


def test_a_designation_next_to_a_security_council_action_is_that_action(
    stages: Stages,
) -> None:
    """`yields_reach = 1`: the regime's content named beside the Council's vote."""
    renewal = flag_one(
        stages,
        "La ONU renueva las sanciones contra Libia",
        "El Consejo de Seguridad de la ONU renovó hasta 2027 el embargo de armas a Libia. "
        "El régimen contempla además la prohibición de viajar para doce dirigentes.",
    )
    assert renewal is not None
    assert "un_sanctions_action" in renewal.event_types
    assert "sanctions_designation" not in renewal.event_types
    farther = flag_one(
        stages,
        "La ONU renueva las sanciones contra Libia",
        "El Consejo de Seguridad de la ONU renovó hasta 2027 el embargo de armas a Libia. "
        "La votación fue unánime en Nueva York. Los diplomáticos celebraron el acuerdo. "
        "Estados Unidos impuso además sanciones a tres empresas de Libia.",
    )
    assert farther is not None
    assert "sanctions_designation" in farther.event_types


@pytest.mark.parametrize(("reach", "yields_to"), [(3, ["un_sanctions_action"]), (1, [])])
def test_a_bad_yields_reach_stops_start_up(
    settings: Settings, reach: int, yields_to: list[str]
) -> None:
    with settings.rules.open("rb") as fh:
        doc = tomllib.load(fh)
    with settings.regimes.open("rb") as fh:
        regimes = tomllib.load(fh)
    rule = doc["event"][0]["rule"][0]
    rule["yields_reach"] = reach
    rule["yields_to"] = yields_to
    with pytest.raises(FatalError, match="yields_reach"):
        build_ruleset(doc, regimes)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "Sanktionen gegen Iran",
            "Die EU verhängt Sanktionen gegen Iran wegen der Lieferung von Drohnen und Raketen.",
        ),
        (
            "Sanciones contra Irán",
            "La UE impone sanciones contra Irán por el suministro de drones a los rebeldes.",
        ),
    ],
)
def test_the_state_sanctioned_for_its_deliveries_is_their_supplier(
    stages: Stages, title: str, body: str
) -> None:
    alert = flag_one(stages, title, body)
    assert alert is not None
    assert "arms_transfer" in alert.event_types


def test_every_rule_example_passes_the_anchor_prefilter(stages: Stages) -> None:
    """An example whose event has no anchor stem in it would never reach its pattern in
    the pipeline ("Preisobergrenze", "Beschaffungsverbot" once had none)."""
    rules = stages.rules
    missing = [
        f"{event.code}/{rule.name}: {example}"
        for index, event in enumerate(rules.events)
        for rule in event.rules
        for example in rule.examples
        if rule.pattern.search(example) and index not in _candidates(example, rules)
    ]
    assert missing == []
