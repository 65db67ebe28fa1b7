"""How the in-process chain's cost grows with article size: 1 / 3 / 10 / 50 KB.

    .venv/bin/python -m tests.bench.bench_sizes [--sizes 1000 3000 ...] [--json PATH]

Each size is measured by ``pipeline.benchmark.quick`` (every stage and the chain on one
core, the best of two passes) next to its own baseline (``orjson.loads`` + ``str.split``).
Cost linear in size means kilobytes per second stay flat across the sizes.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pipeline.benchmark import quick
from pipeline.settings import Settings
from tests.bench.common import OUT, write_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 3000, 10_000, 50_000])
    parser.add_argument("--json", type=Path, default=OUT / "sizes.json")
    args = parser.parse_args()
    settings = Settings()
    runs: list[dict[str, Any]] = []
    for size in args.sizes:
        # About 4.5 MB of text per size: enough passes to time, bounded in seconds.
        count = max(60, min(1500, 4_500_000 // size))
        result = quick(settings, count=count, size=size)
        chain = result["articles_per_second"]["chain"]
        kb_per_s = chain * result["mean_bytes"] / 1000
        runs.append({"size": size, "kb_per_second": round(kb_per_s, 1), **result})
        print(
            f"{size / 1000:>5.0f} KB articles ({count:>4}): chain {chain:>8.1f} articles/s "
            f"= {kb_per_s:>7.0f} KB/s; stages "
            + ", ".join(f"{k} {v:.0f}" for k, v in result["articles_per_second"].items() if v)
            + f"; baseline {result['baseline_articles_per_second']:.0f}/s",
            flush=True,
        )
    flat = [r["kb_per_second"] for r in runs]
    summary = {
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "kb_per_second_max_over_min": round(max(flat) / min(flat), 3),
    }
    print(f"KB/s largest over smallest across sizes: {summary['kb_per_second_max_over_min']}")
    write_json(args.json, summary)


if __name__ == "__main__":
    main()
