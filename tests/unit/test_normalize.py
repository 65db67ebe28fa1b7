"""The normalize stage: clean text, stable offsets, dates, ids, sentences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.errors import StageRejected
from pipeline.models import InputArticle
from pipeline.stages.normalize import canonical_url, normalize, parse_date
from pipeline.stages.text import clean_body, html_to_text, split_sentences

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _norm(body: str, title: str = "Title", **kw: str | None) -> object:
    return normalize(InputArticle(title=title, body=body, **kw), now=NOW)  # type: ignore[arg-type]


def test_text_is_title_blank_line_body_and_sentence_zero_is_the_title() -> None:
    a = normalize(InputArticle(title="  A  headline ", body="First one.  Second one."), now=NOW)
    assert a.text == "A headline\n\nFirst one. Second one."
    assert a.body_start == len("A headline") + 2
    assert [a.text[s:e] for s, e in a.sentences] == ["A headline", "First one.", "Second one."]


def test_whitespace_collapses_but_paragraph_breaks_stay() -> None:
    assert clean_body("one\t two  \r\n\r\n\n three \n four") == "one two\n\nthree\n\nfour"


def test_zero_width_and_bidi_characters_are_removed_inside_words() -> None:
    assert clean_body("sanc\u200btions on the \u202eKremlin\u202c") == "sanctions on the Kremlin"


def test_mojibake_is_repaired_and_quotes_and_dashes_unified() -> None:
    assert clean_body("The ministry\u00e2\u0080\u0099s statement") == "The ministry's statement"
    assert clean_body("\u201cunlawful\u201d \u2014 it said") == '"unlawful" - it said'


def test_fullwidth_letters_fold_to_ascii() -> None:
    assert clean_body("\uff33\uff41\uff4e\uff43\uff54\uff49\uff4f\uff4e\uff53") == "Sanctions"


def test_html_bodies_lose_markup_scripts_and_navigation_but_keep_paragraphs() -> None:
    html = (
        "<html><script>var x = 1;</script><nav>Menu</nav><p>First &amp; one.</p>"
        "<div>Second<br>line</div><style>p{}</style></html>"
    )
    a = normalize(InputArticle(title="T", body=html), now=NOW)
    assert a.body == "First & one.\n\nSecond\n\nline"
    assert "var x" not in html_to_text("<script>var x</script>")


def test_glued_paragraphs_split_only_when_asked() -> None:
    """Blocks joined without a space split in French, German, Spanish, Russian articles."""
    text = "Il a parlé aux Affaires étrangères.Affrété par la société, le navire est parti."
    glued = [text[s:e] for s, e in split_sentences(text, glued=True)]
    assert glued == [
        "Il a parlé aux Affaires étrangères.",
        "Affrété par la société, le navire est parti.",
    ]
    assert len(split_sentences(text)) == 1
    assert len(split_sentences("The U.S.Army and Mr.Smith met.", glued=True)) == 1


def test_a_german_ordinal_before_a_month_ends_no_sentence() -> None:
    text = "Sein Name landete am 23. Februar auf der Liste. Am 1. Mai kam er frei."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Sein Name landete am 23. Februar auf der Liste.",
        "Am 1. Mai kam er frei.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Kim met Gen. Park in the U.S. capital. They spoke.",
            ["Mr. Kim met Gen. Park in the U.S. capital.", "They spoke."],
        ),
        ("J. Smith said so. No. 2 followed.", ["J. Smith said so.", "No. 2 followed."]),
        ('He said "it is over." Then he left.', ['He said "it is over."', "Then he left."]),
        ("Kim Jong Un spoke. Kim Yo Jong did not!", ["Kim Jong Un spoke.", "Kim Yo Jong did not!"]),
        ("One ends here\n\nand a paragraph starts", ["One ends here", "and a paragraph starts"]),
        (
            "It cost $2.5 billion in 2024. Prices rose.",
            ["It cost $2.5 billion in 2024.", "Prices rose."],
        ),
        # accented and Cyrillic capitals, guillemets and low quotes start a sentence too
        ("Il est parti. À Paris, il pleut.", ["Il est parti.", "À Paris, il pleut."]),
        ("Er ging. Über Nacht fiel Schnee.", ["Er ging.", "Über Nacht fiel Schnee."]),
        ("Он ушел. Это было вчера.", ["Он ушел.", "Это было вчера."]),
        ("Il a dit: «non.» «Jamais.»", ["Il a dit: «non.»", "«Jamais.»"]),
        ("Sie sagte: „Nein.“ Dann ging sie.", ["Sie sagte: „Nein.“", "Dann ging sie."]),
        # a lower-case letter or the multiplication sign starts none
        ("Es ist 3 × 4. × ist kein Buchstabe.", ["Es ist 3 × 4. × ist kein Buchstabe."]),
    ],
)
def test_sentences_respect_abbreviations_initials_quotes_and_paragraphs(
    text: str, expected: list[str]
) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-06-02", "2025-06-02T00:00:00Z"),
        ("2025-06-02T09:30:00+09:00", "2025-06-02T00:30:00Z"),
        ("2025-06-02T09:30:00Z", "2025-06-02T09:30:00Z"),
        ("Mon, 02 Jun 2025 09:30:00 +0200", "2025-06-02T07:30:00Z"),
    ],
)
def test_dates_in_iso_rfc2822_and_plain_forms_become_utc(value: str, expected: str) -> None:
    parsed = parse_date(value)
    assert parsed is not None
    assert parsed.strftime("%Y-%m-%dT%H:%M:%SZ") == expected


def test_missing_or_far_future_date_falls_back_to_the_kafka_timestamp() -> None:
    ts = int(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp() * 1000)
    for value in (None, "not a date", "2999-01-01"):
        a = normalize(
            InputArticle(title="T", body="B.", published_at=value), kafka_timestamp_ms=ts, now=NOW
        )
        assert (a.published_at, a.published_at_source) == ("2026-01-02T03:04:05Z", "kafka")
    a = normalize(InputArticle(title="T", body="B."), now=NOW)
    assert (a.published_at, a.published_at_source) == (None, "none")


def test_id_is_given_else_from_canonical_url_else_from_content() -> None:
    given = normalize(InputArticle(title="T", body="B", id=" abc "), now=NOW)
    assert given.id == "abc"
    u1 = normalize(
        InputArticle(title="T", body="B", url="https://WWW.Example.com/a/?utm_source=x#top"),
        now=NOW,
    )
    u2 = normalize(InputArticle(title="T2", body="B2", url="https://example.com/a"), now=NOW)
    assert u1.id == u2.id
    assert u1.id.startswith("url-")
    c1 = normalize(InputArticle(title="T", body="Same  body"), now=NOW)
    c2 = normalize(InputArticle(title="T", body="Same body"), now=NOW)
    assert c1.id == c2.id
    assert c1.id.startswith("content-")
    assert canonical_url("HTTP://Example.com/x/?b=2&a=1&fbclid=z") == "http://example.com/x?a=1&b=2"


def test_empty_body_after_cleaning_is_rejected() -> None:
    with pytest.raises(StageRejected) as info:
        normalize(InputArticle(title="T", body="<p>\u200b </p>"), now=NOW)
    assert info.value.reason == "input.empty"


def test_overlong_body_is_rejected() -> None:
    with pytest.raises(StageRejected) as info:
        normalize(InputArticle(title="T", body="word " * 100), max_body_chars=50, now=NOW)
    assert info.value.reason == "input.too_long"


def test_a_records_language_is_kept_and_marked_as_the_records() -> None:
    a = normalize(InputArticle(title="T", body="The ministry said so.", language="FR"), now=NOW)
    assert (a.language, a.language_source, a.language_confidence) == ("fr", "record", None)


def test_every_sentence_span_lies_inside_the_text_and_is_trimmed(seed_bytes: bytes) -> None:
    from pipeline.codec import decode_input

    article, _ = decode_input(seed_bytes, max_bytes=1 << 20)
    a = normalize(article, now=NOW)
    assert len(a.sentences) == 13
    for s, e in a.sentences:
        piece = a.text[s:e]
        assert piece == piece.strip()
        assert piece
    assert a.published_at == "2025-06-02T00:00:00Z"


def test_homoglyph_mixes_inside_a_word_fold_to_latin_but_cyrillic_words_stay() -> None:
    assert clean_body("R\u043esoboronexport sent \u0455hells") == "Rosoboronexport sent shells"
    assert clean_body("\u041c\u043e\u0441\u043a\u0432\u0430 said") == (
        "\u041c\u043e\u0441\u043a\u0432\u0430 said"
    )
    assert clean_body("\u0391\u03b8\u03ae\u03bd\u03b1") == "\u0391\u03b8\u03ae\u03bd\u03b1"


def test_evasion_spellings_are_tagged_as_the_plain_name(stages: object) -> None:
    from pipeline.resources import Stages

    assert isinstance(stages, Stages)
    a = normalize(
        InputArticle(title="T", body="R\u043es\u200boboronexport shipped shells."), now=NOW
    )
    ids = [e.id for e in stages.tagger.tag(a) if e.label == "WATCHLIST"]
    assert ids == ["nf-ru-rosoboronexport"]


def test_non_english_articles_pass_with_their_language_marked() -> None:
    a = normalize(
        InputArticle(
            title="Sanktionen",
            body="Die Regierung hat neue Sanktionen "
            "gegen Russland beschlossen und die Exporte werden gestoppt.",
        ),
        now=NOW,
    )
    assert a.language == "de"
