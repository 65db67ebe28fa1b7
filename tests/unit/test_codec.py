"""Decoding input records and the message schemas."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

from pipeline.codec import SCHEMA_NAMES, SCHEMAS, decode_input, read_article_file, validator
from pipeline.errors import DecodeFailed, SchemaViolation
from pipeline.resources import Stages
from pipeline.settings import PROJECT_ROOT, Settings
from tests.single import run_one

MAX = 1024 * 1024


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = orjson.loads((SCHEMAS / f"{name}.schema.json").read_bytes())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_seed_text_format_decodes_with_title_date_and_body(seed_bytes: bytes) -> None:
    article, fmt = decode_input(seed_bytes, max_bytes=MAX)
    assert fmt == "seed"
    assert article.title == "North Korea says military ties with Russia to ensure 'peace'"
    assert article.published_at == "2025-06-02"
    assert article.body.startswith("North Korea on Monday defended")


def _sample_files() -> list[Path]:
    return sorted(p for p in (PROJECT_ROOT / "seeds" / "articles").iterdir() if p.is_file())


@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.name)
def test_every_sample_article_validates_against_the_input_schema(path: Path) -> None:
    for raw in read_article_file(path):
        article, _ = decode_input(raw, max_bytes=MAX)
        assert article.title
        assert article.body


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
    ],
)
def test_bad_input_is_rejected_with_a_stable_reason(raw: bytes, reason: str) -> None:
    with pytest.raises((DecodeFailed, SchemaViolation)) as info:
        decode_input(raw, max_bytes=MAX)
    assert info.value.reason == reason


def test_oversized_input_is_rejected_before_parsing() -> None:
    raw = b'{"title": "t", "body": "' + b"x" * 2000 + b'"}'
    with pytest.raises(DecodeFailed) as info:
        decode_input(raw, max_bytes=1024)
    assert info.value.reason == "input.too_large"


def test_stage_outputs_validate_against_their_schemas(
    seed_bytes: bytes, stages: Stages, settings: Settings
) -> None:
    result = run_one(seed_bytes, stages, settings, timestamp_ms=1_700_000_000_000)
    article = orjson.loads(orjson.dumps(result.article))
    tagged = orjson.loads(orjson.dumps(result.tagged))
    alert = orjson.loads(orjson.dumps(result.alert))
    for name, doc in (
        ("article-normalized", article),
        ("article-tagged", tagged),
        ("alert", alert),
    ):
        errors = list(validator(name).iter_errors(doc))
        assert errors == [], (name, errors[:1])


def test_json_list_and_json_lines_files_split_into_articles(tmp_path: Path) -> None:
    listing = tmp_path / "two.json"
    listing.write_bytes(orjson.dumps([{"title": "a", "body": "b"}, {"title": "c", "body": "d"}]))
    lines = tmp_path / "two.jsonl"
    lines.write_bytes(b'{"title": "a", "body": "b"}\n\n{"title": "c", "body": "d"}\n')
    assert len(read_article_file(listing)) == 2
    assert len(read_article_file(lines)) == 2
