"""The error tree. Bad input is data, not a crash.

::

    PipelineError
    ├── RejectedMessage        this message only: dead-letter it, commit, go on
    │   ├── DecodeFailed       not UTF-8, not JSON, too large, empty
    │   ├── SchemaViolation    valid JSON that fails schemas/ (carries the JSON path)
    │   └── StageRejected      a stage refused the message (stable reason code)
    └── FatalError             configuration or data files broken: stop loudly

Every ``RejectedMessage`` has a stable, low-cardinality ``reason`` code such as
``decode.json`` or ``schema.title``; it is used as a metric label and in dead letters.
:data:`REASONS` lists every code with its meaning (a unit test checks that each code
raised in ``pipeline/`` is in it; ``docs/reference/reason-codes.md`` is generated from it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Every dead-letter reason code and what it means. A key ending in ``.*`` is a family:
#: any code with that prefix and a non-empty suffix (``schema.title``, ``bug.KeyError``).
REASONS: Mapping[str, str] = MappingProxyType(
    {
        "input.too_large": "the raw record is larger than `NEWSFLOW_MAX_MESSAGE_BYTES`",
        "input.empty": "the record has no bytes, or the article's body is empty after cleaning",
        "input.too_long": "the cleaned body is longer than `NEWSFLOW_MAX_BODY_CHARS`",
        "decode.utf8": "the record's bytes are not UTF-8",
        "decode.json": "the record is neither JSON nor the seed text format",
        "schema.*": "valid JSON that fails the message schema; the suffix names the first "
        "offending field (`schema.root`: the record as a whole has the wrong shape)",
        "bug.*": "a stage raised an exception it should not have; the suffix is the "
        "exception's class name (the input is kept so it can be replayed after a fix)",
        "watchlist.invalid": "a live watchlist record that is not a FollowTheMoney entity",
    }
)


def is_known_reason(code: str) -> bool:
    """Whether ``code`` is in :data:`REASONS`, itself or as a member of a ``.*`` family."""
    if code.endswith(".*"):
        return False  # a family's key names the family, not a code
    if code in REASONS:
        return True
    family, dot, suffix = code.partition(".")
    return bool(dot and suffix) and f"{family}.*" in REASONS


class PipelineError(Exception):
    """Base of every error newsflow raises on purpose."""


class RejectedMessage(PipelineError):
    """This one message cannot be processed; the worker dead-letters it and goes on."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class DecodeFailed(RejectedMessage):
    """The bytes are not a decodable article (encoding, JSON syntax, size, emptiness)."""


class SchemaViolation(RejectedMessage):
    """The JSON decodes but violates the message schema; ``reason`` is ``schema.<field>``."""

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"schema.{field}", detail)
        self.field = field


class StageRejected(RejectedMessage):
    """A stage refused the message for a reason of its own."""


class FatalError(PipelineError):
    """The run cannot go on: bad configuration, unreadable rule or watchlist data."""
