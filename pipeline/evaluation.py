"""Measuring the stages on labelled articles (``newsflow eval FILE``).

Each line: ``id``, ``title``, ``text``, ``url``, ``published``, and the labels ``relevant``,
``event_types``, ``countries`` (acting countries, ISO alpha-2 or ``EU``) and
``key_entities`` (exact substrings). Reports flag precision/recall/F1, micro-averaged
event-type and country agreement on the true positives, and key-entity recall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline.chain import run_chain
from pipeline.errors import RejectedMessage
from pipeline.resources import build_stages
from pipeline.settings import Settings


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: set[str], gold: set[str]) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def line(self, name: str) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return (
            f"{name:14} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


@dataclass
class Report:
    flag: _Counts = field(default_factory=_Counts)
    events: _Counts = field(default_factory=_Counts)
    countries: _Counts = field(default_factory=_Counts)
    entities_found: int = 0
    entities_total: int = 0
    rejected: int = 0
    lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        recall = self.entities_found / self.entities_total if self.entities_total else 0.0
        return "\n".join(
            [
                *self.lines,
                self.flag.line("flag"),
                self.events.line("event types"),
                self.countries.line("countries"),
                f"{'key entities':14} recall {recall:.3f} "
                f"({self.entities_found}/{self.entities_total})",
                f"{'rejected':14} {self.rejected}",
            ]
        )


def _as_input(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "id": doc.get("id"),
            "title": doc.get("title") or "",
            "body": doc.get("text") or doc.get("body") or "",
            "published_at": doc.get("published") or doc.get("published_at"),
            "url": doc.get("url"),
        }
    )


def evaluate_file(path: Path, settings: Settings, *, verbose: bool = False) -> Report:
    stages = build_stages(settings)
    report = Report()
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        doc = orjson.loads(line)
        gold = bool(doc.get("relevant"))
        try:
            result = run_chain(_as_input(doc), stages, settings)
        except RejectedMessage as exc:
            report.rejected += 1
            report.lines.append(f"{doc.get('id')}: rejected {exc.reason}")
            continue
        alert = result.alert
        predicted = alert is not None
        report.flag.add({"x"} if predicted else set(), {"x"} if gold else set())
        if predicted and gold and alert is not None:
            report.events.add(set(alert.event_types), set(doc.get("event_types") or []))
            report.countries.add(set(alert.countries), set(doc.get("countries") or []))
        surfaces = [result.article.text[e.start : e.end].lower() for e in result.entities]
        for key in doc.get("key_entities") or []:
            report.entities_total += 1
            k = key.lower()
            if any(k in s or s in k for s in surfaces if len(s) >= 2):
                report.entities_found += 1
        if verbose or predicted != gold:
            mark = "ok  " if predicted == gold else ("FP  " if predicted else "FN  ")
            detail = ""
            if alert is not None:
                detail = (
                    f" score={alert.score} types={','.join(alert.event_types)} "
                    f"countries={','.join(alert.countries)}"
                )
            report.lines.append(
                f"{mark}{doc.get('id')} gold={gold} {(doc.get('title') or '')[:70]!r}{detail}"
            )
    return report
