"""Draw the benchmark figures into one PNG from the JSON the benchmarks wrote.

    .venv/bin/python -m tests.bench.plot [--out tests/bench/out/bench.png]

Panels: end-to-end throughput (raw aiokafka, faust no-op, the pipeline in both stage
layouts, two workers); publish -> alert latency against offered load; tagging throughput
and start-up against watchlist size; chain throughput and KB/s against article size.
A panel whose JSON is missing says so instead of being drawn.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen before pyplot loads
import orjson

from tests.bench.common import OUT


def _load(source: Path, name: str) -> Any:
    path = source / name
    return orjson.loads(path.read_bytes()) if path.exists() else None


def _missing(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _throughput(ax: Any, e2e: Any) -> None:
    if not e2e:
        return _missing(ax, "e2e.json")
    bars = {
        "raw aiokafka": e2e["raw_aiokafka"],
        "faust no-op": e2e["faust_passthrough"],
        **(
            {"faust no-op\n4 hops": e2e["faust_chain_passthrough"]}
            if "faust_chain_passthrough" in e2e
            else {}
        ),
        **{f"pipeline\n{k}": v["articles_per_second"] for k, v in e2e["pipeline_layouts"].items()},
        "pipeline\n2 workers": e2e["two_workers"]["articles_per_second"],
    }
    ax.bar(list(bars), list(bars.values()), color="#4878a8")
    ax.set_yscale("log")
    ax.set_ylabel("articles/s (log)")
    ax.set_title(f"Through the local broker ({e2e['cores']} cores)")
    for i, v in enumerate(bars.values()):
        ax.text(i, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    return None


def _latency(ax: Any, e2e: Any) -> None:
    if not e2e or not e2e.get("latency"):
        return _missing(ax, "latency figures")
    rows = sorted(e2e["latency"].values(), key=lambda r: r["offered_per_second"])
    load = [r["offered_per_second"] for r in rows]
    for q in ("p50_ms", "p95_ms", "p99_ms"):
        ax.plot(load, [r.get(q, float("nan")) for r in rows], marker="o", label=q[:3])
    ax.axhline(250, color="grey", linestyle="--", linewidth=0.8, label="goal p99 at 50%")
    ax.set_xlabel("offered load, articles/s")
    ax.set_ylabel("publish -> alert, ms")
    ax.set_title("Latency at 25 / 50 / 75 % of the maximum")
    ax.legend(fontsize=8)
    return None


def _watchlist(ax: Any, tagging: Any) -> None:
    if not tagging:
        return _missing(ax, "tagging.json")
    runs = sorted(tagging["runs"], key=lambda r: r["automaton_names"])
    names = [r["automaton_names"] for r in runs]
    rates = [r["articles_per_second"] for r in runs]
    ax.plot(names, rates, marker="o", label="articles/s")
    ax.set_ylim(0, max(rates) * 1.25)  # from zero: a flat line must look flat
    ax.set_xscale("log")
    ax.set_xlabel("watchlist names in the automaton")
    ax.set_ylabel("tagging articles/s")
    other = ax.twinx()
    other.plot(names, [r["startup_seconds"] for r in runs], marker="s", color="#c44e52")
    other.set_ylabel("start-up s", color="#c44e52")
    ax.set_title("Tagging against watchlist size")
    return None


def _sizes(ax: Any, sizes: Any) -> None:
    if not sizes:
        return _missing(ax, "sizes.json")
    runs = sizes["runs"]
    kb = [r["size"] / 1000 for r in runs]
    ax.plot(kb, [r["articles_per_second"]["chain"] for r in runs], marker="o")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("article size, KB")
    ax.set_ylabel("chain articles/s (one core)")
    other = ax.twinx()
    other.plot(kb, [r["kb_per_second"] for r in runs], marker="s", color="#55a868")
    other.set_ylim(0, max(r["kb_per_second"] for r in runs) * 1.3)
    other.set_ylabel("KB/s (flat = linear cost)", color="#55a868")
    ax.set_title("Chain against article size")
    return None


def draw(source: Path, out: Path) -> None:
    """Read the benchmarks' JSON in ``source``; write the four panels to ``out``."""
    e2e, tagging = _load(source, "e2e.json"), _load(source, "tagging.json")
    sizes = _load(source, "sizes.json")
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    _throughput(axes[0][0], e2e)
    _latency(axes[0][1], e2e)
    _watchlist(axes[1][0], tagging)
    _sizes(axes[1][1], sizes)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=OUT, help="where the JSON files are")
    parser.add_argument("--out", type=Path, default=OUT / "bench.png")
    args = parser.parse_args()
    draw(args.source, args.out)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
