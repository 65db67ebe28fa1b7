"""Main-content extraction on real web pages from public benchmarks (kept outside the
repository): quality and ms/page of each extractor, side by side, in one run.

    .venv/bin/python -m tests.bench.bench_real_pages \\
        [--scrapinghub DIR] [--segments DIR] [--only NAME,...] [--repeat N] [--json PATH]

Benchmarks read (give either or both):

- ``--scrapinghub DIR``: ScrapingHub's article-extraction-benchmark (181 English news
  pages): ``DIR/html/*.html.gz`` and ``DIR/ground-truth.json`` (``articleBody`` each).
  Scored as its ``evaluate.py`` does: per page, true/false positives and false negatives
  of the extracted against the labelled text, normalised by their sum so that a long page
  weighs no more than a short one; precision and recall are the means over pages, F1 is
  their harmonic mean. Two units: 4-word shingles (``sh4``, the benchmark's published
  figures) and single words (``tok``, a bag of tokens).
- ``--segments DIR``: trafilatura's own evaluation set (about 1,000 pages in many
  languages): ``DIR/evaldata.json`` and the pages under ``DIR/eval`` and ``DIR/cache``;
  each page names a few text segments that must be in the article (``with``) and a few
  of furniture that must not (``without``). Scored as its ``evaluate.py`` does: a ``with``
  segment found is a true positive, a ``without`` one found a false positive, summed over
  all pages. Both sides are folded the way the normalize stage folds text (NFKC, plain
  quotes and dashes, one space) first, so that the stage is not charged for its folding.

Each page is decoded once (trafilatura's ``decode_file``: declared or detected charset),
outside the timing; every extractor gets the same ``str``, as the pipeline's records do.
Time is per page, the extractors interleaved page by page so that load from other
processes falls on all alike; with ``--repeat N`` each page's time is its median over N
passes. ``cleaner`` (today's plain HTML-to-text) is the baseline of the same run: the
ratio column is an extractor's median over the cleaner's. resiliparse and readability-lxml
are no dependencies of the project: their rows appear when they are installed in the
environment (``.venv/bin/pip install resiliparse readability-lxml``).
"""

from __future__ import annotations

import argparse
import gzip
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median
from typing import Any

import orjson

from pipeline.errors import StageRejected
from pipeline.models import InputArticle
from pipeline.stages.normalize import normalize
from pipeline.stages.text import clean_inline, html_to_text
from pipeline.stages.webpage import read_page
from tests.bench.common import write_json

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Case:
    name: str
    html: str
    truth: str | None = None  # the labelled article text (scrapinghub)
    with_: tuple[str, ...] = ()  # segments of the article (segments)
    without: tuple[str, ...] = ()  # segments of furniture


def _decode(raw: bytes) -> str:
    from trafilatura.utils import decode_file

    text = decode_file(raw)
    return text if isinstance(text, str) else raw.decode("utf-8", "replace")


def scrapinghub(root: Path) -> list[Case]:
    truth = orjson.loads((root / "ground-truth.json").read_bytes())
    cases = []
    for key in sorted(truth):
        raw = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        cases.append(Case(key[:12], _decode(raw), truth=truth[key].get("articleBody") or ""))
    return cases


def segments(root: Path) -> list[Case]:
    data = orjson.loads((root / "evaldata.json").read_bytes())
    cases = []
    for url in sorted(data):
        item = data[url]
        path = next(
            (p for d in ("cache", "eval") if (p := root / d / item["file"]).is_file()), None
        )
        if path is None:
            continue
        cases.append(
            Case(item["file"], _decode(path.read_bytes()), None, item["with"], item["without"])
        )
    return cases


# --- scoring ----------------------------------------------------------------------------


def _grams(text: str, n: int) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def tp_fp_fn(pred: str, true: str, n: int) -> tuple[float, float, float]:
    """scrapinghub's per-page counts over ``n``-grams of words, normalised by their sum."""
    got, want = _grams(pred, n), _grams(true, n)
    got.pop((), None)
    want.pop((), None)
    tp = sum((got & want).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def macro(counts: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision, recall (means over pages) and their F1, as scrapinghub's evaluate.py."""
    p = mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    r = mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fold(text: str) -> str:
    """What the normalize stage's folding leaves of ``text``, on one line."""
    return clean_inline(unicodedata.normalize("NFKC", text))


def segment_counts(pred: str, case: Case) -> tuple[int, int, int, int]:
    got = fold(pred)
    tp = sum(1 for s in case.with_ if fold(s) in got)
    fp = sum(1 for s in case.without if fold(s) in got)
    return tp, fp, len(case.with_) - tp, len(case.without) - fp


def micro(counts: list[tuple[int, int, int, int]]) -> tuple[float, float, float]:
    tp, fp, fn, _ = (sum(c[i] for c in counts) for i in range(4))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- extractors --------------------------------------------------------------------------


def _normalized(html: str) -> tuple[str, str]:
    try:
        a = normalize(InputArticle(title="", body=html))
    except StageRejected:
        return "", ""
    return a.text, a.body


def _trafilatura(**options: Any) -> Callable[[str], str]:
    import trafilatura

    def run(html: str) -> str:
        return trafilatura.extract(html, include_comments=False, deduplicate=False, **options) or ""

    return run


def extractors() -> dict[str, Callable[[str], str]]:
    """Each extractor by name: ``html -> text``."""
    found: dict[str, Callable[[str], str]] = {
        "cleaner": html_to_text,
        "normalize.text": lambda h: _normalized(h)[0],
        "normalize.body": lambda h: _normalized(h)[1],
        "read_page": lambda h: read_page(h).text or "",
        "traf fast": _trafilatura(fast=True, include_tables=True),
        "traf fast notables": _trafilatura(fast=True, include_tables=False),
        "traf fast precision": _trafilatura(fast=True, include_tables=True, favor_precision=True),
        "traf fast recall": _trafilatura(fast=True, include_tables=True, favor_recall=True),
        "traf standard": _trafilatura(fast=False, include_tables=True),
        "traf standard precision": _trafilatura(
            fast=False, include_tables=True, favor_precision=True
        ),
    }
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree
    except ImportError:
        pass
    else:

        def resiliparse(html: str) -> str:
            return str(extract_plain_text(HTMLTree.parse(html), main_content=True))

        found["resiliparse"] = resiliparse
    try:
        from readability import Document  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:

        def readability(html: str) -> str:
            return html_to_text(Document(html).summary(html_partial=True))

        found["readability-lxml"] = readability
    return found


# --- the run -----------------------------------------------------------------------------


@dataclass
class Row:
    outputs: list[str] = field(default_factory=list)
    times: list[list[float]] = field(default_factory=list)  # per page, per pass (ms)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(cases: list[Case], chosen: dict[str, Callable[[str], str]], repeat: int) -> dict[str, Row]:
    rows = {name: Row() for name in chosen}
    for case in cases:
        for name, extract in chosen.items():
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                try:
                    out = extract(case.html)
                except Exception:
                    out = ""
                times.append((time.perf_counter() - start) * 1000)
            rows[name].outputs.append(out)
            rows[name].times.append(times)
    return rows


def _table(
    title: str, cases: list[Case], rows: dict[str, Row], scrapinghub_style: bool
) -> Iterator[tuple[str, dict[str, float]]]:
    print(f"\n{title}: {len(cases)} pages")
    if scrapinghub_style:
        print(
            f"{'':24} {'F1 sh4':>7} {'P sh4':>6} {'R sh4':>6}   {'F1 tok':>6} {'P tok':>6}"
            f" {'R tok':>6}   {'ms med':>7} {'ms p95':>7} {'x base':>6}"
        )
    else:
        print(f"{'':24} {'F1':>7} {'P':>6} {'R':>6}   {'ms med':>7} {'ms p95':>7} {'x base':>6}")
    base = median(median(t) for t in rows["cleaner"].times) if "cleaner" in rows else None
    for name, row in rows.items():
        per_page = [median(t) for t in row.times]
        med, p95 = median(per_page), _p95(per_page)
        ratio = med / base if base else float("nan")
        fig: dict[str, float] = {"ms_median": med, "ms_p95": p95, "x_baseline": ratio}
        if scrapinghub_style:
            truths = [c.truth or "" for c in cases]
            sh = macro([tp_fp_fn(o, t, 4) for o, t in zip(row.outputs, truths, strict=True)])
            tok = macro([tp_fp_fn(o, t, 1) for o, t in zip(row.outputs, truths, strict=True)])
            fig |= {"f1": sh[2], "precision": sh[0], "recall": sh[1]}
            fig |= {"f1_tok": tok[2], "precision_tok": tok[0], "recall_tok": tok[1]}
            print(
                f"{name:24} {sh[2]:7.3f} {sh[0]:6.3f} {sh[1]:6.3f}   {tok[2]:6.3f} {tok[0]:6.3f}"
                f" {tok[1]:6.3f}   {med:7.2f} {p95:7.2f} {ratio:6.2f}"
            )
        else:
            seg = micro([segment_counts(o, c) for o, c in zip(row.outputs, cases, strict=True)])
            fig |= {"f1": seg[2], "precision": seg[0], "recall": seg[1]}
            print(
                f"{name:24} {seg[2]:7.3f} {seg[0]:6.3f} {seg[1]:6.3f}   {med:7.2f} {p95:7.2f}"
                f" {ratio:6.2f}"
            )
        yield name, fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapinghub", type=Path, help="article-extraction-benchmark checkout")
    parser.add_argument("--segments", type=Path, help="dir with evaldata.json, eval/, cache/")
    parser.add_argument("--only", help="comma-separated extractor names (cleaner is kept)")
    parser.add_argument("--limit", type=int, help="first N pages of each benchmark")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    chosen = extractors()
    if args.only:
        wanted = {"cleaner", *args.only.split(",")}
        chosen = {k: v for k, v in chosen.items() if k in wanted}
    for fn in chosen.values():
        fn("<html><body><article><p>Warm-up text of a page.</p></article></body></html>")
    figures: dict[str, Any] = {}
    benchmarks = [
        ("scrapinghub", args.scrapinghub, scrapinghub, True),
        ("segments", args.segments, segments, False),
    ]
    for label, root, reader, style in benchmarks:
        if root is None:
            continue
        cases = reader(root)[: args.limit]
        rows = run(cases, chosen, args.repeat)
        figures[label] = dict(_table(label, cases, rows, style))
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
