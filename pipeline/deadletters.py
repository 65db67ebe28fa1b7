"""Dead letters, pure: building one from a refused record, and choosing letters to
replay (filter by reason, stage and time; decode the original bytes and key).
``newsflow replay-deadletters`` publishes the replay plan."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from pipeline.models import DeadLetter
from pipeline.records import Record

# A dead letter keeps the original bytes up to this size; a larger original (an input
# refused as too large) keeps its first part, its size and its SHA-256.
MAX_ORIGINAL = 512 * 1024


def build_dead_letter(
    record: Record, *, stage: str, reason: str, error: str, failed_at: str
) -> DeadLetter:
    """The dead letter of ``record``, refused by ``stage`` for ``reason``."""
    original, key = record.value, record.key
    return DeadLetter(
        stage=stage,
        reason=reason,
        error=error,
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp_ms=record.timestamp_ms,
        key_b64=base64.b64encode(key).decode() if key is not None else None,
        original_b64=base64.b64encode(original[:MAX_ORIGINAL]).decode(),
        original_size=len(original),
        original_sha256=hashlib.sha256(original).hexdigest(),
        original_truncated=len(original) > MAX_ORIGINAL,
        failed_at=failed_at,
    )


@dataclass
class ReplayPlan:
    """``replay`` maps each source topic to its ``(key, original)`` records, oldest first."""

    replay: dict[str, list[tuple[bytes | None, bytes]]] = field(default_factory=dict)
    truncated: int = 0
    unreadable: int = 0


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def select_for_replay(
    letters: Iterable[bytes],
    *,
    reasons: tuple[str, ...] = (),
    stages: tuple[str, ...] = (),
    since: str | None = None,
) -> ReplayPlan:
    """The ``(key, original bytes)`` of every matching dead letter, by the topic it failed on.

    Raises:
        ValueError: ``since`` is not an ISO 8601 time.
    """
    after = _when(since) if since else None
    plan = ReplayPlan()
    for raw in letters:
        try:
            letter = orjson.loads(raw)
            reason, stage = str(letter["reason"]), str(letter["stage"])
            source = str(letter["source_topic"])
            failed_at = _when(str(letter["failed_at"]))
            original = base64.b64decode(letter["original_b64"], validate=True)
            key = base64.b64decode(letter["key_b64"]) if letter.get("key_b64") else None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error):
            plan.unreadable += 1
            continue
        if reasons and not reason.startswith(reasons):
            continue
        if stages and stage not in stages:
            continue
        if after is not None and failed_at < after:
            continue
        if letter.get("original_truncated"):
            plan.truncated += 1
            continue
        plan.replay.setdefault(source, []).append((key, original))
    return plan


def count(plan: ReplayPlan) -> int:
    return sum(len(v) for v in plan.replay.values())
