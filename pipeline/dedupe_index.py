"""The near-duplicate index over a key-value table (a faust Table in the worker).

The table holds one entry per indexed article:

    b"a:<article id>"  -> {"orig", "sim", "ts", "p", "sig", "bands"}

and the LSH bands (band key -> the articles seen in that band, with their signatures)
live in memory, per partition, rebuilt from those entries the first time a partition is
seen (after a restart or a rebalance, once faust has restored the table from its
changelog). Candidates are judged from memory: no table read per candidate. One table
write per article: every table write is a changelog record, so writing the bands too
cost 17 records an article.
``sweep`` removes a partition's entries older than the window.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import orjson

from pipeline.stages.dedupe import Seen, Signature, Verdict, band_keys, from_hex, judge, to_hex

_MAX_PER_BAND = 32


class DedupeIndex:
    """MinHash LSH index with a time window; article entries in ``table``."""

    def __init__(
        self, table: MutableMapping[bytes, bytes], *, window_seconds: float, threshold: float
    ) -> None:
        self._table = table
        self.window = window_seconds
        self.threshold = threshold
        self._bands: dict[int, dict[str, list[Seen]]] = {}

    def _partition_bands(self, partition: int) -> dict[str, list[Seen]]:
        bands = self._bands.get(partition)
        if bands is None:
            bands = self._bands[partition] = {}
            for key, raw in list(self._table.items()):
                if not key.startswith(b"a:"):
                    continue
                doc = orjson.loads(raw)
                if doc.get("p") != partition:
                    continue
                seen = Seen(key[2:].decode(), doc["orig"], float(doc["ts"]), from_hex(doc["sig"]))
                for band in doc.get("bands", []):
                    bands.setdefault(band, []).append(seen)
            for members in bands.values():
                members.sort(key=lambda m: m.timestamp)
        return bands

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
        index = self._partition_bands(partition)
        bands = band_keys(sig)
        candidates: dict[str, Seen] = {}
        for band in bands:
            for member in index.get(band, ()):
                candidates[member.article_id] = member
        verdict = judge(
            article_id,
            sig,
            candidates.values(),
            now=ts,
            window_seconds=self.window,
            threshold=self.threshold,
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
        this = Seen(article_id, original, ts, sig)
        for band in bands:
            members = [m for m in index.get(band, ()) if ts - m.timestamp <= self.window]
            members.append(this)
            index[band] = members[-_MAX_PER_BAND:]
        return verdict

    def sweep(self, now: float, partition: int) -> int:
        """Delete this partition's articles older than the window; returns how many."""
        expired: list[bytes] = []
        for key, raw in list(self._table.items()):
            if not key.startswith(b"a:"):
                continue
            doc = orjson.loads(raw)
            if doc.get("p") == partition and now - float(doc["ts"]) > self.window:
                expired.append(key)
        for key in expired:
            del self._table[key]
        index = self._bands.get(partition, {})
        for band in list(index):
            kept = [m for m in index[band] if now - m.timestamp <= self.window]
            if kept:
                index[band] = kept
            else:
                del index[band]
        return len(expired)
