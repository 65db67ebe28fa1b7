"""CoNLL-2003 benchmark: entity-level precision, recall and F1 per type (PER, ORG, LOC,
MISC and micro), exact and partial, for the tagger alone, the NER model alone and the
tagger with the model, with tokens per second for each (issue 15).

    .venv/bin/python -m tests.bench.bench_conll PATH [--limit-docs N] [--json OUT]
        [--errors K] [--examples N]

PATH is CoNLL-2003's English test file (eng.testb: one "token POS chunk NER" line per
token, a blank line after each sentence, documents split at ``-DOCSTART-``, IOB1 or IOB2
tags). The file is not ours: read it from where it lies, never commit it, and tune
nothing on its test split. Goals to report against (not asserted): micro F1 >= 0.70 and
PER F1 >= 0.80 for the tagger with the model.

Each document becomes one text: tokens joined by single spaces, sentences by "\\n". It is
the body of an article titled "-"; normalizing turns the newlines into paragraph breaks,
so offsets go through a character map (:func:`char_map`). Our labels become CoNLL's:
PERSON -> PER, ORGANIZATION -> ORG, COUNTRY and LOCATION -> LOC, NORP, EVENT, PRODUCT,
LAW and VESSEL -> MISC; WATCHLIST entities are dropped (each repeats a labelled span).

Exact: the same span and type. Partial: a predicted span counts for precision when it
overlaps a gold span of its type, a gold span counts for recall when a predicted span of
its type overlaps it. Only the tagging and model calls are timed.

``--errors K`` prints the K commonest kinds of false positive and false negative of the
tagger with the model (with ``--examples N``, N surfaces each, on stdout only: the
dataset's text goes into no file).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tests.bench.common import OUT, write_json

TYPES = ("PER", "ORG", "LOC", "MISC")
SYSTEMS = ("tagger", "model", "tagger+model")
# Our entity labels (the tagger's and, through MODEL_LABELS, the model's) -> CoNLL's.
CONLL_LABELS = {
    "PERSON": "PER",
    "ORGANIZATION": "ORG",
    "COUNTRY": "LOC",
    "LOCATION": "LOC",
    "NORP": "MISC",  # demonyms too ("German"): CoNLL tags them MISC
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "LAW": "MISC",
    "VESSEL": "MISC",
}
TITLE = "-"


class Span(NamedTuple):
    """One entity: CoNLL type and character offsets into the document's text."""

    label: str
    start: int
    end: int


class Document(NamedTuple):
    """One CoNLL document: its rebuilt text, gold spans and token count."""

    text: str
    gold: tuple[Span, ...]
    tokens: int


# --- reading CoNLL -----------------------------------------------------------------------


def iob_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """The entities of one sentence's tags as (type, first token, end token), in IOB1 or
    IOB2: ``B-X`` always starts an entity, ``I-X`` starts one after ``O`` or another type
    (IOB1's only start; IOB2 never needs it), ``O`` ends one."""
    out: list[tuple[str, int, int]] = []
    current: list[Any] | None = None  # [type, start]
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and current is not None and current[0] == kind
        if current is not None and not continues:
            out.append((current[0], current[1], i))
            current = None
        if prefix in ("B", "I") and not continues:
            current = [kind, i]
    return out


def _sentences(lines: Iterable[str]) -> Iterator[list[tuple[str, str]] | None]:
    """Sentences as (token, tag) lists; ``None`` where a new document starts."""
    sentence: list[tuple[str, str]] = []
    for line in lines:
        cols = line.split()
        if cols and cols[0] == "-DOCSTART-":
            if sentence:
                yield sentence
                sentence = []
            yield None
        elif cols:
            sentence.append((cols[0], cols[-1]))
        elif sentence:
            yield sentence
            sentence = []
    if sentence:
        yield sentence


def _document(sentences: list[list[tuple[str, str]]]) -> Document:
    parts: list[str] = []
    gold: list[Span] = []
    offset = 0
    tokens = 0
    for n, sentence in enumerate(sentences):
        if n:
            parts.append("\n")
            offset += 1
        starts: list[int] = []
        ends: list[int] = []
        for i, (token, _) in enumerate(sentence):
            if i:
                parts.append(" ")
                offset += 1
            starts.append(offset)
            parts.append(token)
            offset += len(token)
            ends.append(offset)
        tokens += len(sentence)
        for kind, first, end in iob_spans([tag for _, tag in sentence]):
            gold.append(Span(kind, starts[first], ends[end - 1]))
    return Document("".join(parts), tuple(gold), tokens)


def parse_conll(lines: Iterable[str]) -> list[Document]:
    """The documents of a CoNLL file's lines (split at ``-DOCSTART-``; a file without it is
    one document). Sentences joined by "\\n", tokens by " "; gold spans in those offsets."""
    docs: list[list[list[tuple[str, str]]]] = [[]]
    for sentence in _sentences(lines):
        if sentence is None:
            docs.append([])
        else:
            docs[-1].append(sentence)
    return [_document(d) for d in docs if d]


# --- offsets -----------------------------------------------------------------------------


def char_map(source: str, target: str) -> list[int]:
    """For each offset of ``target``, the offset of the same character in ``source``, or
    -1 for whitespace only ``target`` has. ``target`` must be ``source`` with its
    whitespace changed (what normalizing does to this ASCII text).

    Raises:
        ValueError: the two differ in more than whitespace.
    """
    out = [-1] * len(target)
    i = 0
    for j, ch in enumerate(target):
        if ch.isspace():
            if i < len(source) and source[i] == ch:
                out[j] = i
                i += 1
            continue
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source) or source[i] != ch:
            raise ValueError(f"texts differ beyond whitespace at target offset {j}")
        out[j] = i
        i += 1
    if any(not c.isspace() for c in source[i:]):
        raise ValueError("the target ends before the source")
    return out


def map_span(mapping: Sequence[int], start: int, end: int) -> tuple[int, int] | None:
    """[start, end) through ``mapping`` (first and last mapped characters), or None."""
    mapped = [mapping[k] for k in range(start, end) if mapping[k] >= 0]
    return (mapped[0], mapped[-1] + 1) if mapped else None


def inverse(mapping: Sequence[int], length: int) -> list[int]:
    """The reverse of a :func:`char_map` (``length``: the source's length)."""
    out = [-1] * length
    for j, i in enumerate(mapping):
        if i >= 0:
            out[i] = j
    return out


# --- scoring -----------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts for one type: gold and predicted spans, exact matches, and partial matches
    from each side (predicted spans overlapping a gold one, gold spans overlapped)."""

    gold: int = 0
    predicted: int = 0
    exact: int = 0
    partial_predicted: int = 0
    partial_gold: int = 0

    def add(self, other: Tally) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.exact += other.exact
        self.partial_predicted += other.partial_predicted
        self.partial_gold += other.partial_gold


@dataclass
class Scores:
    """A system's tallies per CoNLL type."""

    by_type: dict[str, Tally] = field(default_factory=lambda: {t: Tally() for t in TYPES})

    def add(self, other: Scores) -> None:
        for t, tally in other.by_type.items():
            self.by_type.setdefault(t, Tally()).add(tally)

    def micro(self) -> Tally:
        total = Tally()
        for tally in self.by_type.values():
            total.add(tally)
        return total


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def score(gold: Iterable[Span], predicted: Iterable[Span]) -> Scores:
    """Exact and partial counts of ``predicted`` against ``gold`` (duplicates count once)."""
    gold_set, pred_set = set(gold), set(predicted)
    out = Scores()
    for g in gold_set:
        tally = out.by_type.setdefault(g.label, Tally())
        tally.gold += 1
        tally.exact += g in pred_set
        tally.partial_gold += any(p.label == g.label and _overlaps(p, g) for p in pred_set)
    for p in pred_set:
        tally = out.by_type.setdefault(p.label, Tally())
        tally.predicted += 1
        tally.partial_predicted += any(g.label == p.label and _overlaps(p, g) for g in gold_set)
    return out


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def figures(tally: Tally) -> dict[str, float]:
    """Precision, recall and F1, exact and partial, of one tally."""
    p = _ratio(tally.exact, tally.predicted)
    r = _ratio(tally.exact, tally.gold)
    pp = _ratio(tally.partial_predicted, tally.predicted)
    pr = _ratio(tally.partial_gold, tally.gold)
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(_f1(p, r), 4),
        "partial_precision": round(pp, 4),
        "partial_recall": round(pr, 4),
        "partial_f1": round(_f1(pp, pr), 4),
    }


# --- error kinds -------------------------------------------------------------------------


class Predicted(NamedTuple):
    """A predicted span with where it came from (our label, the entity's source)."""

    span: Span
    label: str
    source: str


def error_kinds(
    gold: Sequence[Span], predicted: Sequence[Predicted]
) -> tuple[list[tuple[tuple[str, ...], Span]], list[tuple[tuple[str, ...], Span]]]:
    """Each false positive and false negative with its kind: (CoNLL type, kind, our label,
    source) and its span. Kinds: ``wrong type`` (a gold span of another type at the same
    place), ``boundary`` (overlaps a gold span of its type), ``boundary+type`` (overlaps
    only other types), ``spurious`` (no gold overlap); for a missed gold span ``missed``
    (nothing overlaps) or the kind of the predicted span that overlaps it."""
    gold_set = set(gold)
    pred_spans = {p.span for p in predicted}
    fps: list[tuple[tuple[str, ...], Span]] = []
    seen: set[Span] = set()
    for p in predicted:
        if p.span in gold_set or p.span in seen:
            continue
        seen.add(p.span)
        near = [g for g in gold_set if _overlaps(g, p.span)]
        if any((g.start, g.end) == (p.span.start, p.span.end) for g in near):
            kind = "wrong type"
        elif any(g.label == p.span.label for g in near):
            kind = "boundary"
        elif near:
            kind = "boundary+type"
        else:
            kind = "spurious"
        fps.append(((p.span.label, kind, p.label, p.source), p.span))
    fns: list[tuple[tuple[str, ...], Span]] = []
    for g in gold_set:
        if g in pred_spans:
            continue
        hits = [q for q in predicted if _overlaps(g, q.span)]
        same = [q for q in hits if (q.span.start, q.span.end) == (g.start, g.end)]
        typed = [q for q in hits if q.span.label == g.label]
        if same:
            hit, kind = same[0], f"typed {same[0].span.label}"
        elif typed:
            hit, kind = typed[0], "boundary"
        elif hits:
            hit, kind = hits[0], f"overlapped by {hits[0].span.label}"
        else:
            fns.append(((g.label, "missed", "-", "-"), g))
            continue
        fns.append(((g.label, kind, hit.label, hit.source), g))
    return fps, fns


# --- running the systems -----------------------------------------------------------------


def _conll(entities: Iterable[Any], mapping: Sequence[int]) -> list[Predicted]:
    out: list[Predicted] = []
    for e in entities:
        label = CONLL_LABELS.get(e.label)
        if label is None:  # WATCHLIST: repeats a labelled span
            continue
        span = map_span(mapping, e.start, e.end)
        if span is not None:
            out.append(Predicted(Span(label, *span), e.label, e.source))
    return out


def _model_conll(spans: Iterable[Any]) -> list[Span]:
    from pipeline.stages.ner import MODEL_LABELS

    out: list[Span] = []
    for s in spans:
        ours = MODEL_LABELS.get(s.label)
        label = CONLL_LABELS.get(ours) if ours else None
        if label is not None:
            out.append(Span(label, s.start, s.end))
    return out


def run(docs: Sequence[Document], model_name: str) -> dict[str, Any]:
    """Score the three systems over ``docs``; seconds spent in each system's calls, and
    the error kinds of the tagger with the model (with their document index)."""
    from pipeline import ner
    from pipeline.models import InputArticle
    from pipeline.resources import build_stages
    from pipeline.settings import Settings
    from pipeline.stages.entities import tag_article
    from pipeline.stages.ner import ModelSpan
    from pipeline.stages.normalize import normalize

    tagger = build_stages(Settings()).tagger
    nlp = ner.load(model_name)
    articles = [normalize(InputArticle(title=TITLE, body=d.text)) for d in docs]
    maps = [char_map(d.text, a.text[a.body_start :]) for d, a in zip(docs, articles, strict=True)]
    ner.spans_of(nlp, [docs[0].text])  # warm-up
    seconds = dict.fromkeys(SYSTEMS, 0.0)
    started = time.perf_counter()
    model_spans = ner.spans_of(nlp, [d.text for d in docs])
    seconds["model"] = time.perf_counter() - started
    seconds["tagger+model"] = seconds["model"]

    def shift(n: int) -> list[ModelSpan]:
        """Document ``n``'s model spans in its article's offsets."""
        back = inverse(maps[n], len(docs[n].text))
        body = articles[n].body_start
        out: list[ModelSpan] = []
        for s in model_spans[n]:
            moved = map_span(back, s.start, s.end)
            if moved is not None:
                out.append(ModelSpan(s.label, moved[0] + body, moved[1] + body))
        return out

    # warm-up: the tagger's screening index is built at its first use
    tag_article(tagger, articles[0], shift(0))

    scores = {s: Scores() for s in SYSTEMS}
    fps: list[tuple[tuple[str, ...], int, Span]] = []
    fns: list[tuple[tuple[str, ...], int, Span]] = []
    for n, (doc, article, mapping, spans) in enumerate(
        zip(docs, articles, maps, model_spans, strict=True)
    ):
        full = [-1] * article.body_start + mapping  # article.text offsets -> doc.text's
        shifted = shift(n)

        started = time.perf_counter()
        alone = tag_article(tagger, article)
        seconds["tagger"] += time.perf_counter() - started
        started = time.perf_counter()
        merged = tag_article(tagger, article, shifted)
        seconds["tagger+model"] += time.perf_counter() - started

        with_model = _conll(merged.entities, full)
        scores["tagger"].add(score(doc.gold, [p.span for p in _conll(alone.entities, full)]))
        scores["model"].add(score(doc.gold, _model_conll(spans)))
        scores["tagger+model"].add(score(doc.gold, [p.span for p in with_model]))
        doc_fps, doc_fns = error_kinds(doc.gold, with_model)
        fps.extend((k, n, s) for k, s in doc_fps)
        fns.extend((k, n, s) for k, s in doc_fns)
    return {"scores": scores, "seconds": seconds, "fps": fps, "fns": fns}


# --- output ------------------------------------------------------------------------------


def table(scores: dict[str, Scores]) -> list[str]:
    """The side-by-side table: per type and micro, P/R/F1 exact and partial per system."""
    head = f"{'':6}{'':7}" + "".join(f"{s:>22}" for s in SYSTEMS)
    sub = f"{'type':6}{'gold':>7}" + "".join(f"{'P':>8}{'R':>7}{'F1':>7}" for _ in SYSTEMS)
    lines = [head, sub]
    for t in (*TYPES, "micro"):
        for mode, prefix in (("exact", ""), ("partial", "partial_")):
            cells = ""
            gold = 0
            for s in SYSTEMS:
                tally = scores[s].micro() if t == "micro" else scores[s].by_type[t]
                gold = tally.gold
                f = figures(tally)
                cells += (
                    f"{f[prefix + 'precision']:>8.3f}{f[prefix + 'recall']:>7.3f}"
                    f"{f[prefix + 'f1']:>7.3f}"
                )
            name = t if mode == "exact" else "  ~"
            lines.append(f"{name:6}{gold if mode == 'exact' else '':>7}{cells}")
    lines.append("(~: partial - overlapping span, same type)")
    return lines


def _top(
    errors: Sequence[tuple[tuple[str, ...], int, Span]],
    docs: Sequence[Document],
    k: int,
    examples: int,
) -> tuple[list[str], list[dict[str, Any]]]:
    counts = Counter(key for key, _, _ in errors)
    lines: list[str] = []
    out: list[dict[str, Any]] = []
    for key, count in counts.most_common(k):
        conll_type, kind, label, source = key
        out.append(
            {"type": conll_type, "kind": kind, "label": label, "source": source, "count": count}
        )
        line = f"  {count:>5}  {conll_type:<5}{kind:<20}{label:<14}{source}"
        if examples:
            surfaces = Counter(
                docs[n].text[s.start : s.end] for key2, n, s in errors if key2 == key
            )
            line += "   e.g. " + ", ".join(repr(w) for w, _ in surfaces.most_common(examples))
        lines.append(line)
    return lines, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="CoNLL-2003 English test file (eng.testb)")
    parser.add_argument("--limit-docs", type=int, default=None)
    parser.add_argument("--json", type=Path, default=OUT / "conll.json")
    parser.add_argument("--model", default=None, help="spaCy model (default: the setting)")
    parser.add_argument("--errors", type=int, default=0, help="print the K commonest errors")
    parser.add_argument("--examples", type=int, default=0, help="surfaces per error kind")
    args = parser.parse_args()
    with args.path.open(encoding="utf-8") as fh:
        docs = parse_conll(fh)
    if args.limit_docs is not None:
        docs = docs[: args.limit_docs]
    tokens = sum(d.tokens for d in docs)
    gold = sum(len(d.gold) for d in docs)
    print(f"{len(docs)} documents, {tokens} tokens, {gold} gold entities")
    if args.model is None:
        from pipeline.settings import Settings

        args.model = Settings().ner_model
    result = run(docs, args.model)
    scores: dict[str, Scores] = result["scores"]
    seconds: dict[str, float] = result["seconds"]
    for line in table(scores):
        print(line)
    rates = {s: round(tokens / seconds[s], 1) if seconds[s] else None for s in SYSTEMS}
    print("tokens/s: " + "  ".join(f"{s} {rates[s]:,.0f}" for s in SYSTEMS if rates[s]))
    micro = figures(scores["tagger+model"].micro())["f1"]
    per = figures(scores["tagger+model"].by_type["PER"])["f1"]
    print(
        f"goal: tagger+model micro F1 >= 0.70: {'met' if micro >= 0.70 else 'NOT met'} "
        f"({micro:.3f}); PER F1 >= 0.80: {'met' if per >= 0.80 else 'NOT met'} ({per:.3f})"
    )
    data: dict[str, Any] = {
        "documents": len(docs),
        "tokens": tokens,
        "gold_entities": gold,
        "model": args.model,
        "systems": {
            s: {
                "tokens_per_second": rates[s],
                "seconds": round(seconds[s], 3),
                "micro": figures(scores[s].micro()),
                **{t: figures(scores[s].by_type[t]) for t in TYPES},
            }
            for s in SYSTEMS
        },
    }
    if args.errors:
        for name, errors in (
            ("false positives", result["fps"]),
            ("false negatives", result["fns"]),
        ):
            lines, top = _top(errors, docs, args.errors, args.examples)
            print(f"tagger+model {name} ({len(errors)}), commonest kinds:")
            print("\n".join(lines))
            data["tagger+model_" + name.replace(" ", "_")] = top  # counts only, no text
    write_json(args.json, data)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
