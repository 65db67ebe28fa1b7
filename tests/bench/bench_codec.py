"""Codec benchmark: msgspec structs against the path they replaced, in one run, one core.

    .venv/bin/python -m tests.bench.bench_codec [--articles N] [--json PATH]

The baseline is the old codec, rebuilt here only: ``orjson.loads``, the input fast check
(the schema was consulted only when it failed, never for these valid records), frozen
slotted dataclasses built by ``from_dict`` and ``orjson.dumps``. The records are the seed
article and synthetic articles (``pipeline/corpus.py``) run through the stages: input
articles, normalized and tagged articles, alerts. Both ways must give the same bytes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pipeline.benchmark import rate
from pipeline.codec import (
    decode_alert,
    decode_input,
    decode_normalized,
    decode_tagged,
    dumps,
    parse_seed_text,
)
from pipeline.corpus import articles
from pipeline.errors import RejectedMessage
from pipeline.resources import build_stages
from pipeline.settings import PROJECT_ROOT, Settings
from tests.bench.common import write_json
from tests.single import run_one

MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class OldInput:
    title: str
    body: str
    id: str | None = None
    published_at: str | None = None
    source: str | None = None
    url: str | None = None
    language: str | None = None


_INPUT_RULES = (
    ("title", True, False, 0, 2000),
    ("body", True, False, 1, None),
    ("id", False, False, 1, 256),
    ("published_at", False, True, 0, 100),
    ("source", False, True, 0, 500),
    ("url", False, True, 0, 4000),
    ("language", False, True, 0, 35),
)


def _input_fast_ok(doc: Mapping[str, Any]) -> bool:
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


def old_decode_input(raw: bytes) -> OldInput:
    if len(raw) > MAX_BYTES or not raw.strip():
        raise ValueError("not measured")
    text = raw.decode("utf-8")
    doc = orjson.loads(text.lstrip("\ufeff \t\r\n"))
    if not isinstance(doc, dict) or not _input_fast_ok(doc):
        raise ValueError("the baseline measures valid records only")
    return OldInput(
        title=doc["title"],
        body=doc["body"],
        id=doc.get("id"),
        published_at=doc.get("published_at"),
        source=doc.get("source"),
        url=doc.get("url"),
        language=doc.get("language"),
    )


@dataclass(frozen=True, slots=True)
class OldNormalized:
    id: str
    title: str
    body: str
    text: str
    body_start: int
    sentences: tuple[tuple[int, int], ...]
    published_at: str | None
    published_at_source: str
    source: str | None
    url: str | None
    language: str | None
    fingerprint: str
    duplicate_of: str | None = None
    similarity: float | None = None
    language_confidence: float | None = None
    language_source: str = "none"
    title_source: str = "none"
    author: str | None = None
    site_name: str | None = None
    site_name_source: str = "none"
    canonical_url: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OldNormalized:
        return cls(
            id=str(d["id"]),
            title=str(d["title"]),
            body=str(d["body"]),
            text=str(d["text"]),
            body_start=int(d["body_start"]),
            sentences=tuple((int(s), int(e)) for s, e in d["sentences"]),
            published_at=d.get("published_at"),
            published_at_source=str(d["published_at_source"]),
            source=d.get("source"),
            url=d.get("url"),
            language=d.get("language"),
            fingerprint=str(d["fingerprint"]),
            duplicate_of=d.get("duplicate_of"),
            similarity=None if d.get("similarity") is None else float(d["similarity"]),
            language_confidence=(
                None if d.get("language_confidence") is None else float(d["language_confidence"])
            ),
            language_source=str(d.get("language_source", "none")),
            title_source=str(d.get("title_source", "none")),
            author=d.get("author"),
            site_name=d.get("site_name"),
            site_name_source=str(d.get("site_name_source", "none")),
            canonical_url=d.get("canonical_url"),
        )


@dataclass(frozen=True, slots=True)
class OldEntity:
    label: str
    id: str
    text: str
    start: int
    end: int
    sentence: int
    name: str | None = None
    country: str | None = None
    dataset: str | None = None
    score: float | None = None
    match: str | None = None
    features: tuple[dict[str, Any], ...] | None = None
    source: str = "gazetteer"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OldEntity:
        score = d.get("score")
        return cls(
            label=str(d["label"]),
            id=str(d["id"]),
            text=str(d["text"]),
            start=int(d["start"]),
            end=int(d["end"]),
            sentence=int(d["sentence"]),
            name=d.get("name"),
            country=d.get("country"),
            dataset=d.get("dataset"),
            score=None if score is None else float(score),
            match=d.get("match"),
            features=None if d.get("features") is None else tuple(d["features"]),
            source=str(d.get("source", "gazetteer")),
        )


@dataclass(frozen=True, slots=True)
class OldTagged:
    article: OldNormalized
    entities: tuple[OldEntity, ...]
    summary: dict[str, Any] | None = None
    candidates: tuple[OldEntity, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OldTagged:
        return cls(
            article=OldNormalized.from_dict(d["article"]),
            entities=tuple(OldEntity.from_dict(e) for e in d["entities"]),
            summary=d.get("summary"),
            candidates=tuple(OldEntity.from_dict(e) for e in d.get("candidates", ())),
        )


@dataclass(frozen=True, slots=True)
class OldEvidence:
    event_type: str
    rule: str
    text: str
    start: int
    end: int
    sentence: int
    trigger: str


@dataclass(frozen=True, slots=True)
class OldWatchlistHit:
    id: str
    name: str
    dataset: str
    matched: str
    score: float
    features: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class OldSource:
    article_id: str
    title: str
    url: str | None
    published_at: str | None
    score: float
    revision: int = 1
    position: int = 1
    language: str | None = None


@dataclass(frozen=True, slots=True)
class OldFlow:
    supplier: str
    recipient: str
    sentence: int


@dataclass(frozen=True, slots=True)
class OldAlert:
    alert_id: str
    article_id: str
    title: str
    url: str | None
    published_at: str | None
    event_types: tuple[str, ...]
    countries: tuple[str, ...]
    watchlist: tuple[OldWatchlistHit, ...]
    score: float
    severity: str
    evidence: tuple[OldEvidence, ...]
    flows: tuple[OldFlow, ...]
    quantities: tuple[str, ...]
    rule_version: str
    status: str = "new"
    revision: int = 1
    sources: tuple[OldSource, ...] = ()
    source_count: int = 1
    first_seen_at: str | None = None
    updated_at: str | None = None
    duplicate_of: str | None = None
    changed: tuple[str, ...] = ()
    language: str | None = None
    country_roles: tuple[dict[str, Any], ...] = ()
    parties: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OldAlert:
        return cls(
            alert_id=str(d["alert_id"]),
            article_id=str(d["article_id"]),
            title=str(d["title"]),
            url=d.get("url"),
            published_at=d.get("published_at"),
            event_types=tuple(str(t) for t in d["event_types"]),
            countries=tuple(str(c) for c in d["countries"]),
            watchlist=tuple(
                OldWatchlistHit(**{**w, "features": tuple(w.get("features", ()))})
                for w in d["watchlist"]
            ),
            score=float(d["score"]),
            severity=str(d["severity"]),
            evidence=tuple(OldEvidence(**e) for e in d["evidence"]),
            flows=tuple(OldFlow(**f) for f in d["flows"]),
            quantities=tuple(str(q) for q in d["quantities"]),
            rule_version=str(d["rule_version"]),
            status=str(d.get("status", "new")),
            revision=int(d.get("revision", 1)),
            sources=tuple(OldSource(**x) for x in d.get("sources", ())),
            source_count=int(d.get("source_count", 1)),
            first_seen_at=d.get("first_seen_at"),
            updated_at=d.get("updated_at"),
            duplicate_of=d.get("duplicate_of"),
            changed=tuple(str(c) for c in d.get("changed", ())),
            language=d.get("language"),
            country_roles=tuple(d.get("country_roles", ())),
            parties=tuple(d.get("parties", ())),
        )


def _loads(cls: Any) -> Callable[[bytes], Any]:
    return lambda raw: cls.from_dict(orjson.loads(raw))


def records(count: int) -> dict[str, list[bytes]]:
    """The encoded records of each kind, from the seed and ``count`` synthetic articles."""
    settings = Settings()
    stages = build_stages(settings)
    seed = (PROJECT_ROOT / "seeds" / "articles" / "000_dcfa103b67325e41.txt").read_bytes()
    out: dict[str, list[bytes]] = {"input": [], "normalized": [], "tagged": [], "alert": []}
    for raw in [seed, *articles(count, relevant_share=0.6, seed=5)]:
        try:
            result = run_one(raw, stages, settings, timestamp_ms=1_700_000_000_000)
        except RejectedMessage:
            continue
        # as publishers send it (a decoded article would re-encode an absent id as null)
        seed_doc = None if raw.startswith(b"{") else parse_seed_text(raw.decode())
        out["input"].append(raw if seed_doc is None else orjson.dumps(seed_doc))
        out["normalized"].append(dumps(result.article))
        out["tagged"].append(dumps(result.tagged))
        if result.alert is not None:
            out["alert"].append(dumps(result.alert))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    data = records(args.articles)
    ways: dict[str, tuple[Callable[[bytes], Any], Callable[[bytes], Any]]] = {
        "input": (old_decode_input, lambda r: decode_input(r, max_bytes=MAX_BYTES)[0]),
        "normalized": (_loads(OldNormalized), decode_normalized),
        "tagged": (_loads(OldTagged), decode_tagged),
        "alert": (_loads(OldAlert), decode_alert),
    }
    results: dict[str, Any] = {}
    print(f"{'records':12} {'n':>6} {'KB':>6}  {'orjson+checks/s':>16} {'msgspec/s':>10} {'x':>6}")
    for kind, raws in data.items():
        old_decode, new_decode = ways[kind]
        mismatched = sum(orjson.dumps(old_decode(r)) != dumps(new_decode(r)) for r in raws)
        if mismatched:
            raise SystemExit(f"{kind}: {mismatched} records encode differently")
        old = rate(lambda r, f=old_decode: orjson.dumps(f(r)), raws, args.repeat)
        new = rate(lambda r, f=new_decode: dumps(f(r)), raws, args.repeat)
        kb = sum(len(r) for r in raws) / len(raws) / 1024
        results[kind] = {
            "records": len(raws),
            "mean_kb": round(kb, 1),
            "baseline_records_per_second": round(old),
            "msgspec_records_per_second": round(new),
            "speedup": round(new / old, 2),
        }
        print(f"{kind:12} {len(raws):6} {kb:6.1f}  {old:16,.0f} {new:10,.0f} {new / old:6.2f}")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
