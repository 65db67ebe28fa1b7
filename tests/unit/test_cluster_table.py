"""docs/reliability.md's cluster table is generated from the fault tests' rows."""

from __future__ import annotations

from tests.cluster.table import BEGIN, DOC, END, latest, render


def _row(case: str, fault: str, duplicates: int) -> dict[str, object]:
    return {
        "case": f"tests/cluster/test_cluster_faults.py::{case}",
        "fault": fault,
        "guarantee": "exactly-once",
        "isolation": "read_committed",
        "sent": 10,
        "processed": 9,
        "dead": 1,
        "lost": 0,
        "duplicates": duplicates,
        "topic_duplicates": {"normalized": duplicates, "tagged": 1},
        "recovery_s": 1.25,
        "resync_s": None,
        "at": "2026-12-01T12:00:00Z",
    }


def test_the_latest_row_of_each_case_in_first_seen_order() -> None:
    rows = [_row("a", "first", 5), _row("b", "other", 0), _row("a", "again", 0)]
    assert [r["fault"] for r in latest(rows)] == ["again", "other"]


def test_the_table_replaces_only_the_text_between_the_markers() -> None:
    doc = f"before\n{BEGIN}\nold table\n{END}\nafter\n"
    out = render(doc, [_row("a", "leader killed", 0)])
    assert out.startswith(f"before\n{BEGIN}\n| fault |")
    row = "| leader killed | exactly-once (read-committed) | 10 | 9 | 1 | 0 | 0 | 1 | 1.2 s | — |"
    assert row in out
    assert "old table" not in out
    assert out.endswith(f"{END}\nafter\n")


def test_the_reliability_guide_has_the_markers() -> None:
    text = DOC.read_text()
    assert text.index(BEGIN) < text.index(END)
