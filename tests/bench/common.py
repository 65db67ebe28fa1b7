"""What every benchmark shares: where results go, writing them, a process's memory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

OUT = Path(__file__).resolve().parent / "out"


def write_json(path: Path | None, data: Any) -> None:
    """``data`` as indented JSON at ``path`` (nothing when ``path`` is None)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (``/proc/<pid>/statm``)."""
    with Path(f"/proc/{pid}/statm").open() as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
