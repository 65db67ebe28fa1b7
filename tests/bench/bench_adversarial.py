"""Adversarial inputs cost at most a small multiple of a normal article.

    .venv/bin/python -m tests.bench.bench_adversarial [--json PATH]

Each adversarial article has the size of a normal one (~3.3 KB) and is built to stress
one part of the chain: candidate names for the automaton, capitalised runs for the cue
scanner, sentence boundaries, abbreviations, punctuation, HTML nesting, look-alike
letters. The chain (decode, normalize, tag, flag) runs on each; the figure is the mean
time per article and its ratio to normal articles measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import orjson

from pipeline.corpus import articles
from pipeline.errors import RejectedMessage
from pipeline.resources import build_stages
from pipeline.settings import Settings
from tests.bench.common import write_json
from tests.single import run_one

SIZE = 3300


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


ADVERSARIAL = {
    "country and watchlist names": _fill("North Korea Russia Rosoboronexport Kim Jong Un Iran "),
    "one name over and over": _fill("Russia "),
    "capitalised runs": _fill("Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India "),
    "titles and names": _fill("President Minister General Secretary Ambassador Lee Kim "),
    "sentence ends": _fill("A. B. C. D. "),
    "abbreviations": _fill("U.S. Gen. Mr. No. 2 "),
    "punctuation": _fill("!?.,;:-\"'()[] "),
    "no spaces": _fill("x"),
    "html nesting": "<div>" * 300 + "North Korea shipped shells to Russia." + "</div>" * 300,
    "look-alike letters": _fill("R\u043es\u043ebor\u043enexport \u0455hells "),
    "trigger words": _fill("sanctions embargo shipped missiles troops deployed veto "),
}


def _time(stages: object, settings: Settings, raws: list[bytes], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for raw in raws:
            with contextlib.suppress(RejectedMessage):
                run_one(raw, stages, settings)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - started)
    return best / len(raws)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings()
    stages = build_stages(settings)
    normal = _time(stages, settings, articles(300))
    print(f"{'normal article':32} {normal * 1e6:9.0f} us   1.0x")
    results = {"normal_us": round(normal * 1e6, 1), "cases": {}}
    for name, body in ADVERSARIAL.items():
        raw = orjson.dumps({"title": "Adversarial", "body": body})
        per = _time(stages, settings, [raw] * 30)
        ratio = per / normal
        results["cases"][name] = {"us": round(per * 1e6, 1), "ratio": round(ratio, 2)}
        print(f"{name:32} {per * 1e6:9.0f} us {ratio:5.1f}x")
    worst = max(c["ratio"] for c in results["cases"].values())
    results["worst_ratio"] = worst
    print(f"worst ratio {worst:.1f}x")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
