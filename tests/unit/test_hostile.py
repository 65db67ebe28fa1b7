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
from tests.single import run_one

SETTINGS = Settings()


def test_the_corpus_has_at_least_25_cases() -> None:
    assert len(CASES) >= 25
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
    try:
        result = run_one(raw, stages, SETTINGS)
    except RejectedMessage as exc:
        reason, result = exc.reason, None
    if result is None:
        assert reason.split(".")[0] in {"decode", "input", "schema"}
        return
    text = result.article.text
    for e in result.entities:
        assert text[e.start : e.end] == e.text
