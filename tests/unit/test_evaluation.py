"""``newsflow eval``'s report: totals and the per-language breakdown (invented articles)."""

from __future__ import annotations

from pathlib import Path

import orjson

from pipeline.evaluation import evaluate_file
from pipeline.settings import Settings

_ARTICLES = [
    {
        "id": "en-1",
        "title": "Treasury sanctions drone parts suppliers",
        "text": "The U.S. Treasury on Tuesday imposed sanctions on three companies in "
        "Hong Kong that it said supplied drone engines to Iran's military. All property "
        "of the designated firms under U.S. jurisdiction is blocked.",
        "relevant": True,
        "event_types": ["sanctions_designation"],
        "key_entities": ["Hong Kong", "Iran", "Kestrel Works"],  # the last is not in the text
    },
    {
        "id": "en-2",
        "title": "Local bakery wins award",
        "text": "A family bakery in the town centre won a national award for its bread on "
        "Saturday, the organisers said. The owners thanked their customers.",
        "relevant": False,
    },
    {
        "id": "fr-1",
        "title": "Une boulangerie primée",
        "text": "Une boulangerie familiale du centre-ville a remporté samedi un prix "
        "national pour son pain, ont indiqué les organisateurs. Les propriétaires ont "
        "remercié leurs clients et leurs employés pour leur travail.",
        "relevant": True,  # labelled relevant on purpose: a miss for French
        "key_entities": ["Une boulangerie familiale"],
    },
]


def test_the_report_counts_each_language_apart(tmp_path: Path) -> None:
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(a) for a in _ARTICLES) + b"\n")
    report = evaluate_file(path, Settings(ner="off"))
    languages = report.as_dict()["languages"]
    assert set(languages) == {"en", "fr"}
    assert languages["en"]["articles"] == 2
    assert languages["en"]["relevance"]["tp"] == 1
    assert languages["en"]["relevance"]["tn"] == 1
    assert languages["fr"]["relevance"]["fn"] == 1
    # the totals are the languages' sums
    assert report.relevance.tp == 1
    assert report.relevance.fn == 1
    assert report.relevance.tn == 1
    assert "language fr" in str(report)
    # key entities per language: the English places are tagged, the bakery is not
    assert languages["en"]["key_entity_recall"] == round(2 / 3, 4)
    assert languages["fr"]["key_entity_recall"] == 0.0
    assert report.entities_found == 2
    assert report.entities_total == 4
