"""Prometheus instruments, defined once. Label values are bounded: stage names, outcome
and reason codes, event types, severities, ISO country codes; never ids or free text.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

from pipeline import __version__

STAGES = ("normalize", "tag", "flag")

MESSAGES = Counter(
    "newsflow_messages_total",
    "Messages handled per stage and outcome (ok, deadletter, alert, no_alert).",
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
DEADLETTERS = Counter(
    "newsflow_deadletters_total", "Messages sent to the dead-letter topic.", ["stage", "reason"]
)
ALERTS = Counter(
    "newsflow_alerts_total",
    "Alerts produced, by event type and severity.",
    ["event_type", "severity"],
)
ENTITIES = Counter("newsflow_entities_total", "Entities tagged, by label.", ["label"])
WATCHLIST_SIZE = Gauge("newsflow_watchlist_entries", "Entries in the loaded sanctions watchlist.")
WATCHLIST_LOADED = Gauge(
    "newsflow_watchlist_loaded_timestamp_seconds", "When the watchlist was last loaded."
)
BUILD = Info("newsflow_build", "Version of the running newsflow worker.")
BUILD.info({"version": __version__})
