"""A corpus of hostile and broken inputs, shared by the unit and integration tests.

Each case: a name, the raw record bytes, and the verdict the pipeline must reach:
``("dead", reason)`` — dead-lettered with that reason — or ``("ok", check)`` — processed,
with ``check(result_document)`` naming what must hold (evasion defeated, language kept).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

Check = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    verdict: str  # "ok" or "dead"
    reason: str = ""
    check: Check | None = None


def _article(body: str, title: str = "Hostile input", **extra: Any) -> bytes:
    return orjson.dumps({"title": title, "body": body, **extra})


def _nested(depth: int) -> bytes:
    return b'{"title": "t", "body": "b", "x": ' + b"[" * depth + b"]" * depth + b"}"


def _has_watchlist(entity_id: str) -> Check:
    return lambda doc: any(
        e["label"] == "WATCHLIST" and e["id"] == entity_id for e in doc["entities"]
    )


def _text_has(fragment: str) -> Check:
    return lambda doc: fragment in doc["article"]["text"]


def _alerted(doc: dict[str, Any]) -> bool:
    return bool(doc["alerts"])


SEED_LIKE = "North Korea shipped artillery shells to Russia, officials said."

CASES: list[Case] = [
    Case("invalid utf-8", b'{"title": "t", "body": "\xff\xfe\xfa"}', "dead", "decode.utf8"),
    Case("latin-1 bytes", "Pyongyang \u00e9t\u00e9".encode("latin-1"), "dead", "decode.utf8"),
    Case("truncated json", b'{"title": "Sanctions", "body": "Russia', "dead", "decode.json"),
    Case("not json", b"<<<>>> ::: not an article", "dead", "decode.json"),
    Case("json array", b'[{"title": "t", "body": "b"}]', "dead", "schema.root"),
    Case("json string", b'"just a string"', "dead", "decode.json"),
    Case("wrong title type", b'{"title": 42, "body": "b"}', "dead", "schema.title"),
    Case("wrong body type", b'{"title": "t", "body": ["a", "b"]}', "dead", "schema.body"),
    Case("missing title", b'{"body": "Russia shipped shells."}', "dead", "schema.title"),
    Case("missing body", b'{"title": "Only a title"}', "dead", "schema.body"),
    Case("empty body", _article(""), "dead", "schema.body"),
    Case("whitespace body", _article(" \n\t \u200b "), "dead", "input.empty"),
    Case(
        "html without text",
        _article("<html><script>x()</script><p> </p></html>"),
        "dead",
        "input.empty",
    ),
    Case("10 MiB message", _article("word " * (2 * 1024 * 1024 + 10)), "dead", "input.too_large"),
    Case("deeply nested json", _nested(5000), "dead", "decode.json"),
    Case(
        "null bytes",
        _article("North\x00 Korea\x00 shipped shells to Russia.\x00"),
        "ok",
        check=_text_has("North Korea shipped shells to Russia."),
    ),
    Case(
        "rtl override",
        _article("\u202eaissuR\u202c and \u202dNorth Korea\u202c met."),
        "ok",
        check=lambda doc: "\u202e" not in doc["article"]["text"],
    ),
    Case(
        "zero-width evasion",
        _article("Ros\u200boboron\u200dexport sent sanc\u200btions-busting shells to Iran."),
        "ok",
        check=_has_watchlist("nf-ru-rosoboronexport"),
    ),
    Case(
        "homoglyph name",
        _article("R\u043es\u043ebor\u043enexport shipped missiles to Iran."),
        "ok",
        check=_has_watchlist("nf-ru-rosoboronexport"),
    ),
    Case(
        "homoglyph keyword",
        _article(
            "North Korea sh\u0456pped art\u0456llery shells to Russia, officials said.",
            title="Shells",
        ),
        "ok",
        check=_alerted,
    ),
    Case(
        "html with scripts",
        _article(
            "<html><head><script>alert('x')</script><style>p{}"
            "</style></head><body><p>" + SEED_LIKE + "</p></body>"
            "</html>"
        ),
        "ok",
        check=lambda doc: "alert(" not in doc["article"]["text"] and bool(doc["alerts"]),
    ),
    Case("single 1 MB token", _article("A" * 1_000_000), "dead", "input.too_long"),
    Case("single 400 kB token", _article("B" * 400_000 + " " + SEED_LIKE), "ok", check=_alerted),
    Case("emoji flood", _article("\U0001f4a5" * 50_000 + " " + SEED_LIKE), "ok", check=_alerted),
    Case(
        "far-future date",
        _article(SEED_LIKE, published_at="2999-01-01T00:00:00Z"),
        "ok",
        check=lambda doc: doc["article"]["published_at_source"] != "article",
    ),
    Case(
        "garbage date",
        _article(SEED_LIKE, published_at="yesterday-ish"),
        "ok",
        check=lambda doc: doc["article"]["published_at_source"] != "article",
    ),
    Case("duplicate id, content a", _article(SEED_LIKE, id="dup-1"), "ok", check=_alerted),
    Case(
        "duplicate id, content b",
        _article("Snow fell in Oslo.", id="dup-1"),
        "ok",
        check=lambda doc: doc["article"]["id"] == "dup-1" and not doc["alerts"],
    ),
    Case(
        "non-english",
        _article(
            "Die Regierung hat neue Sanktionen gegen Russland beschlossen "
            "und die Exporte werden gestoppt.",
            title="Sanktionen",
        ),
        "ok",
        check=lambda doc: doc["article"]["language"] == "de",
    ),
    Case(
        "pathological punctuation", _article("!?." * 20_000 + " " + SEED_LIKE), "ok", check=_alerted
    ),
    Case(
        "mojibake",
        _article("The ministry\u00e2\u0080\u0099s statement on Pyongyang."),
        "ok",
        check=_text_has("The ministry's statement"),
    ),
    Case("id too long", _article(SEED_LIKE, id="x" * 300), "dead", "schema.id"),
]
