"""One-character-to-one-character maps applied to whole strings at C speed.

``str.translate`` is fast only for ASCII text; on any other text it looks every character
up one by one (about 40 ns each, 130 µs for a 3 KB article), and a Python loop over the
characters is slower still. A :class:`CharMap` keeps its function's result for every
character of the Basic Multilingual Plane in a NumPy table (built on first use) and maps a
string as an array of code points; characters beyond the plane (emoji, rare CJK) go
through the function itself. The result always equals ``"".join(map(fn, text))``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

# ASCII text maps fastest as bytes (``bytes.translate`` with a 256-byte table is five
# times ``str.translate`` with a dict): every character but a letter or digit a space,
# letters lower-cased (the gazetteer's fold and the signature's word split start here).
_ASCII_FOLD = bytes(
    (c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() and c < 128 else 32 for c in range(256)
)


def ascii_fold(text: str) -> str:
    """ASCII ``text`` lower-cased, every character but a letter or digit a space."""
    return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")


_BMP = 0x10000
# A table entry for a character the function does not map to exactly one character.
_NOT_ONE = np.uint32(0xFFFFFFFF)


# Every map made (weakly: a map made and dropped, in a test say, is not kept alive).
_ALL: weakref.WeakSet[CharMap] = weakref.WeakSet()


def prepare_all() -> None:
    """Build every map's table now (a few tens of ms each) rather than on the first
    non-ASCII article: the worker calls it at start-up."""
    for charmap in list(_ALL):
        charmap.table()


class CharMap:
    """``fn`` (one character -> one character) over whole strings."""

    __slots__ = ("__weakref__", "_fn", "_lock", "_table")

    def __init__(self, fn: Callable[[str], str]) -> None:
        self._fn = fn
        self._table: npt.NDArray[np.uint32] | None = None
        self._lock = threading.Lock()
        _ALL.add(self)

    def table(self) -> npt.NDArray[np.uint32]:
        """The map of every BMP code point (built once, ~0.1 s)."""
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    self._table = np.fromiter(
                        (self._code(chr(i)) for i in range(_BMP)), dtype=np.uint32, count=_BMP
                    )
                table = self._table
        return table

    def _code(self, c: str) -> np.uint32:
        out = self._fn(c)
        return np.uint32(ord(out)) if len(out) == 1 else _NOT_ONE

    def __call__(self, text: str) -> str:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        beyond = codes >= _BMP
        mapped = self.table()[np.where(beyond, 0, codes)]
        if beyond.any():
            for i in np.flatnonzero(beyond):
                mapped[i] = self._code(chr(int(codes[i])))
        if (mapped == _NOT_ONE).any():
            return "".join(map(self._fn, text))  # some character maps to more or fewer
        return mapped.tobytes().decode("utf-32-le", "surrogatepass")
