"""Every rule of the rules file fires on its examples and not on its counterexamples
(a counterexample may also be silenced by a negative context: another sense of the
word), and the rules file admits no unknown key."""

from __future__ import annotations

import tomllib

import pytest

from pipeline.errors import FatalError
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.sanctions import EventRule, Rule, RuleSet, build_ruleset


def _rules(stages: Stages) -> list[tuple[EventRule, Rule]]:
    return [(event, rule) for event in stages.rules.events for rule in event.rules]


def _fires(ruleset: RuleSet, rule: Rule, sentence: str) -> bool:
    return rule.pattern.search(sentence) is not None and not ruleset.negative.search(sentence)


def test_every_rule_has_an_example_and_a_counterexample(stages: Stages) -> None:
    missing = [
        f"{event.code}/{rule.name}"
        for event, rule in _rules(stages)
        if not rule.examples or not rule.counterexamples
    ]
    assert missing == []


def test_every_rule_fires_on_its_examples_and_not_on_its_counterexamples(
    stages: Stages,
) -> None:
    wrong = []
    for event, rule in _rules(stages):
        where = f"{event.code}/{rule.name}"
        wrong += [
            f"{where} misses: {x}" for x in rule.examples if not _fires(stages.rules, rule, x)
        ]
        wrong += [
            f"{where} fires on: {x}" for x in rule.counterexamples if _fires(stages.rules, rule, x)
        ]
    assert wrong == []


@pytest.mark.parametrize(
    ("table", "key"),
    [("top", "min_scor"), ("event", "anchor"), ("rule", "pattern"), ("context", "negatives")],
)
def test_an_unknown_key_in_the_rules_file_stops_start_up(
    settings: Settings, table: str, key: str
) -> None:
    with settings.rules.open("rb") as fh:
        doc = tomllib.load(fh)
    with settings.regimes.open("rb") as fh:
        regimes = tomllib.load(fh)
    target = {
        "top": doc,
        "event": doc["event"][0],
        "rule": doc["event"][0]["rule"][0],
        "context": doc["context"],
    }[table]
    target[key] = []
    with pytest.raises(FatalError, match=key):
        build_ruleset(doc, regimes)


def _cue_verdicts(ruleset: RuleSet, kind: str, language: str, sentence: str) -> list[bool]:
    """For every trigger of the language's rules (or of every language's) in ``sentence``:
    whether the local cues of ``kind`` weigh it down."""
    cues = getattr(ruleset, kind)
    return [
        cues.qualify(sentence, m.start(), m.end(), language)
        for event in ruleset.events
        for rule in event.rules
        if not rule.languages or language in rule.languages
        for m in [rule.pattern.search(sentence)]
        if m is not None
    ]


@pytest.mark.parametrize("kind", ["negated", "backdrop"])
def test_every_local_cue_weighs_down_its_examples_and_not_its_counterexamples(
    stages: Stages, kind: str
) -> None:
    """Each example has a trigger the cue qualifies; each counterexample has triggers and
    the cue qualifies none of them (the cue word is elsewhere, or in another clause)."""
    cues = getattr(stages.rules, kind)
    assert set(cues.by_language) == {"fr", "de", "es", "ru"}
    wrong = []
    for language, (examples, counterexamples) in cues.examples.items():
        assert examples, f"{kind}.{language} has no example"
        assert counterexamples, f"{kind}.{language} has no counterexample"
        for x in examples:
            if not any(_cue_verdicts(stages.rules, kind, language, x)):
                wrong.append(f"{kind}.{language} misses: {x}")
        for x in counterexamples:
            verdicts = _cue_verdicts(stages.rules, kind, language, x)
            if not verdicts or any(verdicts):
                wrong.append(f"{kind}.{language} wrongly weighs down (or no trigger): {x}")
    assert wrong == []


def test_every_dated_cue_weighs_down_its_examples_and_not_its_counterexamples(
    stages: Stages,
) -> None:
    """A year-only date earlier than the article's (the examples are read as of 2026) in
    the trigger's clause weighs it down; a date in another clause, or of the article's own
    year, does not."""
    rules = stages.rules
    assert set(rules.dated.by_language) == {"fr", "ru"}
    wrong = []
    for language, (examples, counterexamples) in rules.dated.examples.items():
        assert examples, f"dated.{language} has no example"
        assert counterexamples, f"dated.{language} has no counterexample"
        for x in examples:
            if not any(_dated_verdicts(rules, language, x)):
                wrong.append(f"dated.{language} misses: {x}")
        for x in counterexamples:
            verdicts = _dated_verdicts(rules, language, x)
            if not verdicts or any(verdicts):
                wrong.append(f"dated.{language} wrongly weighs down (or no trigger): {x}")
    assert wrong == []


def _dated_verdicts(ruleset: RuleSet, language: str, sentence: str) -> list[bool]:
    return [
        ruleset.dated.qualify(sentence, m.start(), m.end(), language, 2026)
        for event in ruleset.events
        for rule in event.rules
        if not rule.languages or language in rule.languages
        for m in [rule.pattern.search(sentence)]
        if m is not None
    ]


def test_a_dated_cue_needs_the_articles_year(stages: Stages) -> None:
    sentence = "В 2018 году США ввели санкции против компании."
    at = sentence.index("ввели")
    end = at + len("ввели санкции")
    assert stages.rules.dated.qualify(sentence, at, end, "ru", 2026)
    assert not stages.rules.dated.qualify(sentence, at, end, "ru", 2018)
    assert not stages.rules.dated.qualify(sentence, at, end, "ru", None)
    assert not stages.rules.dated.qualify(sentence, at, end, "en", 2026)


def test_local_cues_without_their_modifier_stop_start_up(settings: Settings) -> None:
    with settings.rules.open("rb") as fh:
        doc = tomllib.load(fh)
    with settings.regimes.open("rb") as fh:
        regimes = tomllib.load(fh)
    del doc["modifiers"]["backdrop"]
    with pytest.raises(FatalError, match="backdrop"):
        build_ruleset(doc, regimes)


def test_an_undated_article_is_as_recent_as_the_latest_year_it_names() -> None:
    from pipeline.stages.sanctions import _latest_year

    assert _latest_year("В 2014 году ЕС ввел санкции; в 2023 году их продлили.") == 2023
    assert _latest_year("Без дат, 12345 долларов.") is None
