"""Bytes <-> messages. The only place that parses what arrives on a topic.

Input articles are validated against ``schemas/article-input.schema.json``; the other
messages are rebuilt with the models' ``from_dict`` (they come from our own stages) and
any wrong shape becomes a :class:`SchemaViolation`. Encoding is orjson throughout.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from pipeline.errors import DecodeFailed, SchemaViolation
from pipeline.models import InputArticle, NormalizedArticle, TaggedArticle
from pipeline.settings import PROJECT_ROOT

SCHEMAS = PROJECT_ROOT / "schemas"
SCHEMA_NAMES = ("article-input", "article-normalized", "article-tagged", "alert", "deadletter")

# The seed format: an optional leading space, "date YYYY-MM-DD", the title; then the body.
_SEED_FIRST_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.+?)\s*$")


def dumps(obj: object) -> bytes:
    """Serialize a model (dataclass), dict or list to JSON bytes."""
    return orjson.dumps(obj)


@cache
def _registry() -> Registry[Any]:
    resources = []
    for name in SCHEMA_NAMES:
        contents = orjson.loads((SCHEMAS / f"{name}.schema.json").read_bytes())
        resources.append((f"{name}.schema.json", Resource.from_contents(contents)))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """The compiled validator of ``schemas/<name>.schema.json`` (built once)."""
    schema = orjson.loads((SCHEMAS / f"{name}.schema.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry())


def validate(name: str, instance: object) -> None:
    """Raise :class:`SchemaViolation` naming the first offending field."""
    error = next(iter(validator(name).iter_errors(instance)), None)
    if error is None:
        return
    if error.path:
        field = str(error.path[0])
    elif error.validator == "required" and isinstance(instance, Mapping):
        missing = [k for k in error.validator_value if k not in instance]
        field = missing[0] if missing else "root"
    else:
        field = "root"
    raise SchemaViolation(field, error.message[:300])


# (field, required, nullable, min length, max length) as in article-input.schema.json.
_INPUT_RULES = (
    ("title", True, False, 0, 2000),
    ("body", True, False, 1, None),
    ("id", False, False, 1, 256),
    ("published_at", False, True, 0, 100),
    ("source", False, True, 0, 500),
    ("url", False, True, 0, 4000),
    ("language", False, True, 0, 35),
)


def input_fast_ok(doc: Mapping[str, Any]) -> bool:
    """A quick check that accepts only what the input schema accepts (the common case).

    ``False`` means "ask the schema", which then accepts or names the offending field.
    """
    for field, required, nullable, low, high in _INPUT_RULES:
        if field not in doc:
            if required:
                return False
            continue
        value = doc[field]
        if value is None and nullable:
            continue
        if not isinstance(value, str) or len(value) < low or (high and len(value) > high):
            return False
    return True


def parse_seed_text(text: str) -> dict[str, Any] | None:
    """Parse the seed plain-text format; ``None`` when the text is not in it."""
    first, _, rest = text.lstrip("\ufeff").partition("\n")
    m = _SEED_FIRST_LINE.match(first)
    if m is None:
        return None
    return {"title": m.group(2), "body": rest.strip("\n"), "published_at": m.group(1)}


def decode_input(raw: bytes, *, max_bytes: int) -> tuple[InputArticle, str]:
    """Decode an input record into an :class:`InputArticle`.

    Returns the article and the format it came in (``json`` or ``seed``).

    Raises:
        DecodeFailed: ``input.too_large``, ``input.empty``, ``decode.utf8``, ``decode.json``.
        SchemaViolation: ``schema.<field>`` for JSON that is not an article.
    """
    if len(raw) > max_bytes:
        raise DecodeFailed("input.too_large", f"{len(raw)} bytes > {max_bytes}")
    if not raw.strip():
        raise DecodeFailed("input.empty", "no bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeFailed("decode.utf8", str(exc)[:200]) from exc
    stripped = text.lstrip("\ufeff \t\r\n")
    fmt = "json"
    if stripped[:1] in ("{", "["):
        try:
            doc = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise DecodeFailed("decode.json", str(exc)[:200]) from exc
    else:
        seed = parse_seed_text(text)
        if seed is None:
            raise DecodeFailed("decode.json", "neither JSON nor the seed text format")
        doc, fmt = seed, "seed"
    if not isinstance(doc, dict):
        raise SchemaViolation("root", f"expected an object, got {type(doc).__name__}")
    if not input_fast_ok(doc):
        validate("article-input", doc)  # the schema decides, and names the bad field
    article = InputArticle(
        title=doc["title"],
        body=doc["body"],
        id=doc.get("id"),
        published_at=doc.get("published_at"),
        source=doc.get("source"),
        url=doc.get("url"),
        language=doc.get("language"),
    )
    return article, fmt


def _loads_object(raw: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeFailed("decode.json", str(exc)[:200]) from exc
    if not isinstance(doc, dict):
        raise SchemaViolation("root", "expected an object")
    return doc


def decode_normalized(raw: bytes) -> NormalizedArticle:
    """Rebuild a normalized article from its topic record."""
    doc = _loads_object(raw)
    try:
        return NormalizedArticle.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaViolation("root", f"not a normalized article: {exc!r}"[:300]) from exc


def decode_tagged(raw: bytes) -> TaggedArticle:
    """Rebuild a tagged article from its topic record."""
    doc = _loads_object(raw)
    try:
        return TaggedArticle.from_dict(doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaViolation("root", f"not a tagged article: {exc!r}"[:300]) from exc


def read_article_file(path: Path) -> list[bytes]:
    """Articles in a file as the raw bytes to publish: JSON, JSON lines or seed text.

    A ``.json`` file holds one article or a list; ``.jsonl``/``.ndjson`` one per line;
    anything else is published as it is (seed text, or bytes for the stage to judge).
    """
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson"}:
        return [line for line in data.splitlines() if line.strip()]
    if suffix == ".json":
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            return [data]
        if isinstance(doc, list):
            return [orjson.dumps(d) for d in doc]
        return [data]
    return [data]
