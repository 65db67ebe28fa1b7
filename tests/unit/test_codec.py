"""Decoding records into the message structs, encoding them, and the generated schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pytest

from pipeline.codec import (
    decode_alert,
    decode_input,
    decode_normalized,
    decode_tagged,
    dumps,
    read_article_file,
)
from pipeline.errors import DecodeFailed, SchemaViolation
from pipeline.evaluation import as_input
from pipeline.models import Alert, DeadLetter, Source, asdict
from pipeline.resources import Stages
from pipeline.schemas import CONTRACTS, SCHEMAS_DIR, Contract, render
from pipeline.settings import PROJECT_ROOT, Settings
from tests.schema_check import accepts, validator
from tests.single import One, run_one

MAX = 1024 * 1024


@pytest.fixture(scope="module")
def chained(seed_bytes: bytes, stages: Stages, settings: Settings) -> One:
    result = run_one(seed_bytes, stages, settings, timestamp_ms=1_700_000_000_000)
    assert result.alert is not None
    return result


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_committed_schemas_are_the_generated_ones(contract: Contract) -> None:
    """Run `make schemas` after changing a struct in pipeline/models.py."""
    committed = (SCHEMAS_DIR / contract.filename).read_text(encoding="utf-8")
    assert committed == render(contract)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_every_schema_is_valid_draft_2020_12_and_names_its_own_file(contract: Contract) -> None:
    schema = validator(contract.name).schema  # check_schema ran when it was built
    assert schema["$id"].endswith("/" + contract.filename)


def test_every_schema_file_belongs_to_a_contract() -> None:
    assert {p.name for p in SCHEMAS_DIR.glob("*.json")} == {c.filename for c in CONTRACTS}


def test_event_types_are_a_pattern_pointing_to_the_rules_file_not_a_list() -> None:
    text = (SCHEMAS_DIR / "alert.schema.json").read_text(encoding="utf-8")
    assert "arms_transfer" not in text
    assert "seeds/rules/sanctions.toml" in text


def test_seed_text_format_decodes_with_title_date_and_body(seed_bytes: bytes) -> None:
    article, fmt = decode_input(seed_bytes, max_bytes=MAX)
    assert fmt == "seed"
    assert article.title == "North Korea says military ties with Russia to ensure 'peace'"
    assert article.published_at == "2025-06-02"
    assert article.body.startswith("North Korea on Monday defended")


def _sample_files() -> list[Path]:
    return sorted(p for p in (PROJECT_ROOT / "seeds" / "articles").iterdir() if p.is_file())


@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.name)
def test_every_sample_article_decodes_in_its_format(path: Path) -> None:
    for raw in read_article_file(path):
        _, fmt = decode_input(raw, max_bytes=MAX)
        assert fmt == ("json" if path.suffix == ".json" else "seed")


def test_every_labelled_eval_line_decodes_as_an_input_article() -> None:
    lines = (PROJECT_ROOT / "seeds" / "eval" / "dev.jsonl").read_bytes().splitlines()
    docs = [orjson.loads(line) for line in lines if line.strip()]
    assert [decode_input(as_input(d), max_bytes=MAX)[0].id for d in docs] == [
        d.get("id") for d in docs
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe{not utf8", "decode.utf8"),
        (b'{"title": "a", "body": ', "decode.json"),
        (b"plain words, not an article", "decode.json"),
        (b"   \n\t ", "input.empty"),
        (b"", "input.empty"),
        (b'{"body": "text"}', "schema.title"),
        (b'{"title": "t"}', "schema.body"),
        (b'{"title": "t", "body": 42}', "schema.body"),
        (b'{"title": "t", "body": "b", "url": 7}', "schema.url"),
        (b'["title", "body"]', "schema.root"),
        (b'{"title": "t", "body": ""}', "schema.body"),
        (b'{"title": "t", "body": "b", "id": null}', "schema.id"),
        (b'{"title": "t", "body": "b", "id": ""}', "schema.id"),
        (b'{"title": "t", "body": "b", "language": "' + b"x" * 36 + b'"}', "schema.language"),
        # a wrong type before the document breaks off: still not JSON
        (b'{"title": 5, "body": ', "decode.json"),
        (b"[1, 2", "decode.json"),
        (b'{"title": "t", "body": "b", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "decode.json"),
        (b'{"title": "t", "body": "b"} trailing', "decode.json"),
        (b" date 2025-06-02 " + b"T" * 2001 + b"\nbody", "schema.title"),
    ],
)
def test_bad_input_is_rejected_with_a_stable_reason(raw: bytes, reason: str) -> None:
    with pytest.raises((DecodeFailed, SchemaViolation)) as info:
        decode_input(raw, max_bytes=MAX)
    assert info.value.reason == reason


def test_a_byte_order_mark_and_leading_whitespace_are_skipped() -> None:
    raw = "\ufeff \n\ufeff".encode() + b'{"title": "t\xc3\xa9", "body": "b", "extra": {"x": 1}}'
    article, fmt = decode_input(raw, max_bytes=MAX)
    assert (article.title, article.body, fmt) == ("t\u00e9", "b", "json")


def test_oversized_input_is_rejected_before_parsing() -> None:
    raw = b'{"title": "t", "body": "' + b"x" * 2000 + b'"}'
    with pytest.raises(DecodeFailed) as info:
        decode_input(raw, max_bytes=1024)
    assert info.value.reason == "input.too_large"


def test_stage_outputs_validate_against_their_schemas(chained: One) -> None:
    for name, message in (
        ("article-normalized", chained.article),
        ("article-tagged", chained.tagged),
        ("alert", chained.alert),
    ):
        errors = list(validator(name).iter_errors(orjson.loads(dumps(message))))
        assert errors == [], (name, errors[:1])


def test_stage_outputs_decode_back_to_equal_structs(chained: One) -> None:
    assert decode_normalized(dumps(chained.article)) == chained.article
    assert decode_tagged(dumps(chained.tagged)) == chained.tagged
    assert decode_alert(dumps(chained.alert)) == chained.alert


def test_structs_encode_to_the_bytes_orjson_gave_the_dataclasses(chained: One) -> None:
    """Field order and defaults as before: orjson over the plain dicts is the old encoding."""
    for message in (chained.article, chained.tagged, chained.alert):
        assert dumps(message) == orjson.dumps(asdict(message))
    line = {"article": chained.article, "alerts": [chained.alert], "n": 1.5}
    assert dumps(line) == orjson.dumps(
        {**line, "article": asdict(chained.article)} | {"alerts": [asdict(chained.alert)]}
    )


def test_asdict_turns_nested_structs_into_dicts_and_keeps_tuples(chained: One) -> None:
    assert chained.alert is not None
    doc = asdict(chained.alert)
    assert isinstance(doc["sources"], tuple)
    assert doc["sources"][0] == {
        f: getattr(chained.alert.sources[0], f) for f in Source.__struct_fields__
    }


@pytest.mark.parametrize(
    ("raw", "exc", "reason"),
    [
        (b"{", DecodeFailed, "decode.json"),
        (b"[]", SchemaViolation, "schema.root"),
        (b'{"alert_id": "a"}', SchemaViolation, "schema.article_id"),
    ],
)
def test_a_record_that_is_not_an_alert_is_refused(
    raw: bytes, exc: type[Exception], reason: str
) -> None:
    with pytest.raises(exc) as info:
        decode_alert(raw)
    assert getattr(info.value, "reason", None) == reason


def test_a_wrong_field_inside_a_tagged_article_names_the_top_level_field(
    chained: One,
) -> None:
    doc = orjson.loads(dumps(chained.tagged))
    doc["article"]["sentences"][0] = [-1, 3]
    with pytest.raises(SchemaViolation) as info:
        decode_tagged(orjson.dumps(doc))
    assert info.value.reason == "schema.article"


def _letter() -> dict[str, Any]:
    return orjson.loads(
        dumps(
            DeadLetter(
                stage="tag",
                reason="schema.article",
                error="bad",
                source_topic="news.articles.normalized",
                partition=0,
                offset=7,
                timestamp_ms=None,
                key_b64=None,
                original_b64="e30=",
                original_size=2,
                failed_at="2025-06-02T00:00:00.000+00:00",
                original_sha256="a" * 64,
            )
        )
    )


def _examples(chained: One) -> list[tuple[str, dict[str, Any], bool]]:
    """(contract, document, valid): each invalid one breaks one constraint of its struct."""
    article = orjson.loads(dumps(chained.article))
    tagged = orjson.loads(dumps(chained.tagged))
    alert = orjson.loads(dumps(chained.alert))
    letter = _letter()

    def but(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
        return {**doc, **changes}

    def without(doc: dict[str, Any], key: str) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k != key}

    evidence = alert["evidence"][0]
    return [
        ("article-input", {"title": "t", "body": "b", "unknown": [1]}, True),
        ("article-input", {"title": "t", "body": "b", "published_at": None}, True),
        ("article-input", {"title": "t", "body": "b", "id": None}, False),
        ("article-input", {"title": "t" * 2001, "body": "b"}, False),
        ("article-input", {"title": "t", "body": "b", "url": "u" * 4001}, False),
        ("article-normalized", article, True),
        ("article-normalized", but(article, duplicate_of="x", similarity=0.9), True),
        ("article-normalized", but(article, fingerprint="XYZ"), False),
        ("article-normalized", but(article, sentences=[[0, 1, 2]]), False),
        ("article-normalized", but(article, published_at_source="guess"), False),
        ("article-normalized", but(article, similarity=1.5), False),
        ("article-normalized", without(article, "text"), False),
        ("article-tagged", tagged, True),
        ("article-tagged", but(tagged, summary=None), True),
        ("article-tagged", but(tagged, summary={"countries": {"KP": 0}, "watchlist": []}), False),
        ("article-tagged", but(tagged, entities=[{**tagged["entities"][0], "label": "X"}]), False),
        ("alert", alert, True),
        ("alert", but(alert, event_types=["a_new_event_defined_in_the_rules"]), True),
        ("alert", but(alert, event_types=[]), False),
        ("alert", but(alert, event_types=["Arms Transfer"]), False),
        ("alert", but(alert, evidence=[{**evidence, "event_type": "arms-transfer"}]), False),
        ("alert", but(alert, countries=["kp"]), False),
        ("alert", but(alert, severity="extreme"), False),
        ("alert", but(alert, status="old"), False),
        ("alert", but(alert, revision=0), False),
        ("alert", but(alert, score=1.01), False),
        ("alert", but(alert, sources=[]), False),
        ("deadletter", letter, True),
        ("deadletter", but(letter, stage="publish"), False),
        ("deadletter", but(letter, reason="Not A Reason"), False),
        ("deadletter", but(letter, original_sha256="abc"), False),
        ("deadletter", but(letter, original_size=-1), False),
    ]


def test_schema_and_struct_decoder_agree_on_valid_and_invalid_documents(
    chained: One,
) -> None:
    types = {c.name: c.message for c in CONTRACTS}
    for name, doc, valid in _examples(chained):
        assert accepts(name, doc) is valid, (name, doc)
        try:
            msgspec.json.decode(json.dumps(doc).encode(), type=types[name])
        except msgspec.ValidationError:
            decoded = False
        else:
            decoded = True
        assert decoded is valid, (name, doc)


def test_dumps_writes_plain_dicts_and_lists() -> None:
    assert (
        dumps({"a": [1, None, "\u00e9"], "b": (2.5,)})
        == '{"a":[1,null,"\u00e9"],"b":[2.5]}'.encode()
    )


def test_json_list_and_json_lines_files_split_into_articles(tmp_path: Path) -> None:
    listing = tmp_path / "two.json"
    listing.write_bytes(orjson.dumps([{"title": "a", "body": "b"}, {"title": "c", "body": "d"}]))
    lines = tmp_path / "two.jsonl"
    lines.write_bytes(b'{"title": "a", "body": "b"}\n\n{"title": "c", "body": "d"}\n')
    assert read_article_file(listing) == [b'{"title":"a","body":"b"}', b'{"title":"c","body":"d"}']
    assert len(read_article_file(lines)) == 2


def test_alert_struct_is_immutable(chained: One) -> None:
    assert isinstance(chained.alert, Alert)
    with pytest.raises(AttributeError):
        chained.alert.score = 0.0  # type: ignore[misc]
