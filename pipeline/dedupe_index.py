"""The near-duplicate index over a key-value table (a faust Table in the worker).

Keys and values are bytes:

    b"a:<article id>"  -> {"orig", "sim", "ts", "p", "sig", "bands"}   one per article
    b"b<i>:<hex>"      -> [[article id, ts], ...]                  one per LSH band value

The index runs inside the dedupe agent, so every write lands in the partition of the
event being processed; ``sweep`` removes a partition's entries older than the window.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import orjson

from pipeline.stages.dedupe import Seen, Signature, Verdict, band_keys, from_hex, judge, to_hex

_MAX_PER_BAND = 32


class DedupeIndex:
    """MinHash LSH index with a time window, kept in ``table``."""

    def __init__(
        self, table: MutableMapping[bytes, bytes], *, window_seconds: float, threshold: float
    ) -> None:
        self._table = table
        self.window = window_seconds
        self.threshold = threshold

    def _entry(self, article_id: str) -> Seen | None:
        raw = self._table.get(b"a:" + article_id.encode())
        if raw is None:
            return None
        doc = orjson.loads(raw)
        return Seen(article_id, doc["orig"], float(doc["ts"]), from_hex(doc["sig"]))

    def check_and_add(self, article_id: str, sig: Signature, ts: float, partition: int) -> Verdict:
        """Judge the article against what the index holds, then add it.

        An article already in the index (a redelivery after a crash, a re-publish) gets
        the verdict it got the first time, so replays produce the same output.
        """
        known = self._table.get(b"a:" + article_id.encode())
        if known is not None:
            doc = orjson.loads(known)
            if doc["orig"] != article_id:
                return Verdict(doc["orig"], doc.get("sim"))
            return Verdict(None, None)
        bands = band_keys(sig)
        candidate_ids: dict[str, None] = {}
        band_lists: list[list[list[Any]]] = []
        for band in bands:
            raw = self._table.get(band.encode())
            members: list[list[Any]] = orjson.loads(raw) if raw else []
            band_lists.append(members)
            for member_id, _ in members:
                candidate_ids[member_id] = None
        seen = [s for s in (self._entry(c) for c in candidate_ids) if s is not None]
        verdict = judge(
            article_id, sig, seen, now=ts, window_seconds=self.window, threshold=self.threshold
        )
        original = verdict.duplicate_of or article_id
        self._table[b"a:" + article_id.encode()] = orjson.dumps(
            {
                "orig": original,
                "sim": verdict.similarity,
                "ts": ts,
                "p": partition,
                "sig": to_hex(sig),
                "bands": bands,
            }
        )
        for band, members in zip(bands, band_lists, strict=True):
            kept = [m for m in members if m[0] != article_id and ts - m[1] <= self.window]
            kept.append([article_id, ts])
            self._table[band.encode()] = orjson.dumps(kept[-_MAX_PER_BAND:])
        return verdict

    def sweep(self, now: float, partition: int) -> int:
        """Delete this partition's articles older than the window; returns how many."""
        expired: list[tuple[bytes, list[str]]] = []
        for key, raw in list(self._table.items()):
            if not key.startswith(b"a:"):
                continue
            doc = orjson.loads(raw)
            if doc.get("p") == partition and now - float(doc["ts"]) > self.window:
                expired.append((key, list(doc.get("bands", []))))
        for key, bands in expired:
            article_id = key[2:].decode()
            del self._table[key]
            for band in bands:
                members = self._table.get(band.encode())
                if members is None:
                    continue
                kept = [m for m in orjson.loads(members) if m[0] != article_id]
                if kept:
                    self._table[band.encode()] = orjson.dumps(kept)
                else:
                    del self._table[band.encode()]
        return len(expired)
