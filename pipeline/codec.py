"""Bytes <-> messages. The only place that parses what arrives on a topic.

Every message is decoded straight into its struct (``pipeline/models.py``) by a msgspec
decoder built once per type, which checks the same constraints that ``schemas/*.json``
states (the schemas are generated from the structs). A record that is not JSON becomes a
:class:`DecodeFailed`, a wrong shape a :class:`SchemaViolation` naming the offending
top-level field. Encoding is msgspec's JSON encoder for structs, dicts and lists alike.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from pipeline.errors import DecodeFailed, SchemaViolation
from pipeline.models import Alert, DedupeRecord, InputArticle, NormalizedArticle, TaggedArticle

T = TypeVar("T")

# The seed format: an optional leading space, "date YYYY-MM-DD", the title; then the body.
_SEED_FIRST_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.+?)\s*$")
# msgspec names the place of a validation error as "... - at `$.field[0].sub`".
_ERROR_PATH = re.compile(r" - at `\$\.([A-Za-z0-9_]+)")
_MISSING_FIELD = re.compile(r"^Object missing required field `([^`]+)`$")

_ENCODER = msgspec.json.Encoder()
_INPUT = msgspec.json.Decoder(InputArticle)
_NORMALIZED = msgspec.json.Decoder(NormalizedArticle)
_TAGGED = msgspec.json.Decoder(TaggedArticle)
_ALERT = msgspec.json.Decoder(Alert)
_DEDUPE = msgspec.json.Decoder(DedupeRecord)
_ANY = msgspec.json.Decoder()


def dumps(obj: object) -> bytes:
    """Serialize a message (struct), dict or list to JSON bytes.

    Raises:
        TypeError: ``obj`` holds a value JSON has no form for.
    """
    return _ENCODER.encode(obj)


def _field_of(error: msgspec.ValidationError) -> str:
    """The top-level field a validation error is about, ``root`` for the document itself."""
    message = str(error)
    found = _ERROR_PATH.search(message)
    if found is not None:
        return found.group(1)
    missing = _MISSING_FIELD.match(message)
    return missing.group(1) if missing is not None else "root"


def _decode(decoder: msgspec.json.Decoder[T], raw: bytes | memoryview, what: str) -> T:
    """Decode with ``decoder``; malformed JSON is ``decode.json`` even when the typed
    decoder stopped at a wrong type first (as a parse-then-validate decoder would say)."""
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        try:
            _ANY.decode(raw)
        except (msgspec.DecodeError, RecursionError) as bad:
            raise DecodeFailed("decode.json", str(bad)[:200]) from exc
        field = _field_of(exc)
        raise SchemaViolation(field, f"{what}{exc}"[:300]) from exc
    # msgspec raises RecursionError for nesting deeper than the interpreter's limit.
    except (msgspec.DecodeError, RecursionError) as exc:
        raise DecodeFailed("decode.json", str(exc)[:200]) from exc


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
    if stripped[:1] in ("{", "["):
        # Decode the bytes past the skipped prefix (each BOM is 3 bytes, the rest 1 each)
        # rather than the str, which msgspec would first re-encode to UTF-8.
        prefix = len(text) - len(stripped)
        skip = prefix + 2 * text.count("\ufeff", 0, prefix)
        return _decode(_INPUT, memoryview(raw)[skip:], ""), "json"
    seed = parse_seed_text(text)
    if seed is None:
        raise DecodeFailed("decode.json", "neither JSON nor the seed text format")
    try:
        return msgspec.convert(seed, InputArticle), "seed"
    except msgspec.ValidationError as exc:
        raise SchemaViolation(_field_of(exc), str(exc)[:300]) from exc


def decode_normalized(raw: bytes) -> NormalizedArticle:
    """Decode a normalized article from its topic record.

    Raises:
        DecodeFailed: ``decode.json``.
        SchemaViolation: ``schema.<field>`` for JSON that is not a normalized article.
    """
    return _decode(_NORMALIZED, raw, "not a normalized article: ")


def decode_tagged(raw: bytes) -> TaggedArticle:
    """Decode a tagged article from its topic record.

    Raises:
        DecodeFailed: ``decode.json``.
        SchemaViolation: ``schema.<field>`` for JSON that is not a tagged article.
    """
    return _decode(_TAGGED, raw, "not a tagged article: ")


def decode_alert(raw: bytes) -> Alert:
    """Decode an alert (a candidate or a published one) from its topic record.

    Raises:
        DecodeFailed: ``decode.json``.
        SchemaViolation: ``schema.<field>`` for JSON that is not an alert.
    """
    return _decode(_ALERT, raw, "not an alert: ")


def decode_dedupe(raw: bytes) -> DedupeRecord:
    """Decode the record between the normalize and dedupe steps.

    Raises:
        DecodeFailed: ``decode.json``.
        SchemaViolation: ``schema.<field>`` for JSON that is not a dedupe record.
    """
    return _decode(_DEDUPE, raw, "not a dedupe record: ")


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
            doc = _ANY.decode(data)
        except (msgspec.DecodeError, RecursionError):
            return [data]
        if isinstance(doc, list):
            return [dumps(d) for d in doc]
        return [data]
    return [data]
