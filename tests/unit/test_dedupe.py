"""Near-duplicate detection: signatures, the judge, and the table-backed index."""

from __future__ import annotations

import numpy as np

from pipeline.codec import parse_seed_text
from pipeline.dedupe_index import DedupeIndex
from pipeline.stages.dedupe import (
    NUM_PERM,
    Seen,
    band_keys,
    from_hex,
    judge,
    signature,
    similarity,
    to_hex,
)
from tests.conftest import SEED

STORY = parse_seed_text(SEED.read_text())["body"]  # type: ignore[index]
COPY = "SEOUL (Agency) - " + STORY.replace("on Monday", "on Monday, June 2,") + " Editing by desk."
OTHER = (
    "The city council approved a new budget for schools and parks on Tuesday after a "
    "long debate about taxes, housing, transport and the future of the harbour area."
)


def _sig(text: str) -> np.ndarray:  # type: ignore[type-arg]
    sig = signature(text)
    assert sig is not None
    return sig


def test_signatures_are_stable_and_estimate_similarity() -> None:
    a, b, c = _sig(STORY), _sig(COPY), _sig(OTHER)
    assert len(a) == NUM_PERM
    assert np.array_equal(a, _sig(STORY))
    assert similarity(a, b) >= 0.8
    assert similarity(a, c) <= 0.1
    assert np.array_equal(from_hex(to_hex(a)), a)
    assert len(set(band_keys(a)) & set(band_keys(b))) >= 1
    assert signature("too short") is None


def test_judge_names_the_original_and_ignores_itself_and_old_stories() -> None:
    a, b = _sig(STORY), _sig(COPY)
    seen = [Seen("orig", "orig", 1000.0, a), Seen("copy-1", "orig", 1100.0, a)]
    verdict = judge("copy-2", b, seen, now=2000.0, window_seconds=3600, threshold=0.8)
    assert verdict.duplicate_of == "orig"
    assert verdict.similarity is not None
    assert verdict.similarity >= 0.8
    assert (
        judge("orig", a, seen[:1], now=2000.0, window_seconds=3600, threshold=0.8).duplicate_of
        is None
    )
    assert (
        judge("late", b, seen, now=1000.0 + 7200, window_seconds=3600, threshold=0.8).duplicate_of
        is None
    )


def test_index_marks_copies_keeps_unrelated_and_sweeps_old_entries() -> None:
    table: dict[bytes, bytes] = {}
    index = DedupeIndex(table, window_seconds=3600, threshold=0.8)
    assert index.check_and_add("a", _sig(STORY), 100.0, 0).duplicate_of is None
    assert index.check_and_add("b", _sig(COPY), 200.0, 0).duplicate_of == "a"
    assert index.check_and_add("c", _sig(OTHER), 300.0, 0).duplicate_of is None
    assert index.check_and_add("a", _sig(STORY), 400.0, 0).duplicate_of is None  # redelivery
    again = index.check_and_add("b", _sig(COPY), 500.0, 0)  # a replayed copy: same verdict
    assert again.duplicate_of == "a"
    assert index.sweep(100.0 + 3000, 1) == 0  # another partition's sweep touches nothing
    assert index.sweep(100.0 + 3650, 0) == 1  # a is older than the window
    assert {k for k in table if k.startswith(b"a:")} == {b"a:b", b"a:c"}
    assert index.sweep(300.0 + 4000, 0) == 2
    assert table == {}


def test_the_band_index_is_rebuilt_from_the_table_after_a_restart() -> None:
    table: dict[bytes, bytes] = {}
    first = DedupeIndex(table, window_seconds=3600, threshold=0.8)
    assert first.check_and_add("a", _sig(STORY), 100.0, 2).duplicate_of is None
    assert len(table) == 1  # one table write per article
    restarted = DedupeIndex(table, window_seconds=3600, threshold=0.8)
    assert restarted.check_and_add("b", _sig(COPY), 200.0, 2).duplicate_of == "a"
    other_partition = DedupeIndex(table, window_seconds=3600, threshold=0.8)
    assert other_partition.check_and_add("c", _sig(COPY), 200.0, 5).duplicate_of is None
