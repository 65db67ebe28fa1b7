"""Web pages: the article's own text (not the page's furniture) and the page's metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from pipeline.errors import FatalError, RejectedMessage
from pipeline.models import InputArticle, NormalizedArticle
from pipeline.resources import Stages
from pipeline.settings import Settings
from pipeline.stages.entities import tag_article
from pipeline.stages.normalize import normalize
from pipeline.stages.sanctions import flag
from pipeline.stages.webpage import read_page, without_furniture
from tests.single import One, normalize_one, run_one

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _page(name: str, **record: str) -> NormalizedArticle:
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    title = record.pop("title", "")
    return normalize(InputArticle(title=title, body=html, **record), now=NOW)  # type: ignore[arg-type]


def _article_text(name: str) -> str:
    return "\n\n".join((PAGES / f"{name}.txt").read_text(encoding="utf-8").splitlines())


def test_a_related_stories_block_about_sanctions_stays_out_of_a_sports_article(
    stages: Stages,
) -> None:
    a = _page("sports_related_sanctions")
    assert a.body == _article_text("sports_related_sanctions")
    assert "Rosoboronexport" not in a.text
    assert flag(tag_article(stages.tagger, a), stages.rules) is None


def test_an_article_page_reporting_a_designation_raises_the_alert_with_exact_evidence(
    stages: Stages,
) -> None:
    a = _page("designation_header_in_article")
    alert = flag(tag_article(stages.tagger, a), stages.rules)
    assert alert is not None
    assert "sanctions_designation" in alert.event_types
    for e in alert.evidence:
        assert a.text[e.start : e.end] == e.text


def test_text_in_a_header_inside_the_article_is_kept() -> None:
    a = _page("designation_header_in_article")
    assert a.body == _article_text("designation_header_in_article")
    assert a.body.startswith("The United States Treasury on Tuesday designated")
    assert a.title == "Treasury designates Zentrobar Logistics over arms shipments"


def test_consent_banners_share_links_and_newsletter_blurbs_are_dropped() -> None:
    a = _page("furniture")
    assert a.body == _article_text("furniture")
    for furniture in ("cookies", "Partager", "Imprimer", "lettre d'information"):
        assert furniture not in a.text


def test_the_pages_metadata_fills_what_the_record_lacks_and_says_so() -> None:
    a = _page("sports_related_sanctions")
    assert (a.title, a.title_source) == ("Harbour City win the cup final on penalties", "page")
    assert (a.published_at, a.published_at_source) == ("2026-05-17T00:00:00Z", "page")
    assert a.author == "Mara Ellison"
    assert (a.site_name, a.site_name_source) == ("The Daily Lantern", "page")
    assert a.canonical_url == "https://lantern.example/sport/harbour-city-cup-final"
    assert (a.language, a.language_source) == ("en", "detected")


def test_the_records_fields_win_over_the_pages() -> None:
    a = _page(
        "sports_related_sanctions",
        title="Cup final: Harbour City on penalties",
        published_at="2026-05-18T08:00:00Z",
        source="Wire",
        language="en-GB",
    )
    assert (a.title, a.title_source) == ("Cup final: Harbour City on penalties", "record")
    assert (a.published_at, a.published_at_source) == ("2026-05-18T08:00:00Z", "article")
    assert (a.site_name, a.site_name_source) == ("Wire", "record")
    assert (a.language, a.language_source) == ("en-gb", "record")


def test_a_pages_declared_language_is_read_from_its_markup() -> None:
    html = (PAGES / "furniture.html").read_text(encoding="utf-8")
    assert read_page(html).language == "fr"
    assert _page("furniture").language == "fr"


def test_a_page_with_no_article_falls_back_to_the_plain_cleaner() -> None:
    # trafilatura reads a block classed "footer" as furniture and finds no article here.
    html = "<html><body><div class='footer'>Harbour City beat Riverside.</div></body></html>"
    assert read_page(html).text is None
    a = normalize(InputArticle(title="Cup", body=html), now=NOW)
    assert a.body == "Harbour City beat Riverside."


def _record(body: str) -> bytes:
    return orjson.dumps({"title": "", "body": body})


def test_an_html_page_over_the_message_limit_is_processed_up_to_the_html_limit() -> None:
    settings = Settings()
    html = (PAGES / "sports_related_sanctions.html").read_text(encoding="utf-8")
    script = "<script>var cfg = {" + ", ".join(f'"k{i}": {i}' for i in range(5000)) + "};</script>"
    page = html.replace(
        "<main>", script * (3 * settings.max_message_bytes // len(script)) + "<main>"
    )
    assert settings.max_message_bytes < len(_record(page)) <= settings.max_html_bytes
    a = normalize_one(_record(page), settings)
    assert a.body == _article_text("sports_related_sanctions")


def test_a_record_over_the_message_limit_that_is_not_html_is_too_large() -> None:
    settings = Settings()
    with pytest.raises(RejectedMessage) as info:
        normalize_one(_record("word " * settings.max_message_bytes), settings)
    assert info.value.reason == "input.too_large"


def test_an_html_page_over_the_html_limit_is_too_large() -> None:
    settings = Settings(max_html_bytes=2 * 1024 * 1024)
    page = "<html><body><p>" + "word " * (settings.max_html_bytes // 5) + "</p></body></html>"
    with pytest.raises(RejectedMessage) as info:
        normalize_one(_record(page), settings)
    assert info.value.reason == "input.too_large"


def test_the_fetch_size_must_hold_the_largest_html_page() -> None:
    with pytest.raises(FatalError, match="CONSUMER_FETCH_BYTES"):
        Settings(max_html_bytes=32 * 1024 * 1024).validate()
    assert Settings().topic_configs[Settings().topic_raw]["max.message.bytes"] == str(
        8 * 1024 * 1024 + 64 * 1024
    )


# --- the whole pipeline on a page (issue 16's test) --------------------------------------


def _through_the_pipeline(name: str, stages: Stages) -> One:
    html = (PAGES / f"{name}.html").read_text(encoding="utf-8")
    return run_one(_record(html), stages, Settings(), timestamp_ms=1_780_000_000_000)


def test_the_pipeline_raises_no_alert_for_a_sports_page_with_related_sanctions_stories(
    stages: Stages,
) -> None:
    one = _through_the_pipeline("sports_related_sanctions", stages)
    assert "sanctions" not in one.article.text.lower()
    assert one.alert is None
    assert one.published == ()


@pytest.mark.parametrize("name", ["designation_header_in_article", "jsonld_article_body"])
def test_the_pipeline_alerts_on_a_page_whose_body_reports_a_designation(
    stages: Stages, name: str
) -> None:
    one = _through_the_pipeline(name, stages)
    assert one.alert is not None
    assert "sanctions_designation" in one.alert.event_types
    assert [a.alert_id for a in one.published] == [one.alert.alert_id]
    assert one.alert.evidence
    for e in one.alert.evidence:
        assert one.article.text[e.start : e.end] == e.text
        assert e.start >= one.article.body_start or e.end <= len(one.article.title)


# --- articles a page carries for its scripts ---------------------------------------------


def test_a_post_carried_in_noscript_is_read_when_the_page_shows_none() -> None:
    a = _page("noscript_post")
    assert a.body == _article_text("noscript_post")
    assert a.title == "Ferry timetable changes for the winter season"
    assert "JavaScript" not in a.text  # the other noscript is a notice, not an article


def test_a_post_in_a_template_script_is_read_when_the_page_shows_none() -> None:
    a = _page("template_post")
    assert a.body == _article_text("template_post")
    assert "Northfield Weekly" not in a.body


def test_a_json_ld_article_body_is_read_when_the_page_shows_none() -> None:
    a = _page("jsonld_article_body")
    assert a.body.split() == _article_text("jsonld_article_body").split()
    assert (a.author, a.published_at) == ("Petra Oyelaran", "2026-06-02T00:00:00Z")


def test_a_visible_article_wins_over_one_carried_for_scripts() -> None:
    visible = "".join(
        f"<p>The harbour master said on Monday that crossing {i} would leave at dawn "
        "because of the storm expected along the coast.</p>"
        for i in range(4)
    )
    hidden = "<p>" + "An older version of the story that the page no longer shows. " * 6 + "</p>"
    html = f"<html><body><article>{visible}</article><noscript>{hidden}</noscript></body></html>"
    text = read_page(html).text or ""
    assert "crossing 3 would leave at dawn" in text
    assert "older version" not in text


# --- furniture around the article --------------------------------------------------------


def test_a_list_of_links_inside_the_article_is_dropped() -> None:
    paragraphs = "".join(
        f"<p>The ferry operator said on Thursday that sailing {i} would be moved to the "
        "afternoon while repairs to the northern pier continue.</p>"
        for i in range(4)
    )
    links = (
        "<ul><li><a href='/a'>Treasury sanctions a shipping firm over arms deliveries</a></li>"
        "<li><a href='/b'>Ministry freezes assets of tanker operators</a></li></ul>"
    )
    html = f"<html><body><article><h1>Ferry moves</h1>{paragraphs}{links}</article></body></html>"
    text = read_page(html).text or ""
    assert "sailing 3 would be moved" in text
    assert "Treasury" not in text
    assert "freezes" not in text


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Ministry announces new export rules",
        "Related: Port strike enters second week",
        "- Sign up for our morning newsletter",
        "Get the top stories in your inbox: our newsletter, every morning.",
        "Follow us on social media for the latest updates.",
        "© 2026 Example News. All rights reserved.",
        "Lesen Sie auch: Neue Regeln für den Export",
        "Lire aussi : les nouvelles règles d'exportation",
    ],
)
def test_a_paragraph_of_page_furniture_is_dropped(line: str) -> None:
    kept = "The ministry said the rules take effect on Monday."
    assert without_furniture(f"{kept}\n{line}\n{kept}") == f"{kept}\n{kept}"


@pytest.mark.parametrize(
    "line",
    [
        "Related charges were filed against the company on Monday, prosecutors said.",
        "The newsletter said the ministry would sign the agreement next week.",
        "He said he would read more of the report before deciding on sanctions.",
        "Investors who follow the sector said the designation came as no surprise.",
        "Officials said a longer statement would follow us, the reporters, to the capital "
        "and that subscribers to the wire would get it first, read more widely than any other "
        "in the region, as the ministry put it.",
    ],
)
def test_a_paragraph_of_the_article_that_mentions_such_words_is_kept(line: str) -> None:
    assert without_furniture(line) == line


def test_a_deeply_nested_page_still_gives_its_text() -> None:
    # Past a nesting depth of 100 the second opinion (jusText, quadratic in the depth) is
    # skipped; here the extractor finds nothing and the plain cleaner gives the text.
    sentence = "The harbour master said the northern pier would reopen on Friday."
    html = "<html><body>" + "<div>" * 300 + f"<p>{sentence}</p>" + "</div>" * 300 + "</body></html>"
    assert normalize(InputArticle(title="", body=html), now=NOW).body == sentence
    nested = "<html><body>" + "<div>" * 120 + f"<p>{sentence}</p>" * 3 + "</div>" * 120
    assert sentence in (read_page(nested + "</body></html>").text or "")
