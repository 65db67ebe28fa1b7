"""The sanctions flagger: the seed is flagged with evidence; hard negatives stay quiet."""

from __future__ import annotations

import tomllib

import orjson
import pytest

from pipeline.errors import FatalError
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.sanctions import build_ruleset, flag
from tests.single import flag_one


def test_the_seed_article_is_flagged_with_kp_ru_and_its_own_sentences(
    stages: Stages, seed_bytes: bytes, settings: Settings
) -> None:
    from tests.single import run_one

    result = run_one(seed_bytes, stages, settings)
    alert = result.alert
    assert alert is not None
    assert {"KP", "RU"} <= set(alert.countries)
    assert {"arms_transfer", "troop_deployment", "military_cooperation"} <= set(alert.event_types)
    assert alert.severity in ("high", "critical")
    for e in alert.evidence:
        assert result.article.text[e.start : e.end] == e.text
        assert e.trigger.lower() in e.text.lower()
    assert any("nine million rounds" in e.text for e in alert.evidence)
    assert ("KP", "RU") in {(f.supplier, f.recipient) for f in alert.flows}
    assert alert.quantities == ("nine million rounds",)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "League sanctions club",
            "The football league sanctioned the club after crowd trouble. "
            "Its Russian striker scored twice.",
        ),
        (
            "Board approves plan",
            "The board sanctioned the plan to expand the plant in Iran's "
            "neighbour Turkey. Work starts in May.",
        ),
        (
            "Russian ballet tours Japan",
            "The Bolshoi from Moscow opened its tour in Tokyo on "
            "Friday. North Korean art was also shown in the exhibition hall.",
        ),
        ("Snow in Pyongyang", "Heavy snow fell in Pyongyang on Monday, state media said."),
        (
            "Athletes cleared",
            "Russian athletes were sanctioned by the anti-doping agency, "
            "WADA said, after tests in Moscow.",
        ),
    ],
)
def test_hard_negatives_raise_no_alert(stages: Stages, title: str, body: str) -> None:
    assert flag_one(stages, title, body) is None


def test_arms_talk_between_unsanctioned_states_is_not_flagged(stages: Stages) -> None:
    body = "Poland signed a contract to buy tanks and howitzers from South Korea on Tuesday."
    assert flag_one(stages, "Arms deal", body) is None


def test_a_designation_names_the_authority_and_the_target(stages: Stages) -> None:
    alert = flag_one(
        stages,
        "US imposes sanctions on Iranian oil network",
        "The US Treasury imposed sanctions on six companies shipping Iranian oil to Asia.",
    )
    assert alert is not None
    assert "sanctions_designation" in alert.event_types
    assert {"IR", "US"} <= set(alert.countries)


def test_denied_claims_score_lower_than_plain_ones(stages: Stages) -> None:
    plain = flag_one(
        stages,
        "Report",
        "North Korea supplied artillery shells to Russia. Pyongyang shipped missiles to Moscow.",
    )
    denied = flag_one(
        stages,
        "Report",
        "North Korea denied it supplied artillery shells to Russia. "
        "Pyongyang denied it shipped missiles to Moscow.",
    )
    assert plain is not None
    assert denied is None or denied.score < plain.score


def test_alert_ids_are_deterministic(stages: Stages) -> None:
    body = "North Korea supplied artillery shells to Russia, officials said."
    a, b = flag_one(stages, "T", body), flag_one(stages, "T", body)
    assert a is not None
    assert b is not None
    assert a.alert_id == b.alert_id


def test_rules_with_a_bad_pattern_or_a_malformed_code_stop_start_up(settings: Settings) -> None:
    rules = tomllib.loads(settings.rules.read_text())
    regimes = tomllib.loads(settings.regimes.read_text())
    for code in ("Arms-Transfer", "", 7):
        broken = dict(rules, event=[dict(rules["event"][0], code=code)])
        with pytest.raises(FatalError, match="not lower_snake_case"):
            build_ruleset(broken, regimes)
    bad_rule = dict(rules["event"][0]["rule"][0], patterns=["(unclosed"])
    broken = dict(rules, event=[dict(rules["event"][0], rule=[bad_rule])])
    with pytest.raises(FatalError, match="bad pattern"):
        build_ruleset(broken, regimes)
    with pytest.raises(FatalError, match="invalid rules"):
        build_ruleset({"event": []}, regimes)


def test_event_types_are_the_codes_of_the_rules_file_in_its_order(settings: Settings) -> None:
    rules = tomllib.loads(settings.rules.read_text())
    regimes = tomllib.loads(settings.regimes.read_text())
    codes = [ev["code"] for ev in rules["event"]]
    assert build_ruleset(rules, regimes).event_types == tuple(codes)
    added = dict(rules, event=[*rules["event"], dict(rules["event"][0], code="new_event")])
    assert build_ruleset(added, regimes).event_types == (*codes, "new_event")


@pytest.mark.parametrize(
    ("event_type", "title", "body"),
    [
        (
            "arms_transfer",
            "Shells shipped",
            "Pyongyang shipped artillery shells to Russia, officials said.",
        ),
        (
            "military_cooperation",
            "Drills",
            "Russia and Iran held joint naval drills in the Gulf of Oman on Monday.",
        ),
        (
            "troop_deployment",
            "Troops",
            "North Korea has deployed thousands of soldiers to Russia's Kursk region.",
        ),
        (
            "sanctions_designation",
            "Listings",
            "The Treasury Department designated six companies for supplying Iran's drone program.",
        ),
        (
            "sanctions_evasion",
            "Tankers",
            "The tankers used ship-to-ship transfers to hide Iranian oil, investigators said.",
        ),
        (
            "export_control",
            "Chips",
            "Prosecutors said the men smuggled semiconductors to "
            "Russian arms makers through Armenia.",
        ),
        (
            "asset_freeze",
            "Freeze",
            "Germany froze assets of a Russian oligarch worth 2 billion euros.",
        ),
        (
            "financial_sanctions",
            "Banks",
            "The EU cut seven Russian banks off from SWIFT on Wednesday.",
        ),
        (
            "proliferation",
            "Test",
            "North Korea test-fired an intercontinental ballistic missile into the sea.",
        ),
        (
            "cyber_theft",
            "Heist",
            "North Korean hackers stole $600 million in cryptocurrency from a gaming network.",
        ),
        (
            "un_sanctions_action",
            "Veto",
            "Russia vetoed a Security Council resolution on sanctions against North Korea.",
        ),
        (
            "trade_embargo",
            "Ban",
            "Canada imposed an embargo on Russian steel and banned "
            "imports of aluminium from Russia.",
        ),
    ],
)
def test_each_event_type_fires_on_its_own_language(
    stages: Stages, event_type: str, title: str, body: str
) -> None:
    alert = flag_one(stages, title, body + " " + body.replace("said", "added"))
    assert alert is not None
    assert event_type in alert.event_types


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Club fined", "UEFA sanctioned the Russian club after crowd trouble at the match."),
        ("Doping", "Russian sprinters were sanctioned by the anti-doping agency for missed tests."),
        (
            "Penalty",
            "The Securities and Exchange Commission sanctioned the Iranian-born "
            "broker for insider trading.",
        ),
        (
            "Suspension",
            "The party's disciplinary committee sanctioned two members who visited Russia.",
        ),
        (
            "Budget",
            "The state government sanctioned Rs 34 crore for new hospitals, with "
            "equipment bought from Russia.",
        ),
        ("Event", "The officially sanctioned race in Minsk drew 5,000 runners."),
        (
            "Background",
            "Russia, under Western sanctions since 2022, reported record wheat exports to Egypt.",
        ),
        ("Arms deal", "Poland bought K2 tanks from South Korea amid tensions with Russia."),
    ],
)
def test_hard_negative_patterns_stay_quiet(stages: Stages, title: str, body: str) -> None:
    assert flag_one(stages, title, body) is None


def test_calls_for_sanctions_weigh_less_than_sanctions_imposed(stages: Stages) -> None:
    imposed = flag_one(stages, "Sanctions", "The EU imposed sanctions on Belarusian officials.")
    called = flag_one(
        stages, "Sanctions", "Lawmakers called for sanctions on Belarusian officials."
    )
    assert imposed is not None
    assert called is None or called.score < imposed.score


def test_sanctions_relief_is_flagged_as_a_change_of_sanctions_status(stages: Stages) -> None:
    alert = flag_one(
        stages,
        "Treasury approves license for oil output in Venezuela",
        "The Treasury issued a general license allowing a company to pump oil in "
        "Venezuela, easing sanctions on the state oil firm.",
    )
    assert alert is not None
    assert alert.event_types == ("sanctions_designation",)
    assert any(e.rule == "sanctions_designation/sanctions-relief" for e in alert.evidence)


def test_the_anchor_prefilter_never_changes_a_verdict(stages: Stages, seed_bytes: bytes) -> None:
    """On every corpus the project has, flagging with and without the pre-filter agrees."""
    from pipeline.corpus import articles
    from pipeline.evaluation import as_input
    from pipeline.settings import PROJECT_ROOT
    from tests.hostile import CASES
    from tests.single import normalize_one

    settings = Settings()
    raws = [seed_bytes, *articles(150, relevant_share=0.6, seed=3), *(c.raw for c in CASES)]
    raws += [
        as_input(orjson.loads(line))
        for line in (PROJECT_ROOT / "seeds" / "eval" / "dev.jsonl").read_bytes().splitlines()
    ]
    compared = 0
    for raw in raws:
        try:
            article = normalize_one(raw, settings, None)
        except Exception:
            continue
        tagged = tag_article(stages.tagger, article)
        assert flag(tagged, stages.rules) == flag(tagged, stages.rules, use_anchors=False)
        compared += 1
    assert compared > 200


@pytest.mark.parametrize(
    ("body", "event_type"),
    [
        (
            "The US Treasury on Monday sanctioned Qorvath Shipping, which moved oil from Iran.",
            "sanctions_designation",
        ),
        (
            "A Texas firm agreed to pay $2 million for violating sanctions on Iran, OFAC said.",
            "sanctions_evasion",
        ),
    ],
)
def test_a_named_party_sanctioned_by_an_authority_and_sanctions_violations_are_flagged(
    stages: Stages, body: str, event_type: str
) -> None:
    alert = flag_one(stages, "", body)
    assert alert is not None
    assert event_type in alert.event_types


def test_a_party_described_as_sanctioned_is_not_a_new_designation(stages: Stages) -> None:
    body = "The company said it had made payments to sanctioned Russian banks in 2021."
    alert = flag_one(stages, "", body)
    assert alert is None or "sanctions_designation" not in alert.event_types


_ENGLISH = (
    "The port authority said on Tuesday that the ferry timetable would change next month, "
    "and that the new terminal would open to passengers after a long delay caused by "
    "the weather and by a shortage of building materials during the winter."
)
_RUSSIAN = (
    "США ввели санкции против компании «Зорвекс» и ее директора за поставки "
    "электроники российским производителям беспилотников, сообщил Минфин США."
)


def test_a_paragraph_in_another_language_selects_its_own_rules(stages: Stages) -> None:
    # An English page quoting a Russian statement: the Russian rules read that paragraph.
    alert = flag_one(stages, "Port news", f"{_ENGLISH}\n\n{_RUSSIAN}\n\n{_ENGLISH}")
    assert alert is not None
    assert alert.language == "en"
    assert "sanctions_designation" in alert.event_types
    assert any(e.rule.endswith("-ru") and "санкции" in e.text for e in alert.evidence)


def test_an_english_paragraph_with_a_few_accented_names_stays_english(stages: Stages) -> None:
    body = (
        f"{_ENGLISH}\n\nThe café owner, José Núñez, said the new timetable suited his "
        "customers, most of whom come from the villages along the coast every morning."
    )
    assert flag_one(stages, "Port news", body) is None


def test_a_measure_the_security_council_takes_is_its_action_not_a_designation(
    stages: Stages,
) -> None:
    title = "Le Conseil de sécurité de l'ONU adopte de nouvelles sanctions contre la Corée du Nord"
    body = (
        "Les quinze membres du Conseil de sécurité ont voté vendredi, sans opposition, un "
        "nouveau train de sanctions contre la Corée du Nord après son plus récent essai "
        "nucléaire. Washington a en outre sanctionné deux banques nord-coréennes."
    )
    alert = flag_one(stages, title, body)
    assert alert is not None
    assert "un_sanctions_action" in alert.event_types
    designations = [e for e in alert.evidence if e.event_type == "sanctions_designation"]
    # only Washington's measure, in its own sentence, stays a designation
    assert [e.sentence for e in designations] == [2]


def test_yields_to_must_name_an_event_of_the_file(settings: Settings) -> None:
    rules = tomllib.loads(settings.rules.read_text())
    regimes = tomllib.loads(settings.regimes.read_text())
    rule = dict(rules["event"][0]["rule"][0], yields_to=["no_such_event"])
    broken = dict(rules, event=[dict(rules["event"][0], rule=[rule])])
    with pytest.raises(FatalError, match="yields_to names no event"):
        build_ruleset(broken, regimes)


@pytest.mark.parametrize(
    ("title", "body"),
    [
        (
            "La OTAN despliega tropas en Rumanía",
            "La OTAN desplegó 4.000 soldados en Rumanía ante la amenaza rusa.",
        ),
        (
            "НАТО перебросило войска в Польшу",
            "НАТО перебросило дополнительные войска в Польшу на фоне напряженности с Россией.",
        ),
        (
            "Ucrania recibe drones de Turquía",
            "Ucrania recibió drones Bayraktar de Turquía para frenar el avance ruso.",
        ),
        (
            "Die NATO verlegt Truppen nach Litauen",
            "Die Bundeswehr verlegt eine Brigade nach Litauen, um die Ostflanke gegen Russland "
            "zu stärken.",
        ),
    ],
)
def test_allies_troops_and_arms_beside_the_adversary_raise_no_alert(
    stages: Stages, title: str, body: str
) -> None:
    """The sanctioned state named as the adversary or the war is no party to the deployment."""
    assert flag_one(stages, title, body) is None


def test_troops_sent_to_a_sanctioned_state_are_still_flagged_in_spanish(stages: Stages) -> None:
    body = "Corea del Norte ha enviado miles de soldados a Rusia para combatir en Kursk."
    alert = flag_one(stages, "Corea del Norte envía tropas a Rusia", body)
    assert alert is not None
    assert alert.event_types == ("troop_deployment",)
