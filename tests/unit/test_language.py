"""Language identification: short news texts in the pipeline's languages, confidences."""

from __future__ import annotations

import pytest

from pipeline.models import InputArticle
from pipeline.stages.language import SAMPLE_CHARS, identify, sample
from pipeline.stages.normalize import normalize

# Invented for these tests: a headline-length and a sentence-length text per language.
SHORT_TEXTS = [
    ("en", "Ministry freezes assets of two shipping firms"),
    ("en", "Police closed the bridge after the storm damaged its supports."),
    ("fr", "Le ministère gèle les avoirs de deux armateurs"),
    ("fr", "La police a fermé le pont après la tempête de mardi soir."),
    ("de", "Ministerium friert die Konten von zwei Reedereien ein"),
    ("de", "Die Polizei sperrte die Brücke nach dem Sturm am Dienstag."),
    ("es", "El ministerio congela los activos de dos navieras"),
    ("es", "La policía cerró el puente tras la tormenta del martes."),
    ("ru", "Министерство заморозило активы двух судоходных компаний"),
    ("ru", "Полиция закрыла мост после шторма во вторник вечером."),
]


@pytest.mark.parametrize(("expected", "text"), SHORT_TEXTS)
def test_short_news_texts_are_identified_with_a_confidence(expected: str, text: str) -> None:
    code, confidence = identify(text)
    assert code == expected
    assert 0.5 < confidence <= 1.0


def test_an_ambiguous_headline_says_so_with_a_low_confidence() -> None:
    # Four German nouns and a particle read as Luxembourgish too; the confidence shows it.
    code, confidence = identify("Ministerium friert Konten zweier Reedereien ein")
    assert code in {"de", "lb"}
    assert confidence < 0.7


def test_ukrainian_is_not_taken_for_russian() -> None:
    assert identify("Міністерство заморозило активи двох судноплавних компаній.")[0] == "uk"


def test_a_text_without_letters_is_undetermined() -> None:
    assert identify("12345 67890 -- 2026") == ("und", 0.0)


def test_the_sample_is_the_title_and_the_start_of_the_body() -> None:
    text = sample("Headline", "word " * 500)
    assert text.startswith("Headline\nword ")
    assert len(text) == SAMPLE_CHARS
    assert sample("", "Body only.") == "Body only."


def test_an_article_without_a_language_gets_the_identified_one() -> None:
    a = normalize(
        InputArticle(
            title="Sanktionen gegen Reedereien",
            body="Die Regierung hat neue Sanktionen gegen Russland beschlossen.",
        )
    )
    assert (a.language, a.language_source) == ("de", "detected")
    assert a.language_confidence is not None
    assert a.language_confidence > 0.9


def test_an_article_of_digits_only_has_no_language() -> None:
    a = normalize(InputArticle(title="", body="2026 12 01"))
    assert (a.language, a.language_source, a.language_confidence) == ("und", "none", 0.0)
