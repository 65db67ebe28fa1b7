"""Measuring the stages on labelled articles (``newsflow eval FILE``).

Each line: ``title``, ``text`` (or ``body``), ``relevant`` and optionally ``event_types``,
``countries`` (acting countries, ISO alpha-2 or ``EU``), ``mentioned_countries`` (every
country referred to: the tagging target) and ``key_entities`` (exact substrings); other
keys are ignored. The whole pipeline runs on the articles in file order, in memory
(``pipeline/runner.py``: normalize, dedupe, tag, flag, route, as the stream runs them)
and the report gives:

- relevance: precision, recall, F1 of the alert/no-alert verdict (with tp, fp, fn, tn);
- event types and countries: micro-averaged over all articles (an article without an
  alert predicts nothing), so misses and false alarms count too;
- tagged countries (when labelled): the article summary's countries against
  ``mentioned_countries``;
- key-entity recall: a key entity counts as found when a tagged span, or a party of the
  article's alert, overlaps it;
- what routing made of them: alerts published as new or as updates, and near-duplicates;
- per language (the normalize stage's), when the file has more than one: relevance and
  event types of that language's articles.

An article counts as flagged when it produced an alert; its event types and countries are
those of its own evidence (the flag step's alert), not of the alert it may update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pipeline.models import Alert, TaggedArticle
from pipeline.resources import build_stages
from pipeline.runner import MemoryRunner, Trace
from pipeline.settings import Settings


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: set[str], gold: set[str]) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def include(self, other: Counts) -> None:
        """Add ``other``'s counts to these."""
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self, *, with_counts: bool = False) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }
        if with_counts:
            out.update(tp=self.tp, fp=self.fp, fn=self.fn, tn=self.tn)
        return out

    def line(self, name: str) -> str:
        return (
            f"{name:16} precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"F1 {self.f1:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"
        )


@dataclass
class LanguageCounts:
    """One language's share of a report."""

    articles: int = 0
    relevance: Counts = field(default_factory=Counts)
    event_types: Counts = field(default_factory=Counts)
    entities_found: int = 0
    entities_total: int = 0

    @property
    def entity_recall(self) -> float:
        return self.entities_found / self.entities_total if self.entities_total else 0.0


@dataclass
class Report:
    articles: int = 0
    relevance: Counts = field(default_factory=Counts)
    event_types: Counts = field(default_factory=Counts)
    countries: Counts = field(default_factory=Counts)
    tagged_countries: Counts = field(default_factory=Counts)
    entities_found: int = 0
    entities_total: int = 0
    routed: dict[str, int] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    verbose_lines: list[str] = field(default_factory=list)
    languages: dict[str, LanguageCounts] = field(default_factory=dict)

    def add_language(
        self, language: str, relevance: Counts, event_types: Counts, entities: tuple[int, int]
    ) -> None:
        """Count one article's outcome (its own ``relevance`` and ``event_types``
        counts, its key entities found and labelled) into its language's."""
        counts = self.languages.setdefault(language, LanguageCounts())
        counts.articles += 1
        counts.relevance.include(relevance)
        counts.event_types.include(event_types)
        counts.entities_found += entities[0]
        counts.entities_total += entities[1]

    @property
    def entity_recall(self) -> float:
        return self.entities_found / self.entities_total if self.entities_total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "relevance": self.relevance.as_dict(with_counts=True),
            "event_types": self.event_types.as_dict(),
            "countries": self.countries.as_dict(),
            "tagged_countries": self.tagged_countries.as_dict(),
            "key_entity_recall": round(self.entity_recall, 4),
            "routed": dict(sorted(self.routed.items())),
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "rejected": self.rejected,
            "languages": {
                lang: {
                    "articles": counts.articles,
                    "relevance": counts.relevance.as_dict(with_counts=True),
                    "event_types": counts.event_types.as_dict(),
                    "key_entity_recall": round(counts.entity_recall, 4),
                }
                for lang, counts in sorted(self.languages.items())
            },
        }

    def __str__(self) -> str:
        lines = [*self.verbose_lines, f"{self.articles} articles"]
        lines += [f"false positive: {t}" for t in self.false_positives]
        lines += [f"false negative: {t}" for t in self.false_negatives]
        lines += [f"rejected: {t}" for t in self.rejected]
        lines += [
            self.relevance.line("relevance") + f" tn {self.relevance.tn}",
            self.event_types.line("event types"),
            self.countries.line("countries"),
        ]
        if self.tagged_countries.tp + self.tagged_countries.fn:
            lines.append(self.tagged_countries.line("tagged countries"))
        lines.append(
            f"{'key entities':16} recall {self.entity_recall:.3f} "
            f"({self.entities_found}/{self.entities_total})"
        )
        lines.append(
            f"{'routed':16} " + ", ".join(f"{k} {v}" for k, v in sorted(self.routed.items()))
        )
        if len(self.languages) > 1:
            for lang, counts in sorted(self.languages.items()):
                rel = counts.relevance
                lines.append(
                    f"{'language ' + lang:16} {counts.articles} articles: relevance "
                    f"P {rel.precision:.3f} R {rel.recall:.3f} "
                    f"(tp {rel.tp}, fp {rel.fp}, fn {rel.fn}, tn {rel.tn}); "
                    f"event types F1 {counts.event_types.f1:.3f}"
                    + (
                        f"; key entities {counts.entity_recall:.3f} "
                        f"({counts.entities_found}/{counts.entities_total})"
                        if counts.entities_total
                        else ""
                    )
                )
        return "\n".join(lines)


def as_input(doc: dict[str, Any]) -> bytes:
    """A labelled line as an input article."""
    return orjson.dumps(
        {
            "id": doc.get("id"),
            "title": doc.get("title") or "",
            "body": doc.get("text") or doc.get("body") or "",
            "published_at": doc.get("published") or doc.get("published_at"),
            "url": doc.get("url"),
        }
    )


def _score_entities(
    report: Report, tagged: TaggedArticle, alert: Alert | None, key_entities: list[str]
) -> tuple[int, int]:
    """A key entity is found when a tagged entity, or one of the alert's parties (with
    NEWSFLOW_NER=alerts the model's names are there, not on the tagged article),
    overlaps its first occurrence. Returns (found, labelled) of this article."""
    text = tagged.article.text
    spans = [(e.start, e.end) for e in tagged.entities]
    spans += [(p.start, p.end) for p in alert.parties] if alert else []
    found = 0
    for key_entity in key_entities:
        at = text.find(key_entity)
        if at >= 0 and any(s < at + len(key_entity) and at < e for s, e in spans):
            found += 1
    report.entities_total += len(key_entities)
    report.entities_found += found
    return found, len(key_entities)


def _count_routed(report: Report, trace: Trace) -> None:
    """What routing made of an article: new, update, or counted into its alert."""
    for _, processed in trace.processed:
        for run in processed.runs:
            if run.stage == "route":
                report.routed[run.outcome] = report.routed.get(run.outcome, 0) + 1


def evaluate_file(path: Path, settings: Settings, *, verbose: bool = False) -> Report:
    """Run the pipeline on every labelled line of ``path`` and score it."""
    runner = MemoryRunner(settings, build_stages(settings), count_metrics=False)
    report = Report()
    # The step that makes the candidate alert: with the NER agent, the flag step's
    # candidate is flagged again after the model (and may be dropped).
    candidate_stage = "annotate" if settings.ner_agent else "flag"
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        doc = orjson.loads(line)
        report.articles += 1
        title = str(doc.get("title") or doc.get("id"))
        trace = runner.feed(as_input(doc))
        tagged = next((v for v in trace.values("tag") if isinstance(v, TaggedArticle)), None)
        if tagged is None or trace.dead:
            report.rejected.append(f"{title} ({trace.dead[0].reason})")
            continue
        alert = next((v for v in trace.values(candidate_stage) if isinstance(v, Alert)), None)
        _count_routed(report, trace)
        if tagged.article.duplicate_of is not None:
            report.routed["duplicate"] = report.routed.get("duplicate", 0) + 1
        gold, predicted = bool(doc.get("relevant")), alert is not None
        relevance, event_types = Counts(), Counts()
        if gold and predicted:
            relevance.tp = 1
        elif predicted:
            relevance.fp = 1
            report.false_positives.append(title)
        elif gold:
            relevance.fn = 1
            report.false_negatives.append(title)
        else:
            relevance.tn = 1
        event_types.add(
            set(alert.event_types) if alert else set(), set(doc.get("event_types") or [])
        )
        found = _score_entities(report, tagged, alert, doc.get("key_entities") or [])
        report.add_language(tagged.article.language or "unknown", relevance, event_types, found)
        report.relevance.include(relevance)
        report.event_types.include(event_types)
        report.countries.add(
            set(alert.countries) if alert else set(), set(doc.get("countries") or [])
        )
        if "mentioned_countries" in doc and tagged.summary is not None:
            report.tagged_countries.add(
                set(tagged.summary["countries"]), set(doc["mentioned_countries"])
            )
        if verbose:
            detail = (
                (
                    f" score={alert.score} types={','.join(alert.event_types)} "
                    f"countries={','.join(alert.countries)}"
                )
                if alert
                else ""
            )
            mark = "ok " if gold == predicted else ("FP " if predicted else "FN ")
            report.verbose_lines.append(f"{mark}{doc.get('id')} {title[:70]!r}{detail}")
    return report
