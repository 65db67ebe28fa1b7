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
"""

from __future__ import annotations


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
