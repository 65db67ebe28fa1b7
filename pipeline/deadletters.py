"""Choosing dead letters to replay (pure): filter by reason, stage and time; decode the
original bytes and key. ``newsflow replay-deadletters`` publishes the result."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson


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
