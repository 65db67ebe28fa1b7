"""What a processed record adds to the metrics and the log; every runner calls these.

Metrics are defined in ``metrics.py``; this module only feeds them from a
:class:`~pipeline.topology.Processed`, so the worker and the in-memory runner count the
same things the same way.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pipeline import metrics
from pipeline.models import Alert, TaggedArticle
from pipeline.topology import Processed


def count(processed: Processed) -> None:
    """Messages, stage times, bytes in, entities, alerts and dead letters."""
    runs = processed.runs
    first = runs[0].stage if runs else processed.stage
    if first == "normalize":
        metrics.BYTES_IN.inc(processed.input_bytes)
    for run in runs:
        metrics.STAGE_SECONDS.labels(run.stage).observe(run.seconds)
        metrics.MESSAGES.labels(run.stage, run.outcome).inc()
        value = run.value
        if isinstance(value, TaggedArticle):
            for label, n in Counter(e.label for e in value.entities).items():
                metrics.ENTITIES.labels(label).inc(n)
        elif isinstance(value, Alert) and run.stage == "route" and value.revision == 1:
            for event_type in value.event_types:
                metrics.ALERTS.labels(event_type, value.severity).inc()
            for country in value.countries:
                metrics.ALERT_COUNTRIES.labels(country).inc()
    if processed.reason is not None and processed.stage is not None:
        metrics.MESSAGES.labels(processed.stage, "deadletter").inc()
        metrics.DEADLETTERS.labels(processed.stage, processed.reason).inc()


def log_outcome(log: Any, processed: Processed, **where: Any) -> None:
    """A warning per dead letter (with the traceback when a step raised unexpectedly),
    a debug line per processed record."""
    if processed.reason is None:
        outcome = processed.runs[-1].outcome if processed.runs else "none"
        log.debug("processed", article_id=processed.article_id, outcome=outcome, **where)
        return
    fields = {"stage": processed.stage, "reason": processed.reason, **where}
    if processed.exception is not None:
        log.error(
            "stage raised unexpectedly; dead-lettered",
            exc_info=processed.exception,
            **fields,
        )
    else:
        log.warning("dead-lettered", error=(processed.error or "")[:300], **fields)
