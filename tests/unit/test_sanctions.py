"""The sanctions flagger: the seed is flagged with evidence; hard negatives stay quiet."""

from __future__ import annotations

import tomllib

import pytest

from pipeline.errors import FatalError
from pipeline.models import Alert, InputArticle
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.normalize import normalize
from pipeline.stages.sanctions import build_ruleset, flag


def _flag(stages: Stages, title: str, body: str) -> Alert | None:
    article = normalize(InputArticle(title=title, body=body))
    return flag(tag_article(stages.tagger, article), stages.rules)


def test_the_seed_article_is_flagged_with_kp_ru_and_its_own_sentences(
    stages: Stages, seed_bytes: bytes, settings: Settings
) -> None:
    from pipeline.chain import run_chain

    result = run_chain(seed_bytes, stages, settings)
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
    assert _flag(stages, title, body) is None


def test_arms_talk_between_unsanctioned_states_is_not_flagged(stages: Stages) -> None:
    body = "Poland signed a contract to buy tanks and howitzers from South Korea on Tuesday."
    assert _flag(stages, "Arms deal", body) is None


def test_a_designation_names_the_authority_and_the_target(stages: Stages) -> None:
    alert = _flag(
        stages,
        "US imposes sanctions on Iranian oil network",
        "The US Treasury imposed sanctions on six companies shipping Iranian oil to Asia.",
    )
    assert alert is not None
    assert "sanctions_designation" in alert.event_types
    assert {"IR", "US"} <= set(alert.countries)


def test_denied_claims_score_lower_than_plain_ones(stages: Stages) -> None:
    plain = _flag(
        stages,
        "Report",
        "North Korea supplied artillery shells to Russia. Pyongyang shipped missiles to Moscow.",
    )
    denied = _flag(
        stages,
        "Report",
        "North Korea denied it supplied artillery shells to Russia. "
        "Pyongyang denied it shipped missiles to Moscow.",
    )
    assert plain is not None
    assert denied is None or denied.score < plain.score


def test_alert_ids_are_deterministic(stages: Stages) -> None:
    body = "North Korea supplied artillery shells to Russia, officials said."
    a, b = _flag(stages, "T", body), _flag(stages, "T", body)
    assert a is not None
    assert b is not None
    assert a.alert_id == b.alert_id


def test_rules_with_a_bad_pattern_or_unknown_code_stop_start_up(settings: Settings) -> None:
    rules = tomllib.loads(settings.rules.read_text())
    regimes = tomllib.loads(settings.regimes.read_text())
    broken = dict(rules, event=[dict(rules["event"][0], code="not_a_code")])
    with pytest.raises(FatalError, match="unknown event code"):
        build_ruleset(broken, regimes)
    bad_rule = dict(rules["event"][0]["rule"][0], patterns=["(unclosed"])
    broken = dict(rules, event=[dict(rules["event"][0], rule=[bad_rule])])
    with pytest.raises(FatalError, match="bad pattern"):
        build_ruleset(broken, regimes)
    with pytest.raises(FatalError, match="invalid rules"):
        build_ruleset({"event": []}, regimes)
