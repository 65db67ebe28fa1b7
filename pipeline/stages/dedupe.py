"""Near-duplicate detection: MinHash signatures over word shingles, LSH band keys.

    NormalizedArticle -> Signature            (pure; computed in the normalize step)
    Signature + candidates -> Verdict         (pure; the candidates come from a table)

The signature is NUM_PERM 32-bit min-hashes of the body's word 3-grams. Banding it into
BANDS bands of ROWS rows makes articles with Jaccard similarity J share at least one
band with probability 1 - (1 - J**ROWS)**BANDS (J = 0.8: 0.9998; J = 0.5: 0.64; J = 0.3:
0.12); candidates are then confirmed by their estimated similarity.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.stages.charmap import CharMap, ascii_fold

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 3
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_rng = np.random.default_rng(20261129)  # fixed: signatures must agree across restarts
# Multiply-shift hashing: h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32 with odd a_i, a
# universal family that needs no modulo (uint64 arithmetic wraps).
_A = _rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)


def _letter_or_space(c: str) -> str:
    return c if c.isalnum() else " "


_NON_WORD = CharMap(_letter_or_space)

Signature = npt.NDArray[np.uint32]
# Words seen before keep their hash: news repeats its vocabulary, and a dictionary lookup
# is several times cheaper than encoding and hashing the word again. Bounded: emptied
# when it reaches this many words.
_WORD_CACHE_MAX = 200_000


class _WordHashes(dict[str, int]):
    """word -> crc32 of its UTF-8 bytes, computed on first use."""

    __slots__ = ()

    def __missing__(self, word: str) -> int:
        if len(self) >= _WORD_CACHE_MAX:
            self.clear()
        value = self[word] = zlib.crc32(word.encode())
        return value


_word_hash = _WordHashes()


def signature(text: str) -> Signature | None:
    """MinHash signature of ``text``'s word 3-grams; ``None`` for fewer than 3 words."""
    low = text.lower()
    # Words: runs of letters and digits (str.isalnum, what the regex [^\W_]+ finds).
    words = (ascii_fold(low) if low.isascii() else _NON_WORD(low)).split()
    if len(words) < SHINGLE:
        return None
    ids = np.fromiter(map(_word_hash.__getitem__, words), dtype=np.uint64, count=len(words))
    # A shingle's hash mixes its three word hashes; the mixing is fixed, so stable.
    shingles = (
        ids[:-2] * np.uint64(0x9E3779B1) + ids[1:-1] * np.uint64(0x85EBCA77) + ids[2:]
    ) & _MASK32
    # The minimum over shingles of each hash function (a repeated shingle changes no
    # minimum; removing repeats first costs more than it saves).
    with np.errstate(over="ignore"):
        hashed = np.multiply.outer(shingles, _A)  # one matrix, updated in place
        hashed += _B
        hashed >>= _SHIFT
    result: Signature = hashed.min(axis=0).astype(np.uint32)
    return result


def band_keys(sig: Signature) -> list[str]:
    """One key per band: the band index and its rows' values."""
    rows = sig.reshape(BANDS, ROWS)
    return [f"b{i}:{rows[i].tobytes().hex()}" for i in range(BANDS)]


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity: the share of equal min-hashes."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def to_hex(sig: Signature) -> str:
    return sig.astype("<u4").tobytes().hex()


def from_hex(value: str) -> Signature:
    return np.frombuffer(bytes.fromhex(value), dtype="<u4").astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Seen:
    """An article already in the index."""

    article_id: str
    original_id: str  # itself, or the article it duplicates
    timestamp: float
    sig: Signature


@dataclass(frozen=True, slots=True)
class Verdict:
    duplicate_of: str | None
    similarity: float | None


def judge(
    article_id: str,
    sig: Signature,
    candidates: Iterable[Seen],
    *,
    now: float,
    window_seconds: float,
    threshold: float,
) -> Verdict:
    """Is the article a near-duplicate of a candidate seen within the window?

    The best candidate at or above ``threshold`` wins (the earliest on a tie); the verdict
    names the original story, never a copy of it. The article itself (a redelivery) is
    not its own duplicate.
    """
    best: tuple[float, float, str] | None = None
    for seen in candidates:
        if article_id in (seen.article_id, seen.original_id):
            continue
        if now - seen.timestamp > window_seconds:
            continue
        score = similarity(sig, seen.sig)
        if score >= threshold and (best is None or (score, -seen.timestamp) > best[:2]):
            best = (score, -seen.timestamp, seen.original_id)
    if best is None:
        return Verdict(None, None)
    return Verdict(best[2], round(best[0], 4))
