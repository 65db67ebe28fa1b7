"""Verb families in the rules file: {verb} in a pattern stands for every form."""

from __future__ import annotations

import re

import pytest

from pipeline.errors import FatalError
from pipeline.resources import Stages
from pipeline.stages.sanctions import derived_anchors, expand_macros, verb_forms


@pytest.mark.parametrize(
    ("entry", "forms"),
    [
        ("impose", ("impose", "imposes", "imposed", "imposing")),
        ("supply", ("supply", "supplies", "supplied", "supplying")),
        ("deploy", ("deploy", "deploys", "deployed", "deploying")),
        ("dispatch", ("dispatch", "dispatches", "dispatched", "dispatching")),
        ("agree", ("agree", "agrees", "agreed", "agreeing")),  # -ee: no e dropped
        (["send", "sends", "sent", "sending"], ("send", "sends", "sent", "sending")),
    ],
)
def test_a_base_form_gets_the_regular_forms_and_a_list_is_taken_as_it_is(
    entry: str | list[str], forms: tuple[str, ...]
) -> None:
    assert verb_forms(entry) == forms


def test_a_macro_matches_every_form_and_nothing_else() -> None:
    verbs = {"impose": verb_forms("impose")}
    pattern = re.compile(r"\b" + expand_macros("{impose} (new )?sanctions", verbs, "t") + r"\b")
    for form in ("impose", "imposes", "imposed", "imposing"):
        assert pattern.search(f"They {form} new sanctions.")
    assert not pattern.search("They imposter sanctions.")
    assert expand_macros("(\\w+ ){0,4}?", verbs, "t") == "(\\w+ ){0,4}?"  # quantifiers stay


def test_an_unknown_verb_family_stops_the_start_up() -> None:
    with pytest.raises(FatalError, match=r"unknown verb family \{imposse\}"):
        expand_macros("{imposse} sanctions", {}, "designation/x")


def test_the_families_stems_become_anchors(stages: Stages) -> None:
    verbs = {"impose": verb_forms("impose"), "send": verb_forms(["send", "sent"])}
    assert derived_anchors(["{impose} sanctions", "{send} troops"], verbs) == {"impos"}
    designation = next(e for e in stages.rules.events if e.code == "sanctions_designation")
    assert "unveil" in designation.anchors  # from {unveil}, not listed by hand
