"""The CoNLL benchmark's own logic: reading IOB1/IOB2 into spans, offsets, scoring."""

from __future__ import annotations

import pytest

from tests.bench.bench_conll import (
    Predicted,
    Span,
    Tally,
    char_map,
    error_kinds,
    figures,
    inverse,
    iob_spans,
    map_span,
    parse_conll,
    score,
)

# Invented text in the file's shape: token POS chunk NER; a blank line ends a sentence.
IOB1 = """\
-DOCSTART- -X- -X- O

Mira NNP I-NP I-PER
Tollund NNP I-NP I-PER
visited VBD I-VP O
Brackwater NNP I-NP I-LOC
Vale NNP I-NP I-LOC
. . O O

Quorvex NNP I-NP I-ORG
Fenn NNP I-NP B-ORG
sued VBD I-VP O
Lumic NNP I-NP I-MISC
. . O O

-DOCSTART- -X- -X- O

Oskar NNP I-NP I-PER
won VBD I-VP O
"""

IOB2 = """\
Mira NNP B-NP B-PER
Tollund NNP I-NP I-PER
met VBD B-VP O
Oskar NNP B-NP B-PER
Dunne NNP I-NP B-PER
"""


def test_iob1_starts_an_entity_at_i_after_o_or_another_type() -> None:
    assert iob_spans(["I-PER", "I-PER", "O", "I-LOC", "I-ORG", "B-ORG"]) == [
        ("PER", 0, 2),
        ("LOC", 3, 4),
        ("ORG", 4, 5),
        ("ORG", 5, 6),
    ]


def test_iob2_starts_an_entity_at_each_b() -> None:
    assert iob_spans(["B-PER", "I-PER", "B-PER", "O", "B-MISC"]) == [
        ("PER", 0, 2),
        ("PER", 2, 3),
        ("MISC", 4, 5),
    ]


def test_an_entity_ending_the_sentence_is_closed() -> None:
    assert iob_spans(["O", "I-LOC", "I-LOC"]) == [("LOC", 1, 3)]


def test_documents_split_at_docstart_with_text_and_gold_offsets() -> None:
    docs = parse_conll(IOB1.splitlines())
    assert [d.tokens for d in docs] == [11, 2]
    first = docs[0]
    assert first.text == "Mira Tollund visited Brackwater Vale .\nQuorvex Fenn sued Lumic ."
    assert [(s.label, first.text[s.start : s.end]) for s in first.gold] == [
        ("PER", "Mira Tollund"),
        ("LOC", "Brackwater Vale"),
        ("ORG", "Quorvex"),
        ("ORG", "Fenn"),  # B- after I- of the same type: a second entity (IOB1)
        ("MISC", "Lumic"),
    ]
    assert docs[1].text == "Oskar won"
    assert docs[1].gold == (Span("PER", 0, 5),)


def test_a_file_without_docstart_is_one_document_iob2() -> None:
    (doc,) = parse_conll(IOB2.splitlines())
    assert [doc.text[s.start : s.end] for s in doc.gold] == ["Mira Tollund", "Oskar", "Dunne"]


def test_char_map_follows_changed_whitespace_both_ways() -> None:
    source = "Ab cd\nEf"
    target = "Ab cd\n\nEf"
    mapping = char_map(source, target)
    assert mapping == [0, 1, 2, 3, 4, 5, -1, 6, 7]
    assert map_span(mapping, 7, 9) == (6, 8)
    assert map_span(mapping, 6, 7) is None
    back = inverse(mapping, len(source))
    assert map_span(back, 6, 8) == (7, 9)


def test_char_map_refuses_texts_that_differ_beyond_whitespace() -> None:
    with pytest.raises(ValueError, match="beyond whitespace"):
        char_map("Ab cd", "Ab ce")
    with pytest.raises(ValueError, match="ends before"):
        char_map("Ab cd", "Ab")


def test_exact_needs_the_same_span_and_type_partial_an_overlap_of_the_type() -> None:
    gold = [Span("PER", 0, 12), Span("LOC", 20, 35), Span("ORG", 40, 47)]
    predicted = [
        Span("PER", 0, 12),  # exact
        Span("LOC", 20, 30),  # partial
        Span("PER", 40, 47),  # wrong type: neither
        Span("MISC", 50, 55),  # spurious
        Span("PER", 0, 12),  # a duplicate counts once
    ]
    scores = score(gold, predicted)
    assert scores.by_type["PER"] == Tally(
        gold=1, predicted=2, exact=1, partial_predicted=1, partial_gold=1
    )
    assert scores.by_type["LOC"] == Tally(
        gold=1, predicted=1, exact=0, partial_predicted=1, partial_gold=1
    )
    assert scores.by_type["ORG"] == Tally(gold=1)
    micro = figures(scores.micro())
    assert micro["precision"] == pytest.approx(1 / 4)
    assert micro["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert micro["f1"] == pytest.approx(2 / 7, abs=1e-4)
    assert micro["partial_precision"] == pytest.approx(2 / 4)
    assert micro["partial_recall"] == pytest.approx(2 / 3, abs=1e-4)


def test_figures_of_nothing_are_zero() -> None:
    assert set(figures(Tally()).values()) == {0.0}


def test_error_kinds_name_each_miss() -> None:
    gold = [Span("ORG", 0, 5), Span("PER", 10, 20), Span("LOC", 30, 35), Span("MISC", 40, 45)]
    predicted = [
        Predicted(Span("LOC", 0, 5), "LOCATION", "gazetteer"),
        Predicted(Span("PER", 10, 15), "PERSON", "model"),
        Predicted(Span("ORG", 60, 65), "ORGANIZATION", "cue"),
    ]
    fps, fns = error_kinds(gold, predicted)
    assert sorted(k for k, _ in fps) == [
        ("LOC", "wrong type", "LOCATION", "gazetteer"),
        ("ORG", "spurious", "ORGANIZATION", "cue"),
        ("PER", "boundary", "PERSON", "model"),
    ]
    assert sorted(k for k, _ in fns) == [
        ("LOC", "missed", "-", "-"),
        ("MISC", "missed", "-", "-"),
        ("ORG", "typed LOC", "LOCATION", "gazetteer"),
        ("PER", "boundary", "PERSON", "model"),
    ]
