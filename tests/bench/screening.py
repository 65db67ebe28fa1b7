"""Watchlist screening on labelled articles: every WATCHLIST mention, in context, and the
judgements kept for them (issue 14).

    python -m tests.bench.screening FILE... [--watchlist PATH]... [--mentions OUT.jsonl]

The whole pipeline runs on each file (as ``newsflow eval`` does) with the sample list and
any ``--watchlist`` added. For every WATCHLIST entity in a tagged article it writes one
line: article id, relevance label, the matched text, the listed name and id, the score,
how it matched, and the sentence it is in. ``screening-judgements.jsonl`` (next to this
file) holds a verdict per (article id, listed id, matched text): ``true`` when the text
names that listed party, ``false`` when it does not. The summary counts mentions per
article, the false share among judged mentions, unjudged mentions, articles that are not
about sanctions yet get a listed party they do not name, and relevance P/R.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from pipeline.evaluation import as_input
from pipeline.models import Alert, TaggedArticle
from pipeline.resources import build_stages
from pipeline.runner import MemoryRunner
from pipeline.settings import Settings

JUDGEMENTS = Path(__file__).resolve().parent / "screening-judgements.jsonl"


def judgements(path: Path = JUDGEMENTS) -> dict[tuple[str, str, str], bool]:
    if not path.exists():
        return {}
    out: dict[tuple[str, str, str], bool] = {}
    for line in path.read_bytes().splitlines():
        if line.strip():
            j = orjson.loads(line)
            out[(j["article"], j["listed_id"], j["text"].casefold())] = bool(j["names_party"])
    return out


def mentions(files: list[Path], settings: Settings) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    runner = MemoryRunner(settings, build_stages(settings), count_metrics=False)
    rows: list[dict[str, Any]] = []
    relevance = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    articles = 0
    ids: list[str] = []
    for path in files:
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            doc = orjson.loads(line)
            articles += 1
            ids.append(str(doc.get("id")))
            trace = runner.feed(as_input(doc))
            tagged = next((v for v in trace.values("tag") if isinstance(v, TaggedArticle)), None)
            alert = next((v for v in trace.values("flag") if isinstance(v, Alert)), None)
            gold, predicted = bool(doc.get("relevant")), alert is not None
            relevance[("t" if gold == predicted else "f") + ("p" if predicted else "n")] += 1
            if tagged is None:
                continue
            text, sentences = tagged.article.text, tagged.article.sentences
            for e in tagged.entities:
                if e.label != "WATCHLIST":
                    continue
                s, t = sentences[e.sentence] if e.sentence < len(sentences) else (0, len(text))
                rows.append(
                    {
                        "article": str(doc.get("id")),
                        "relevant": gold,
                        "flagged": predicted,
                        "text": e.text,
                        "listed_id": e.id,
                        "listed_name": e.name,
                        "score": e.score,
                        "match": e.match,
                        "in_alert": bool(alert and e.id in {h.id for h in alert.watchlist}),
                        "sentence": text[s:t][:400],
                    }
                )
    tp, fp, fn = relevance["tp"], relevance["fp"], relevance["fn"]
    summary = {
        "articles": articles,
        "ids": ids,
        "relevance": relevance,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
    }
    return rows, summary


def score(
    rows: list[dict[str, Any]],
    judged: dict[tuple[str, str, str], bool],
    articles: set[str] | None = None,
) -> dict[str, Any]:
    verdicts = [judged.get((r["article"], r["listed_id"], r["text"].casefold())) for r in rows]
    false_in_negatives = {
        r["article"]
        for r, v in zip(rows, verdicts, strict=True)
        if v is False and not r["relevant"]
    }
    # The listed parties the articles name: every (article, party) judged true in any run
    # (a lower bound: a party no version ever matched is not counted).
    named = {(a, i) for (a, i, _), v in judged.items() if v and (articles is None or a in articles)}
    found = {(r["article"], r["listed_id"]) for r in rows} & named
    unjudged = sorted(
        {
            (r["article"], r["listed_id"], r["text"])
            for r, v in zip(rows, verdicts, strict=True)
            if v is None
        }
    )
    return {
        "parties_named": len(named),
        "parties_found": len(found),
        "party_recall": round(len(found) / max(1, len(named)), 3),
        "unjudged": [list(u) for u in unjudged],
        "mentions": len(rows),
        "judged": sum(v is not None for v in verdicts),
        "false": sum(v is False for v in verdicts),
        "false_share": round(
            sum(v is False for v in verdicts) / max(1, sum(v is not None for v in verdicts)), 3
        ),
        "negatives_with_a_false_party": len(false_in_negatives),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--watchlist", action="append", type=Path, default=[])
    parser.add_argument("--mentions", type=Path, help="write every mention here (JSON lines)")
    args = parser.parse_args(argv)
    base = Settings.from_env()
    settings = replace(base, watchlists=base.watchlists + tuple(args.watchlist))
    rows, summary = mentions(args.files, settings)
    summary |= score(rows, judgements(), set(summary.pop("ids")))
    summary["mentions_per_article"] = round(len(rows) / max(1, summary["articles"]), 2)
    if args.mentions:
        args.mentions.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
