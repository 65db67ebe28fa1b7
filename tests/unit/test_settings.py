"""Settings come from NEWSFLOW_* variables into one frozen object, parsed by annotation."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest

from pipeline.errors import FatalError
from pipeline.settings import Secret, Settings, field_types, parser_for, variable

CHOICE_FIELDS = [n for n, t in field_types().items() if get_origin(t) is Literal]


def _other_value(annotation: Any, default: Any, name: str) -> Any:
    """A valid value of ``annotation`` that differs from ``default``."""
    if get_origin(annotation) is Literal:
        return next(c for c in get_args(annotation) if c != default)
    if annotation is bool:
        return not default
    if annotation is int:
        return default * 2 + 1
    if annotation is float:
        return default / 2 + 0.25
    if annotation is str:
        return f"{default}-{name}"
    if annotation is Path:
        return Path("/srv/newsflow") / name
    if annotation == tuple[Path, ...]:
        return (Path("/srv/a.jsonl"), Path("/srv/b.jsonl"))
    if annotation is Secret:
        return Secret(f"secret-{name}")
    raise AssertionError(f"no test value for {name}: {annotation!r}; extend _other_value")


def _as_variable(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return os.pathsep.join(str(p) for p in value)
    if isinstance(value, Secret):
        return value.reveal()
    return str(value)


def test_every_variable_parses_to_its_annotated_type() -> None:
    """An env that sets every field yields exactly the typed values (a new int setting
    that stayed a string would compare unequal)."""
    defaults = Settings()
    expected = {
        name: _other_value(annotation, getattr(defaults, name), name)
        for name, annotation in field_types().items()
    }
    expected["ner"] = "off"  # the NER agent's placement cannot go with `all`
    env = {variable(name): _as_variable(value) for name, value in expected.items()}

    settings = Settings.from_env(env)

    assert {n: getattr(settings, n) for n in expected} == expected
    assert all(getattr(settings, n) != getattr(defaults, n) for n in expected)


def test_empty_environment_and_empty_variables_keep_the_defaults() -> None:
    empty = {variable(name): "" for name in field_types()}
    assert Settings.from_env({}) == Settings.from_env(empty) == Settings()


def test_bootstrap_list_becomes_faust_broker_url() -> None:
    s = Settings.from_env({"NEWSFLOW_KAFKA_BOOTSTRAP": "127.0.0.1:9192, 127.0.0.1:9193"})
    assert s.broker_url == "kafka://127.0.0.1:9192;kafka://127.0.0.1:9193"


def test_watchlists_split_on_pathsep_and_skip_blanks() -> None:
    s = Settings.from_env({"NEWSFLOW_WATCHLISTS": os.pathsep.join(["/a.jsonl", " ", "/b.jsonl"])})
    assert s.watchlists == (Path("/a.jsonl"), Path("/b.jsonl"))


@pytest.mark.parametrize("name", CHOICE_FIELDS)
def test_a_value_outside_the_annotated_choices_is_fatal(name: str) -> None:
    with pytest.raises(FatalError, match=rf"^{variable(name)}='bogus': must be one of "):
        Settings.from_env({variable(name): "bogus"})


@pytest.mark.parametrize("name", CHOICE_FIELDS)
def test_choices_match_ignoring_case_and_keep_their_spelling(name: str) -> None:
    choice = get_args(field_types()[name])[-1]
    env = {variable(name): choice.swapcase(), "NEWSFLOW_KAFKA_SASL_USERNAME": "u"}
    assert getattr(Settings.from_env(env), name) == choice


def test_validate_holds_settings_built_in_code_to_the_choices() -> None:
    with pytest.raises(FatalError, match=r"^NEWSFLOW_STAGE_LAYOUT='parallel': must be one of"):
        Settings(stage_layout="parallel").validate()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NEWSFLOW_METRICS_PORT": "ninety"}, r"^NEWSFLOW_METRICS_PORT='ninety': "),
        ({"NEWSFLOW_DEDUPE_THRESHOLD": "high"}, r"^NEWSFLOW_DEDUPE_THRESHOLD='high': "),
        ({"NEWSFLOW_TOPIC_PARTITIONS": "0"}, "at least 1"),
        ({"NEWSFLOW_DEDUPE_THRESHOLD": "1.5"}, r"\(0, 1\]"),
        ({"NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "USERNAME"),
        ({"NEWSFLOW_CONSUMER_FETCH_BYTES": "65536"}, "the largest input record"),
        ({"NEWSFLOW_MAX_HTML_BYTES": "512"}, "_MAX_HTML_BYTES must be >= 1024"),
        ({"NEWSFLOW_MAX_MESSAGE_BYTES": "100"}, "MAX_MESSAGE_BYTES and _MAX_HTML_BYTES"),
        ({"NEWSFLOW_STALL_TIMEOUT": "-1"}, "NEWSFLOW_STALL_TIMEOUT must be >= 0"),
        ({"NEWSFLOW_METADATA_MAX_AGE_MS": "10"}, "METADATA_MAX_AGE_MS >= 100"),
        ({"NEWSFLOW_NER_PLACEMENT": "agent", "NEWSFLOW_NER": "all"}, "needs NEWSFLOW_NER=alerts"),
    ],
)
def test_unusable_values_stop_with_a_fatal_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(FatalError, match=message):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("text", "value"), [("1", True), ("Yes", True), ("on", True), ("0", False), ("off", False)]
)
def test_bool_variables_read_the_usual_spellings(text: str, value: bool) -> None:
    assert parser_for(bool)(text) is value


def test_bool_variable_with_another_word_does_not_parse() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        parser_for(bool)("maybe")


@pytest.mark.parametrize("annotation", [list[str], complex, Literal[1, 2], str | None])
def test_an_annotation_without_a_parser_fails_loudly(annotation: object) -> None:
    with pytest.raises(TypeError, match="no settings parser"):
        parser_for(annotation)


def test_every_setting_has_a_one_line_description() -> None:
    undocumented = [
        f.name
        for f in dataclasses.fields(Settings)
        if not f.metadata.get("doc") or "\n" in f.metadata["doc"]
    ]
    assert undocumented == []


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().app_id = "other"  # type: ignore[misc]


def test_min_insync_replicas_is_set_on_created_topics_when_given() -> None:
    settings = Settings(topic_replication=3, topic_min_insync_replicas=2)
    assert settings.topic_config(settings.topic_alerts) == {"min.insync.replicas": "2"}
    assert settings.topic_config(settings.topic_watchlist)["cleanup.policy"] == "compact"
    assert "min.insync.replicas" not in Settings().topic_config(Settings().topic_alerts)


def test_min_insync_replicas_above_the_replication_factor_is_refused() -> None:
    with pytest.raises(FatalError, match="MIN_INSYNC_REPLICAS"):
        Settings(topic_replication=1, topic_min_insync_replicas=2).validate()
