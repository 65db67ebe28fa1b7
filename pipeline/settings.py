"""Settings: read once from ``NEWSFLOW_*`` environment variables into one frozen object.

Nothing else in the package reads the environment; the settings object is passed down.
Every variable is listed in the README (section "Settings") with its default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipeline.errors import FatalError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"


def _split_paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())


class Secret:
    """A value that must not be shown: its repr and str hide it; ``reveal()`` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of the pipeline. Build with :meth:`from_env`."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    app_id: str = "newsflow"
    topic_raw: str = "news.articles.raw"
    topic_normalized: str = "news.articles.normalized"
    topic_tagged: str = "news.articles.tagged"
    topic_alerts: str = "news.alerts.sanctions"
    topic_deadletter: str = "news.deadletter"
    topic_watchlist: str = "news.watchlist"
    topic_dedupe: str = "news.articles.dedupe"
    topic_alert_candidates: str = "news.alerts.candidates"
    alert_country_topics: str = "sanctioned"
    alert_update_window_hours: float = 48.0
    dedupe_partitions: int = 1
    dedupe_window_hours: float = 72.0
    dedupe_threshold: float = 0.8
    topic_partitions: int = 6
    topic_replication: int = 1
    max_message_bytes: int = 1024 * 1024
    max_body_chars: int = 500_000
    watchlists: tuple[Path, ...] = field(
        default_factory=lambda: (SEEDS / "watchlists" / "sample.ftm.jsonl",)
    )
    rules: Path = SEEDS / "rules" / "sanctions.toml"
    regimes: Path = SEEDS / "rules" / "regimes.toml"
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9108
    log_level: str = "INFO"
    log_format: str = "auto"
    data_dir: Path = PROJECT_ROOT / ".local" / "worker"
    watchlist_max_age: int = 7 * 24 * 3600
    lag_interval: float = 5.0
    consumer_fetch_bytes: int = 16 * 1024 * 1024
    producer_linger_ms: float = 5.0
    consumer_fetch_wait_ms: float = 50.0
    event_loop: str = "uvloop"
    shutdown_timeout: float = 30.0
    consumer_session_timeout: float = 60.0
    consumer_heartbeat_interval: float = 3.0
    stage_layout: str = "fused"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: Secret = field(default_factory=lambda: Secret(""))
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    kafka_ssl_key_password: Secret = field(default_factory=lambda: Secret(""))
    fault_marker: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``NEWSFLOW_<FIELD>`` variables (upper-case field names) over the defaults.

        Raises:
            FatalError: a variable does not parse (a port that is not a number, say).
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"NEWSFLOW_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            try:
                values[f.name] = _parse(f.name, raw)
            except ValueError as exc:
                raise FatalError(f"NEWSFLOW_{f.name.upper()}={raw!r}: {exc}") from exc
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`FatalError` for values that cannot work."""
        if self.topic_partitions < 1 or self.topic_replication < 1:
            raise FatalError("topic partitions and replication must be at least 1")
        if self.max_message_bytes < 1024:
            raise FatalError("NEWSFLOW_MAX_MESSAGE_BYTES must be at least 1024")
        if not 0 < self.dedupe_threshold <= 1 or self.dedupe_partitions < 1:
            raise FatalError("NEWSFLOW_DEDUPE_THRESHOLD must be in (0, 1], partitions >= 1")
        if self.kafka_security_protocol not in _SECURITY_PROTOCOLS:
            raise FatalError(
                f"NEWSFLOW_KAFKA_SECURITY_PROTOCOL must be one of {_SECURITY_PROTOCOLS}"
            )
        if self.kafka_sasl_mechanism not in _SASL_MECHANISMS:
            raise FatalError(f"NEWSFLOW_KAFKA_SASL_MECHANISM must be one of {_SASL_MECHANISMS}")
        if self.kafka_security_protocol.startswith("SASL") and not self.kafka_sasl_username:
            raise FatalError("SASL needs NEWSFLOW_KAFKA_SASL_USERNAME and _PASSWORD")
        if self.consumer_fetch_bytes < self.max_message_bytes:
            raise FatalError("NEWSFLOW_CONSUMER_FETCH_BYTES must be at least the max message size")
        if self.event_loop not in {"asyncio", "uvloop"}:
            raise FatalError("NEWSFLOW_EVENT_LOOP must be asyncio or uvloop")
        if self.stage_layout not in {"chained", "fused"}:
            raise FatalError("NEWSFLOW_STAGE_LAYOUT must be chained or fused")
        if self.log_format not in {"auto", "json", "console"}:
            raise FatalError("NEWSFLOW_LOG_FORMAT must be auto, json or console")

    @property
    def broker_url(self) -> str:
        """The bootstrap servers in faust's ``kafka://host:port;host:port`` form."""
        return ";".join(f"kafka://{h.strip()}" for h in self.kafka_bootstrap.split(","))

    @property
    def all_topics(self) -> tuple[str, ...]:
        return (
            self.topic_raw,
            self.topic_normalized,
            self.topic_tagged,
            self.topic_alerts,
            self.topic_deadletter,
            self.topic_watchlist,
            self.topic_dedupe,
            self.topic_alert_candidates,
        )

    @property
    def topic_configs(self) -> dict[str, dict[str, str]]:
        """Broker-side configuration of the topics that need one."""
        return {self.topic_watchlist: {"cleanup.policy": "compact"}}

    def country_topic(self, country: str) -> str:
        """The per-country alert topic: ``news.alerts.sanctions.kp``."""
        return f"{self.topic_alerts}.{country.lower()}"

    def alert_countries(self, sanctioned: frozenset[str]) -> tuple[str, ...]:
        """Countries with their own alert topic (``NEWSFLOW_ALERT_COUNTRY_TOPICS``):
        ``sanctioned`` (every sanctioned jurisdiction), ``none``, or a comma list."""
        value = self.alert_country_topics.strip().lower()
        if value == "none":
            return ()
        if value == "sanctioned":
            return tuple(sorted(sanctioned))
        return tuple(sorted({c.strip().upper() for c in value.split(",") if c.strip()}))

    def uses_tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

    def partitions_of(self, topic: str) -> int:
        """Partitions the project creates ``topic`` with."""
        return self.dedupe_partitions if topic == self.topic_dedupe else self.topic_partitions


_INT_FIELDS = {
    "topic_partitions",
    "topic_replication",
    "max_message_bytes",
    "max_body_chars",
    "metrics_port",
    "watchlist_max_age",
    "dedupe_partitions",
    "consumer_fetch_bytes",
}
_FLOAT_FIELDS = {
    "lag_interval",
    "producer_linger_ms",
    "consumer_fetch_wait_ms",
    "shutdown_timeout",
    "consumer_session_timeout",
    "consumer_heartbeat_interval",
    "dedupe_window_hours",
    "dedupe_threshold",
    "alert_update_window_hours",
}
_PATH_FIELDS = {"rules", "regimes", "data_dir"}
_SECRET_FIELDS = {"kafka_sasl_password", "kafka_ssl_key_password"}


def _parse(name: str, raw: str) -> object:
    if name in _INT_FIELDS:
        return int(raw)
    if name in _FLOAT_FIELDS:
        return float(raw)
    if name in _PATH_FIELDS:
        return Path(raw)
    if name == "watchlists":
        return _split_paths(raw)
    if name in _SECRET_FIELDS:
        return Secret(raw)
    return raw
