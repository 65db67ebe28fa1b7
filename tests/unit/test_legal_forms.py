"""Legal forms in listed organisation names (invented names, real forms)."""

from __future__ import annotations

import pytest

from pipeline.stages.gazetteer import fold, key
from pipeline.stages.legal_forms import form_words, widened, without_legal_form


@pytest.mark.parametrize(
    ("listed", "bare"),
    [
        ("ZORVEX TRADING LLC", "ZORVEX TRADING"),
        ("LIMITED LIABILITY COMPANY ZORVEX", "ZORVEX"),
        ("Krelmax GmbH", "Krelmax"),
        ("OOO KRELMAX", "KRELMAX"),
        ("NORTHBAY HOLDINGS CO., LTD.", "NORTHBAY HOLDINGS"),
        ("VELTRA IMPORTADORA, S.A. DE C.V.", "VELTRA IMPORTADORA"),
        ("Zorvex Trading", "Zorvex Trading"),  # no form: unchanged
        ("LIMITED", "LIMITED"),  # all form: unchanged
    ],
)
def test_the_legal_form_is_taken_off_a_name(listed: str, bare: str) -> None:
    assert without_legal_form(listed) == bare


def test_the_form_words_are_those_around_the_bare_name() -> None:
    assert form_words("ooo zorvex trading llc", "zorvex trading") == (["ooo"], ["llc"])
    assert form_words("zorvex llc trading", "zorvex trading") is None  # a form in the middle


@pytest.mark.parametrize(
    ("text", "widened_to"),
    [
        ("the OOO Zorvex Trading LLC deal", "OOO Zorvex Trading LLC"),
        ("the OOO Zorvex Trading, LLC. deal", "OOO Zorvex Trading, LLC"),
        ("the Zorvex Trading LLC deal", None),  # the form before it is missing
        ("the OOO Zorvex Trading LLCX deal", None),  # not the word LLC
        ("the OOO Zorvex Trading  --  LLC deal", None),  # too far apart to be one name
    ],
)
def test_a_find_is_widened_over_the_form_only_where_the_text_writes_it(
    text: str, widened_to: str | None
) -> None:
    start = text.index("Zorvex")
    end = start + len("Zorvex Trading")
    before, after = ["ooo"], ["llc"]
    span = widened(fold(text), start, end, before, after)
    assert (text[span[0] : span[1]] if span else None) == widened_to
    assert key("OOO Zorvex Trading LLC").split() == [*before, "zorvex", "trading", *after]
