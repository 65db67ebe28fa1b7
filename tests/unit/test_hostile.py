"""Every hostile input is processed correctly or dead-lettered with the right reason, in
process; the fuzz test runs arbitrary bytes through the whole chain."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.codec import dumps
from pipeline.errors import RejectedMessage
from pipeline.resources import Stages
from pipeline.settings import Settings
from tests.hostile import CASES, Case
from tests.schema_check import validator
from tests.single import run_one

SETTINGS = Settings()


def test_the_case_names_are_unique() -> None:
    """The integration test finds each case's dead letter by its name (the record key)."""
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_is_handled(stages: Stages, case: Case) -> None:
    if case.verdict == "dead":
        with pytest.raises(RejectedMessage) as info:
            run_one(case.raw, stages, SETTINGS)
        assert info.value.reason == case.reason
        return
    result = run_one(case.raw, stages, SETTINGS)
    doc = orjson.loads(
        dumps(
            {
                "article": result.article,
                "entities": result.entities,
                "alerts": [result.alert] if result.alert else [],
            }
        )
    )
    assert case.check is not None
    assert case.check(doc)


@settings(
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.builds(
            lambda t, b: orjson.dumps({"title": t, "body": b}),
            st.text(max_size=200),
            st.text(max_size=2000),
        ),
    )
)
def test_fuzz_the_whole_chain_never_raises_anything_but_a_rejection(
    stages: Stages, raw: bytes
) -> None:
    """Arbitrary bytes (the project's one such fuzz) and arbitrary title/body JSON: a
    rejection for bad input, else a schema-valid article whose entities sit at their offsets
    (the Kafka timestamp is given, so a missing date falls back to it)."""
    try:
        result = run_one(raw, stages, SETTINGS, timestamp_ms=1_700_000_000_000)
    except RejectedMessage as exc:
        reason = exc.reason
    else:
        doc = orjson.loads(dumps(result.article))
        assert not list(validator("article-normalized").iter_errors(doc))
        text = result.article.text
        for e in result.entities:
            assert text[e.start : e.end] == e.text
        return
    assert reason.split(".")[0] in {"decode", "input", "schema"}
