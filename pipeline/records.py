"""Kafka records as the pipeline's code sees them, whatever read them: the broker (the
worker, the CLI's clients) or the in-memory runner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Record:
    """One record on a topic. An empty ``value`` on the watchlist topic is a deletion."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class Out:
    """A record a step produced, for ``topic`` (the runner picks partition and offset)."""

    topic: str
    key: bytes | None
    value: bytes
