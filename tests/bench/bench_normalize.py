"""Normalize benchmark: in-process throughput on ~3 KB articles, one core, next to a
baseline measured in the same run (plain ``orjson.loads`` + ``str.split``).

    .venv/bin/python -m tests.bench.bench_normalize [--articles N] [--json PATH]

Also prints the MinHash signature that the normalize step adds for near-duplicate
detection, and the rate on HTML bodies and on non-ASCII (repaired) text.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from pipeline.benchmark import rate
from pipeline.corpus import articles
from pipeline.settings import Settings
from pipeline.stages.dedupe import signature
from tests.bench.common import write_json
from tests.single import normalize_one


def _rate(fn: Callable[[bytes], object], raws: list[bytes]) -> float:
    return rate(fn, raws, repeat=3)


def _html(raw: bytes) -> bytes:
    doc = orjson.loads(raw)
    paragraphs = "".join(f"<p>{p}</p>" for p in doc["body"].split("\n\n"))
    doc["body"] = f"<html><script>var a=1;</script><nav>Menu</nav>{paragraphs}</html>"
    return orjson.dumps(doc)


def _accented(raw: bytes) -> bytes:
    doc = orjson.loads(raw)
    doc["body"] = doc["body"].replace("e", "\u00e9").replace("'", "\u2019")
    return orjson.dumps(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings()
    raws = articles(args.articles)
    size = sum(len(r) for r in raws) / len(raws)

    def baseline(raw: bytes) -> object:
        doc = orjson.loads(raw)
        return doc["body"].split()

    def norm(raw: bytes) -> object:
        return normalize_one(raw, settings, 1_700_000_000_000)

    def norm_sig(raw: bytes) -> object:
        return signature(normalize_one(raw, settings, 1_700_000_000_000).body)

    results: dict[str, Any] = {
        "articles": len(raws),
        "mean_bytes": round(size),
        "baseline_articles_per_second": round(_rate(baseline, raws)),
        "normalize_articles_per_second": round(_rate(norm, raws)),
        "normalize_with_signature_articles_per_second": round(_rate(norm_sig, raws)),
        "normalize_html_articles_per_second": round(_rate(norm, [_html(r) for r in raws])),
        "normalize_non_ascii_articles_per_second": round(
            _rate(norm, [_accented(r) for r in raws[:500]])
        ),
    }
    results["ratio_to_baseline"] = round(
        results["normalize_articles_per_second"] / results["baseline_articles_per_second"], 4
    )
    for k, v in results.items():
        print(f"{k:48} {v}")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
