"""Sanctions news in French, German, Spanish and Russian (issue 18): country names from
CLDR with the inflected forms running text uses, triggers per event type, and the other
senses of the local word for sanction staying quiet. Invented sentences."""

from __future__ import annotations

import pytest

from pipeline import countries_i18n
from pipeline.models import InputArticle
from pipeline.resources import Stages
from pipeline.stages.entities import tag_article
from pipeline.stages.normalize import normalize
from tests.single import flag_one


def _countries(stages: Stages, body: str) -> set[str]:
    article = normalize(InputArticle(title="", body=body))
    return {e.id for e in tag_article(stages.tagger, article).entities if e.label == "COUNTRY"}


def _demonyms(stages: Stages, body: str) -> set[str]:
    article = normalize(InputArticle(title="", body=body))
    return {e.id for e in tag_article(stages.tagger, article).entities if e.label == "NORP"}


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ("La marine a arrêté un pétrolier russe et deux navires iraniens.", {"RU", "IR"}),
        ("Nordkoreanische Soldaten kämpfen an der Seite russischer Truppen.", {"KP", "RU"}),
        ("Los buques rusos llevaron petróleo a empresas chinas.", {"RU", "CN"}),
        ("Власти задержали яхты россиян и иранские танкеры.", {"RU", "IR"}),
    ],
)
def test_demonyms_in_four_languages_in_every_form_are_nationalities_with_a_country(
    stages: Stages, body: str, codes: set[str]
) -> None:
    assert codes <= _demonyms(stages, body)


def test_a_spanish_demonym_that_is_an_english_word_stays_out(stages: Stages) -> None:
    assert "CN" not in _demonyms(stages, "He ate from china plates in the museum.")


def test_the_generated_country_names_are_current() -> None:
    assert countries_i18n.main(["--check"]) == 0, "run make countries-i18n"


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ("Les sanctions visent la Russie et la Corée du Nord.", {"RU", "KP"}),
        ("Die Exporte Russlands und Nordkoreas brachen ein.", {"RU", "KP"}),
        ("Estados Unidos y la Unión Europea hablaron con Irán.", {"US", "EU", "IR"}),
        ("Поставки из России в КНДР и Северную Корею выросли.", {"RU", "KP"}),
        ("Минфин США и Евросоюз заявили о мерах против Ирана.", {"US", "EU", "IR"}),
    ],
)
def test_country_names_in_four_languages_and_their_inflected_forms(
    stages: Stages, body: str, codes: set[str]
) -> None:
    assert codes <= _countries(stages, body)


@pytest.mark.parametrize(
    ("title", "body", "event_type"),
    [
        (
            "Nouvelles sanctions",
            "L'Union européenne a adopté de nouvelles sanctions contre la Russie ce lundi.",
            "sanctions_designation",
        ),
        (
            "Neue Sanktionen",
            "Die EU hat am Montag neue Sanktionen gegen Russland verhängt.",
            "sanctions_designation",
        ),
        (
            "Nuevas sanciones",
            "Estados Unidos impuso sanciones a tres empresas de Irán por su programa de misiles.",
            "sanctions_designation",
        ),
        (
            "Новые санкции",
            "США ввели санкции против трех компаний из России в понедельник.",
            "sanctions_designation",
        ),
        (
            "Avoirs gelés",
            "La France a gelé les avoirs de deux banques de Russie, a annoncé le Trésor.",
            "asset_freeze",
        ),
        (
            "Vermögen eingefroren",
            "Deutschland hat Vermögenswerte russischer Firmen eingefroren, teilte die EU mit.",
            "asset_freeze",
        ),
        (
            "Yate retenido",
            "España congeló los activos de un empresario de Rusia sancionado por la UE.",
            "asset_freeze",
        ),
        (
            "Активы заморожены",
            "Евросоюз заморозил активы двух банков из России.",
            "asset_freeze",
        ),
        (
            "Flotte fantôme",
            "Des pétroliers de la flotte fantôme transportent du pétrole de Russie.",
            "sanctions_evasion",
        ),
        (
            "Schattenflotte",
            "Tanker der Schattenflotte bringen Öl aus Russland nach Asien.",
            "sanctions_evasion",
        ),
        (
            "Evasión",
            "Una red de empresas ayudó a Irán a eludir las sanciones sobre el petróleo.",
            "sanctions_evasion",
        ),
        (
            "Обход санкций",
            "Компании помогали России в обходе санкций через третьи страны.",
            "sanctions_evasion",
        ),
        (
            "Embargoverstoß",
            "Ein Händler wurde wegen Embargoverstoß verurteilt: er lieferte Teile nach Russland.",
            "export_control",
        ),
        (  # one sentence of a weaker event type: a headline carries it over the line
            "La Corée du Nord lance un nouveau missile balistique intercontinental",
            "La Corée du Nord a tiré mardi un missile balistique intercontinental.",
            "proliferation",
        ),
        (
            "КНДР испытала межконтинентальную баллистическую ракету",
            "КНДР испытала новую межконтинентальную баллистическую ракету.",
            "proliferation",
        ),
        (
            "ООН продлила эмбарго на поставки оружия в Ливию",
            "Совбез ООН продлил эмбарго на поставки оружия в Ливию ещё на год.",
            "trade_embargo",
        ),
        # ship-to-ship transfers, measures that include an embargo (rules 2026.12.01-20)
        (
            "Transferts de navire à navire",
            "Des pétroliers iraniens ont transféré du pétrole de navire à navire au large de "
            "la Malaisie.",
            "sanctions_evasion",
        ),
        (
            "La UE aprueba sanciones contra Venezuela",
            "Las medidas incluyen un embargo de armas contra el gobierno de Venezuela.",
            "trade_embargo",
        ),
        # travel bans, embargoes entering into force (rules 2026.12.01-19)
        (
            "Interdiction de voyager",
            "Le Conseil de l'Union européenne a imposé une interdiction de voyager et un gel des "
            "avoirs à dix responsables russes.",
            "sanctions_designation",
        ),
        (
            "Эмбарго ЕС на российскую нефть вступило в силу",
            "Эмбарго ЕС на российскую нефть вступило в силу в понедельник.",
            "trade_embargo",
        ),
        # compounds, word orders and UN sanctions back in force (rules 2026.12.01-17)
        (
            "Pyongyang envoie des soldats en Russie",
            "La Corée du Nord envoie des milliers de soldats en Russie, selon Séoul.",
            "troop_deployment",
        ),
        (
            "В Курской области воюют солдаты КНДР",
            "Около 11 тысяч военных КНДР были направлены в Россию.",
            "troop_deployment",
        ),
        (
            "Nordkorea testet Interkontinentalrakete",
            "Nordkorea hat erneut eine Interkontinentalrakete getestet.",
            "proliferation",
        ),
        (
            "UN verlängert Waffenembargo gegen Libyen",
            "Der UN-Sicherheitsrat hat das Waffenembargo gegen Libyen verlängert.",
            "un_sanctions_action",
        ),
        (
            "UN-Sanktionen gegen Iran wieder in Kraft",
            "Die UN-Sanktionen gegen Iran sind wieder in Kraft getreten.",
            "un_sanctions_action",
        ),
        # delistings and relief, enforcement, payments, UN bodies (rules 2026.12.01-16)
        (
            "Levée des sanctions",
            "L'Union européenne a levé les sanctions contre trois banques de Syrie.",
            "sanctions_designation",
        ),
        (
            "Sanktionen aufgehoben",
            "Die EU hebt die Sanktionen gegen zwei Banken aus Syrien auf.",
            "sanctions_designation",
        ),
        (
            "США исключили из санкционного списка две компании из России",
            "Минфин США исключил из санкционного списка две компании из России.",
            "sanctions_designation",
        ),
        (
            "Mit Sanktionen belegt",
            "Die USA belegen zwei Reedereien aus Russland mit Sanktionen.",
            "sanctions_designation",
        ),
        (
            "Haft wegen Schmuggels",
            "Ein Mann wurde wegen Schmuggels von Mikroelektronik nach Russland verurteilt.",
            "sanctions_evasion",
        ),
        (
            "Exportación ilegal",
            "Un ciudadano ruso fue detenido por la exportación ilegal de tecnología a Rusia.",
            "sanctions_evasion",
        ),
        (
            "Житель США поставлял в Россию микроэлектронику",
            "Он поставлял в Россию микроэлектронику и полупроводники из США.",
            "export_control",
        ),
        (
            "Estados Unidos restringe las remesas a Cuba",
            "Las nuevas reglas del Tesoro de Estados Unidos impedirán las remesas a Cuba.",
            "financial_sanctions",
        ),
        (
            "L'ONU surveillera l'embargo sur les armes visant la Corée du Nord",
            "Le Conseil de sécurité a demandé à la mission de surveiller l'embargo sur "
            "les armes visant la Corée du Nord.",
            "un_sanctions_action",
        ),
    ],
)
def test_each_kind_of_event_is_flagged_in_its_language(
    stages: Stages, title: str, body: str, event_type: str
) -> None:
    alert = flag_one(stages, title, body)
    assert alert is not None, body
    assert event_type in alert.event_types
    for evidence in alert.evidence:  # the evidence stays in the article's language
        assert evidence.text in body or evidence.text == title


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # sport, courts, welfare, penalties: the other senses of the local word
        ("Carton rouge", "L'arbitre a infligé une sanction au joueur russe après le match."),
        ("Bürgergeld", "Das Jobcenter verhängt Sanktionen gegen Arbeitslose, auch aus Russland."),
        ("LaLiga", "El jugador fue sancionado con dos partidos tras la tarjeta roja ante Rusia."),
        ("Штрафы", "Застройщикам продлили мораторий на штрафные санкции в России."),
        # regulators, discipline, club courts, tax offices (rules 2026.12.01-17)
        (
            "AMF",
            "La commission des sanctions de l'AMF a sanctionné une société. Elle gérait des "
            "fonds russes.",
        ),
        ("Faute grave", "Le fonctionnaire a été sanctionné pour faute grave. Il a vécu en Russie."),
        (
            "Sportgericht",
            "Das Sportgericht hat den Verein sanktioniert, Fans aus Russland randalierten.",
        ),
        ("CNMV", "La CNMV ha sancionado a una entidad. La entidad operaba con Rusia."),
        ("Hacienda", "Hacienda impone sanciones a los contribuyentes con bienes en Venezuela."),
        ("ЦБ", "Банк России наложил санкции на два банка за нарушение нормативов."),
        (
            "Экономика",
            "Несмотря на санкции, экономика России выросла. Введенные Западом санкции не "
            "остановили рост.",
        ),
        # backdrop: existing sanctions mentioned, no new measure
        (
            "Autowerk",
            "Wegen der westlichen Sanktionen gegen Russland fehlen dem Werk Teile.",
        ),
        ("Précios", "À cause des sanctions contre la Russie, les prix du gaz ont augmenté."),
        # a country named, nothing sanctions-related
        ("Météo", "Il a neigé à Moscou et en Corée du Nord ce week-end."),
        ("Wetter", "In Russland und im Iran war es am Wochenende kalt."),
    ],
)
def test_other_senses_and_backdrop_stay_quiet(stages: Stages, title: str, body: str) -> None:
    assert flag_one(stages, title, body) is None, body


def test_a_rule_for_other_languages_is_skipped_once_the_language_is_known(
    stages: Stages,
) -> None:
    from pipeline.stages.sanctions import _first_match

    (event,) = (e for e in stages.rules.events if e.code == "sanctions_designation")
    sentence = "Le Conseil a adopté de nouvelles sanctions contre la Russie."
    assert _first_match(event, sentence, "en") == ()
    ((rule, _),) = _first_match(event, sentence, "fr")
    assert rule.languages == {"fr"}
    assert _first_match(event, sentence, None)  # language unknown: every rule runs


def test_the_alert_and_its_source_carry_the_articles_language(stages: Stages) -> None:
    alert = flag_one(stages, "Новые санкции", "США ввели санкции против трех компаний из России.")
    assert alert is not None
    assert alert.language == "ru"
    assert [s.language for s in alert.sources] == ["ru"]


@pytest.mark.parametrize(
    ("plain", "hedged"),
    [
        (
            "L'Union européenne a adopté de nouvelles sanctions contre la Russie.",
            "L'Union européenne envisage de nouvelles sanctions contre la Russie.",
        ),
        (
            "Die EU hat neue Sanktionen gegen Russland verhängt.",
            "Die EU erwägt, neue Sanktionen gegen Russland zu verhängen.",
        ),
        (
            "Estados Unidos impuso sanciones a tres empresas de Irán.",
            "Estados Unidos podría imponer sanciones a tres empresas de Irán.",
        ),
        (
            "США ввели санкции против трех компаний из России.",
            "США планируют ввести санкции против трех компаний из России.",
        ),
    ],
)
def test_hedged_or_prospective_wording_scores_lower_in_each_language(
    stages: Stages, plain: str, hedged: str
) -> None:
    sure = flag_one(stages, "", plain)
    assert sure is not None
    maybe = flag_one(stages, "", hedged)
    assert maybe is None or maybe.score < sure.score


def test_the_local_cues_leave_english_sentences_alone(stages: Stages) -> None:
    # "plant", "students", "will" are English words; the cues of the other languages must
    # not read them as hedges
    plain = flag_one(stages, "", "The US Treasury imposed sanctions on a plant in Iran.")
    also = flag_one(
        stages, "", "The US Treasury imposed sanctions on a plant in Iran that students will visit."
    )
    assert plain is not None
    assert also is not None
    assert also.score == plain.score


@pytest.mark.parametrize(
    ("body", "authority"),
    [
        ("Le Conseil de l'Union européenne a adopté de nouvelles mesures.", "eu-council"),
        ("Der Weltsicherheitsrat tagte am Montag in New York.", "un-security-council"),
        ("Das BAFA prüft die Ausfuhr der Maschinen.", "de-bafa"),
        ("El Departamento del Tesoro publicó la lista el martes.", "us-treasury"),
        ("Совбез ООН продлил режим на год.", "un-security-council"),
        ("Решение приняли в Совете Безопасности ООН.", "un-security-council"),
    ],
)
def test_sanctioning_authorities_are_named_in_each_language(
    stages: Stages, body: str, authority: str
) -> None:
    article = normalize(InputArticle(title="", body=body))
    found = {e.id for e in tag_article(stages.tagger, article).entities}
    assert authority in found


def test_a_rule_of_the_sentence_window_needs_the_sanctioned_state_in_its_sentence(
    stages: Stages,
) -> None:
    # allies' cooperation reported beside a sanctioned state's test is not its cooperation
    beside = flag_one(
        stages,
        "Raketentest",
        "Nordkorea feuerte am Montag eine ballistische Rakete ab. Südkorea baute daraufhin "
        "seine Militärkooperation mit den USA aus. Nordkorea liefert Granaten an Russland.",
    )
    assert beside is not None
    assert "military_cooperation" not in beside.event_types
    within = flag_one(
        stages,
        "Bündnis",
        "Nordkorea und Russland vertiefen ihre militärische Zusammenarbeit, sagte der "
        "Minister am Dienstag in Pjöngjang. Nordkorea liefert Granaten an Russland.",
    )
    assert within is not None
    assert "military_cooperation" in within.event_types


@pytest.mark.parametrize(
    ("plain", "qualified"),
    [
        # a negation just before the trigger
        (
            "La France a imposé de nouvelles sanctions à l'Iran.",
            "La France n'a pas imposé de nouvelles sanctions à l'Iran.",
        ),
        (
            "Die EU hat neue Sanktionen gegen Russland verhängt.",
            "Die EU hat keine neuen Sanktionen gegen Russland verhängt.",
        ),
        (
            "Estados Unidos impuso sanciones a tres empresas de Irán.",
            "Estados Unidos no impuso sanciones a tres empresas de Irán.",
        ),
        (
            "США ввели санкции против трех компаний из России.",
            "США так и не ввели санкции против трех компаний из России.",
        ),
        # a backdrop: a past measure, a clause of reaction or concession
        (
            "L'Union européenne a imposé un embargo sur les armes à la Russie.",
            "Le commerce a continué en dépit de l'embargo imposé à la Russie.",
        ),
        (
            "Die EU hat Sanktionen gegen Russland verhängt.",
            "Zuvor hatte die EU bereits Sanktionen gegen Russland verhängt.",
        ),
        (
            "La Unión Europea impuso a Venezuela un embargo de armas.",
            "La Unión Europea ya impuso a Venezuela un embargo de armas.",
        ),
        (
            "Запад ввел санкции против России.",
            "После того как Запад ввел санкции против России, ЦБ поднял ставку.",
        ),
    ],
)
def test_a_negated_or_backdrop_trigger_weighs_less_in_each_language(
    stages: Stages, plain: str, qualified: str
) -> None:
    sure = flag_one(stages, "", plain + " " + plain)
    assert sure is not None
    weaker = flag_one(stages, "", qualified + " " + qualified)
    assert weaker is None or weaker.score < sure.score


def test_a_rejected_accusation_weighs_less_in_german(stages: Stages) -> None:
    plain = flag_one(stages, "", "Der Iran baut Atomwaffen. Der Iran baut Atomwaffen.")
    rejected = flag_one(
        stages,
        "",
        "Teheran weist die Vorwürfe zurück, wonach der Iran Atomwaffen baut. Teheran weist die "
        "Vorwürfe zurück, wonach der Iran Atomwaffen baut.",
    )
    assert plain is not None
    assert rejected is None or rejected.score < plain.score


def test_a_cue_in_another_clause_leaves_the_trigger_alone(stages: Stages) -> None:
    # "malgré les critiques," ends before the new measure; so does "nachdem ..., "
    plain = flag_one(
        stages, "", "L'Union européenne a adopté de nouvelles sanctions contre la Russie."
    )
    fronted = flag_one(
        stages,
        "",
        "Malgré les critiques, l'Union européenne a adopté de nouvelles sanctions "
        "contre la Russie.",
    )
    assert plain is not None
    assert fronted is not None
    assert fronted.score == plain.score


def test_the_local_cues_are_read_only_in_their_own_language(stages: Stages) -> None:
    rules = stages.rules
    sentence = "Estados Unidos no impuso sanciones a tres empresas de Irán."
    at = sentence.index("impuso")
    end = sentence.index(" a tres")
    assert rules.negated.qualify(sentence, at, end, "es")
    # English has no cues of its own; a sentence of unknown language reads none either
    assert not rules.negated.qualify(sentence, at, end, "en")
    assert not rules.negated.qualify(sentence, at, end, None)
    plain = flag_one(stages, "", "The US did not impose sanctions on three companies in Iran.")
    also = flag_one(stages, "", "The US imposed sanctions on three companies in Iran.")
    assert plain is not None
    assert also is not None
    assert plain.score == also.score  # English negation is not read (English is unchanged)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "La Pologne achète des chars",
            "La Pologne a acheté des chars à la Corée du Sud face à la menace russe. "
            "L'Ukraine a reçu des missiles pour se défendre contre la Russie.",
        ),
        (
            "Polen kauft Panzer",
            "Polen hat wegen des russischen Angriffskriegs Panzer aus Südkorea erhalten. "
            "Die Ukraine erhielt Raketen, um sich gegen Russland zu verteidigen.",
        ),
        (
            "Polonia compra tanques",
            "Polonia compró armamento a Corea del Sur ante la amenaza rusa. Ucrania recibió "
            "misiles tras la invasión rusa.",
        ),
        (
            "Польша закупила танки",
            "Польша закупила вооружение у Южной Кореи на фоне угрозы со стороны России. "
            "Украина получила ракеты для защиты от России.",
        ),
    ],
)
def test_arms_bought_against_a_sanctioned_adversary_are_no_transfer_to_it(
    stages: Stages, title: str, body: str
) -> None:
    """The sanctioned state is the threat or the war, not a party to the deal."""
    alert = flag_one(stages, title, body)
    assert alert is None or "arms_transfer" not in alert.event_types


def test_arms_received_by_a_sanctioned_state_are_a_transfer(stages: Stages) -> None:
    sanctioned_for_it = flag_one(
        stages,
        "Санкции против Тегерана из-за поставок беспилотников Москве",
        "Лондон ввел санкции против Ирана из-за поставок ударных беспилотников России.",
    )
    assert sanctioned_for_it is not None
    assert "arms_transfer" in sanctioned_for_it.event_types
    alert = flag_one(
        stages,
        "La Russie a reçu des drones iraniens",
        "La Russie a reçu des centaines de drones iraniens.",
    )
    assert alert is not None
    assert "arms_transfer" in alert.event_types


def test_evading_the_sanctions_counts_two_sentences_from_its_party(stages: Stages) -> None:
    """A trigger that names the sanctions it evades (rule window "near") counts with its
    sanctioned party two sentences away, not three (2026.12.01-35)."""
    party = "Яхта принадлежит российскому бизнесмену, попавшему под санкции."
    filler = "Об этом говорится в пресс-релизе ведомства."
    evasion = "Обвинение строится на уклонении от санкций и отмывании средств."
    seized = "Власти США потребовали конфискации яхты."
    near = flag_one(stages, "", f"{seized} {party} {filler} {evasion}")
    assert near is not None
    assert "sanctions_evasion" in near.event_types
    far = flag_one(stages, "", f"{seized} {party} {filler} {filler} {evasion}")
    assert far is not None
    assert "sanctions_evasion" not in far.event_types


def test_a_seizure_at_home_in_russia_is_no_sanctions_event(stages: Stages) -> None:
    """A Russian seizure needs more than Russia named near it (rule key not_alone): a
    Moscow court's seizure is domestic news, Italy's seizure of a listed party's villa is
    enforcement (2026.12.01-35)."""
    home = flag_one(
        stages,
        "Суд арестовал имущество экс-губернатора",
        "Суд в Москве наложил арест на имущество бывшего губернатора области. Российские "
        "правоохранительные органы продолжают проверку.",
    )
    assert home is None
    abroad = flag_one(
        stages,
        "Власти Италии наложили арест на виллу",
        "Власти Италии наложили арест на виллу российского миллиардера, попавшего под санкции. "
        "Власти Италии наложили арест на его яхту.",
    )
    assert abroad is not None
    assert "asset_freeze" in abroad.event_types


def test_prices_moving_after_new_sanctions_raise_nothing_in_french(stages: Stages) -> None:
    """Sanctions as market background: 'après l'annonce de', 'sur fond de' (2026.12.01-35)."""
    alert = flag_one(
        stages,
        "Les marchés russes reculent",
        "La Bourse de Moscou a reculé après l'annonce de nouvelles sanctions contre la Russie. "
        "Le rouble a prolongé sa chute sur fond de nouvelles sanctions contre la Russie.",
    )
    assert alert is None
