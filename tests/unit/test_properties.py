"""Property-based tests of the decode + normalize path and of offsets (hypothesis).

Arbitrary bytes are fuzzed once, through the whole chain, in tests/unit/test_hostile.py."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.codec import decode_input
from pipeline.errors import RejectedMessage, SchemaViolation
from pipeline.models import InputArticle
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.normalize import normalize
from tests.schema_check import validator
from tests.single import normalize_one, run_one

SETTINGS = Settings()
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=400)
_SENTENCES = st.sampled_from(
    [
        "North Korea shipped artillery shells to Russia, officials said.",
        "The EU imposed sanctions on Rosoboronexport.",
        "Mr. Kim met Gen. Park in the U.S. capital.",
        "Snow fell in Oslo.",
        "R\u043esoboronexport sent sanc\u200btions data to Pyongyang.",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "body", "url", "published_at"]),
        st.one_of(_TEXT, st.integers(-(2**53), 2**53), st.none(), st.lists(st.integers(0, 9))),
    )
)
def test_arbitrary_json_objects_are_articles_or_schema_rejections(doc: dict[str, object]) -> None:
    try:
        article = normalize_one(orjson.dumps(doc), SETTINGS, None)
    except RejectedMessage as exc:
        reason = exc.reason
    else:
        assert article.id
        assert article.body
        return
    assert reason.startswith(("schema.", "input."))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT, st.lists(st.one_of(_TEXT, _SENTENCES), min_size=1, max_size=6))
def test_normalizing_twice_equals_normalizing_once(title: str, parts: list[str]) -> None:
    body = "\n\n".join(parts)
    try:
        once = normalize(InputArticle(title=title, body=body))
    except RejectedMessage:
        return
    twice = normalize(InputArticle(title=once.title, body=once.body))
    assert twice.text == once.text
    assert twice.sentences == once.sentences


@settings(
    max_examples=100,
    deadline=None,  # the whole chain, the NER model included: timings vary with the machine's load
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.one_of(_SENTENCES, _TEXT), min_size=1, max_size=8))
def test_every_offset_round_trips(stages: Stages, parts: list[str]) -> None:
    raw = orjson.dumps({"title": "North Korea ships shells to Russia", "body": " ".join(parts)})
    try:
        result = run_one(raw, stages, SETTINGS)
    except RejectedMessage:
        return
    text = result.article.text
    for start, end in result.article.sentences:
        assert 0 <= start < end <= len(text)
    for e in result.entities:
        assert text[e.start : e.end] == e.text
    if result.alert is not None:
        for ev in result.alert.evidence:
            assert text[ev.start : ev.end] == ev.text


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "body", "url", "published_at", "source", "language", "x"]),
        st.one_of(
            st.text(max_size=40),
            st.text(min_size=2990, max_size=4100),
            st.none(),
            st.integers(0, 5),
            st.booleans(),
        ),
    )
)
def test_the_input_decoder_accepts_exactly_what_the_input_schema_accepts(
    doc: dict[str, object],
) -> None:
    """The struct decoder and the generated schema agree on every generated object."""
    if validator("article-input").is_valid(doc):
        decode_input(orjson.dumps(doc), max_bytes=1 << 20)
    else:
        with pytest.raises(SchemaViolation):
            decode_input(orjson.dumps(doc), max_bytes=1 << 20)
