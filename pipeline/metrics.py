"""Prometheus instruments, defined once. Label values are bounded: stage names, outcome
and reason codes, event types, severities, ISO country codes; never ids or free text.
"""

from __future__ import annotations

from collections.abc import Collection

from prometheus_client import Counter, Gauge, Histogram, Info, disable_created_metrics

from pipeline import __version__

STAGES = ("normalize", "dedupe", "tag", "flag", "annotate", "route")

# The *_created series double every counter for no use on a dashboard.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client

MESSAGES = Counter(
    "newsflow_messages_total",
    "Messages handled per stage and outcome (ok, deadletter, alert, no_alert; route: new, "
    "update, counted).",
    ["stage", "outcome"],
)
BYTES_IN = Counter("newsflow_bytes_in_total", "Bytes of raw input records consumed.")
STAGE_SECONDS = Histogram(
    "newsflow_stage_seconds",
    "Time spent in one stage for one message (decode, stage function, encode).",
    ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
END_TO_END_SECONDS = Histogram(
    "newsflow_end_to_end_seconds",
    "From the input record's Kafka timestamp to the alert (or verdict) being produced.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
NER_SECONDS = Histogram(
    "newsflow_ner_seconds",
    "One batch of texts sent to the NER model's process and its spans back (NEWSFLOW_NER; "
    "requests that arrive while it is busy go together in the next batch).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
NER_CHARACTERS = Counter(
    "newsflow_ner_characters_total", "Characters of text the NER model has read."
)
DEADLETTERS = Counter(
    "newsflow_deadletters_total", "Messages sent to the dead-letter topic.", ["stage", "reason"]
)
DELIVERY_FAILURES = Counter(
    "newsflow_delivery_failures_total",
    "Inputs whose output the broker refused after the producer's retries (the worker "
    "stops; the input is replayed on restart).",
    ["stage"],
)
ALERTS = Counter(
    "newsflow_alerts_total",
    "Alerts produced, by event type and severity.",
    ["event_type", "severity"],
)
ALERT_COUNTRIES = Counter(
    "newsflow_alert_countries_total",
    "Alerts produced, by country involved (ISO alpha-2).",
    ["country"],
)
ENTITIES = Counter("newsflow_entities_total", "Entities tagged, by label.", ["label"])
WATCHLIST_SIZE = Gauge("newsflow_watchlist_entries", "Entries in the loaded sanctions watchlist.")
WATCHLIST_UPDATED = Gauge(
    "newsflow_watchlist_updated_timestamp_seconds",
    "When the watchlist data last changed: its newest file, or the last live update.",
)
WATCHLIST_MAX_AGE = Gauge(
    "newsflow_watchlist_max_age_seconds",
    "The age beyond which the watchlist counts as stale (NEWSFLOW_WATCHLIST_MAX_AGE).",
)
WATCHLIST_CAUGHT_UP = Gauge(
    "newsflow_watchlist_caught_up_timestamp_seconds",
    "When this worker had read its watchlist topic to the end and began consuming "
    "articles (0 until then).",
)
WATCHLIST_CATCH_UP_SECONDS = Gauge(
    "newsflow_watchlist_catch_up_seconds",
    "How long reading the watchlist topic to its end took at start-up.",
)
CONSUMER_LAG = Gauge(
    "newsflow_consumer_lag",
    "Records not yet consumed by this worker's group, per assigned input partition.",
    ["topic", "partition"],
)
COMMITTED_OFFSET = Gauge(
    "newsflow_committed_offset",
    "The group's committed offset, per assigned input partition.",
    ["topic", "partition"],
)
END_OFFSET = Gauge(
    "newsflow_end_offset", "The partition's end offset (high watermark).", ["topic", "partition"]
)
BUILD = Info("newsflow_build", "Version of the running newsflow worker.")
BUILD.info({"version": __version__})


def initialise(stages: Collection[str] = STAGES) -> None:
    """Create every known label combination of ``stages`` (those the worker runs) at
    zero, so that rates over the first messages are visible (a series born at its final
    value has no increase)."""
    for stage, outcomes in (
        ("normalize", ("ok", "deadletter")),
        ("dedupe", ("ok", "duplicate", "deadletter")),
        ("tag", ("ok", "deadletter")),
        ("flag", ("alert", "no_alert", "deadletter")),
        ("annotate", ("alert", "no_alert", "deadletter")),
        ("route", ("new", "update", "counted", "deadletter")),
    ):
        if stage not in stages:
            continue
        STAGE_SECONDS.labels(stage)
        for outcome in outcomes:
            MESSAGES.labels(stage, outcome)
