"""Messages that flow between stages: frozen msgspec structs, the one source of each contract.

A struct's field types and ``Meta`` constraints are what :mod:`pipeline.codec` enforces when
it decodes a record and what :mod:`pipeline.schemas` writes into ``schemas/*.json``; the
docstrings and field descriptions become the schemas' descriptions, so they are written for
publishers and subscribers. Encoding writes every field, defaults included, in the order
declared here. Constructing a struct does not validate; decoding does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypedDict

import msgspec
from msgspec import Meta, Struct

replace = msgspec.structs.replace
astuple = msgspec.structs.astuple

if TYPE_CHECKING:
    _StrOrAbsent: TypeAlias = str | None
else:
    # Decoded as a plain str whose default is None: a field may be left out, but an
    # explicit null is refused (the input contract has always refused "id": null).
    _StrOrAbsent = str

NonNegative = Annotated[int, Meta(ge=0)]
Fraction = Annotated[float, Meta(ge=0, le=1)]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
# Event codes are defined by the rules file; build_ruleset checks each against this too.
EVENT_CODE_PATTERN = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
EventType = Annotated[
    str,
    Meta(
        pattern=EVENT_CODE_PATTERN,
        description="An event code defined by an [[event]] block (its `code`) in "
        "seeds/rules/sanctions.toml, the only list of event types.",
    ),
]
DateSource = Literal["article", "page", "kafka", "none"]
TitleSource = Literal["record", "page", "none"]
# Where a normalized article's language came from: the record's own field, the page's
# markup (html lang, og:locale), the identifier run on the text, or nowhere.
LanguageSource = Literal["record", "page", "detected", "none"]
Severity = Literal["low", "medium", "high", "critical"]
AlertStatus = Literal["new", "update"]
# What a published update brings (docs/rules.md, "Alert updates").
AlertChange = Literal[
    "event_types", "countries", "watchlist", "authorities", "severity", "correction"
]
# Entity labels and pipeline steps are patterns rather than Literals: the code that
# produces them passes plain strings (gazetteer kinds, the wiring's stage names).
EntityLabel = Annotated[
    str,
    Meta(
        pattern=r"^(COUNTRY|LOCATION|ORGANIZATION|PERSON|VESSEL|WATCHLIST|NORP|PRODUCT|EVENT|LAW)$",
        description="NORP: a nationality or group ('Russian', 'Houthi'), with its country "
        "when it is a country's demonym; PRODUCT: weapons, drones, chips, goods.",
    ),
]
# Where an entity came from: a sanctions list, a gazetteer of the project's data
# (countries, places, organisations), a cue rule (title, speech, name form, IMO number),
# or the statistical NER model (docs/entities.md).
EntitySource = Literal["list", "gazetteer", "cue", "model"]
# What a country does in an alert (pipeline/stages/countries.py).
CountryRoleName = Literal[
    "designator", "target", "supplier", "recipient", "intermediary", "location"
]
# What a party does in the evidence sentence, when the text says it.
PartyRole = Literal["designated", "supplier", "recipient", "owner"]
StageName = Annotated[str, Meta(pattern=r"^(normalize|dedupe|tag|flag|route|watchlist)$")]


class InputArticle(Struct, frozen=True):
    """What publishers send to the input topic, JSON encoded (UTF-8). Unknown fields are
    ignored. The plain-text seed format (first line ' date YYYY-MM-DD Title', then the body)
    is accepted too and converted to this shape."""

    title: Annotated[str, Meta(max_length=2000)]
    body: Annotated[str, Meta(min_length=1, description="Plain text or HTML.")]
    id: Annotated[
        _StrOrAbsent,
        Meta(
            min_length=1,
            max_length=256,
            description="Stable article id; derived from the URL or the content when absent.",
        ),
    ] = None
    published_at: Annotated[
        Annotated[str, Meta(max_length=100)] | None,
        Meta(
            description="ISO 8601, RFC 2822 or YYYY-MM-DD; absent: the Kafka record timestamp "
            "is used."
        ),
    ] = None
    source: Annotated[str, Meta(max_length=500)] | None = None
    url: Annotated[str, Meta(max_length=4000)] | None = None
    language: Annotated[
        Annotated[str, Meta(max_length=35)] | None, Meta(description="BCP 47 tag, e.g. 'en'.")
    ] = None


class NormalizedArticle(Struct, frozen=True):
    """Clean text with sentence offsets. text = title + blank line + body; every offset in
    the pipeline indexes into text."""

    id: Annotated[str, Meta(min_length=1)]
    title: str
    body: str
    text: str
    body_start: Annotated[int, Meta(ge=0, description="Offset of the body in text.")]
    sentences: Annotated[
        tuple[tuple[NonNegative, NonNegative], ...],
        Meta(description="[start, end) of each sentence in text; sentence 0 is the title."),
    ]
    published_at: Annotated[str | None, Meta(description="UTC, ISO 8601.")]
    published_at_source: Annotated[DateSource, Meta(description="Where published_at came from.")]
    source: str | None
    url: str | None
    language: Annotated[
        str | None,
        Meta(
            description="ISO 639-1 code (or the record's BCP 47 tag, lower-cased); 'und' "
            "when no language could be told."
        ),
    ]
    fingerprint: Annotated[
        str, Meta(pattern=r"^[0-9a-f]{32}$", description="Hash of the normalized text.")
    ]
    duplicate_of: Annotated[
        str | None,
        Meta(
            description="Id of the earlier story this one nearly duplicates (syndicated copy), "
            "within the dedupe window; null for a new story or before the dedupe step."
        ),
    ] = None
    similarity: Annotated[
        Fraction | None,
        Meta(description="Estimated Jaccard similarity (MinHash) to duplicate_of."),
    ] = None
    language_confidence: Annotated[
        Fraction | None,
        Meta(
            description="Probability the identifier gives language (py3langid, on the title "
            "and the start of the body); null when the language was not identified here."
        ),
    ] = None
    language_source: Annotated[LanguageSource, Meta(description="Where language came from.")] = (
        "none"
    )
    title_source: Annotated[
        TitleSource,
        Meta(description="Where title came from: the record, else the page's markup (HTML)."),
    ] = "none"
    author: Annotated[
        str | None, Meta(description="The byline in the page's markup (HTML bodies only).")
    ] = None
    site_name: Annotated[
        str | None,
        Meta(description="The record's source, else the site name in the page's markup."),
    ] = None
    site_name_source: Annotated[TitleSource, Meta(description="Where site_name came from.")] = (
        "none"
    )
    canonical_url: Annotated[
        str | None,
        Meta(description="The page's canonical URL (link rel=canonical, og:url; HTML only)."),
    ] = None


class Feature(Struct, frozen=True):
    """One feature of a watchlist match's screening score (pipeline/stages/screening.py)."""

    name: str
    weight: Annotated[
        float,
        Meta(
            description="match: the base score; corroboration (sanctions language, the "
            "party's country): added; every other feature: a factor."
        ),
    ]
    detail: str = ""


class Entity(Struct, frozen=True):
    """One tagged mention; text is article.text[start:end]."""

    label: EntityLabel
    id: str
    text: str
    start: NonNegative
    end: NonNegative
    sentence: NonNegative
    name: str | None = None
    country: str | None = None
    dataset: Annotated[
        str | None, Meta(description="WATCHLIST: datasets and programmes, comma-separated.")
    ] = None
    score: float | None = None
    match: Annotated[
        str | None,
        Meta(
            description="How it matched: exact, transliteration, reordered, weak alias, "
            "imo number, title cue."
        ),
    ] = None
    features: Annotated[
        tuple[Feature, ...] | None,
        Meta(description="WATCHLIST: the features that decided the score."),
    ] = None
    source: Annotated[EntitySource, Meta(description="Where the entity came from.")] = "gazetteer"


def is_country(e: Entity) -> bool:
    """A country, or a country's demonym ("Russian", "North Korean": NORP with its country)."""
    return e.label == "COUNTRY" or (e.label == "NORP" and e.country is not None)


class WatchlistMention(TypedDict):
    """A watchlist party named in the article, with its number of mentions."""

    id: str
    name: str | None
    mentions: int
    score: float | None


class Summary(TypedDict):
    """Article-level summary."""

    countries: Annotated[
        dict[str, Annotated[int, Meta(ge=1)]],
        Meta(description="ISO alpha-2 -> mentions (countries and places in them)."),
    ]
    watchlist: list[WatchlistMention]


class TaggedArticle(Struct, frozen=True):
    """A normalized article with its entities and their summary."""

    article: NormalizedArticle
    entities: tuple[Entity, ...]
    summary: Summary | None = None
    candidates: Annotated[
        tuple[Entity, ...],
        Meta(
            description="Watchlist names found in the text that scored below the screening "
            "threshold: not parties of the article, kept with their score and features."
        ),
    ] = ()


class Evidence(Struct, frozen=True):
    """A rule hit: the sentence that triggered it; text is article.text[start:end]."""

    event_type: EventType
    rule: str
    text: str
    start: NonNegative
    end: NonNegative
    sentence: NonNegative
    trigger: str


class WatchlistHit(Struct, frozen=True):
    """A sanctioned party named in the article."""

    id: str
    name: str
    dataset: str
    matched: str
    score: float
    features: tuple[Feature, ...] = ()


class Source(Struct, frozen=True):
    """One article behind an alert."""

    article_id: str
    title: str
    url: str | None
    published_at: str | None
    score: float
    revision: Annotated[
        int,
        Meta(
            ge=1,
            description="The alert's revision once this article was counted: the one it "
            "published, or the last one published before it when it changed nothing.",
        ),
    ] = 1
    position: Annotated[
        int,
        Meta(ge=1, description="1 for the article that raised the alert, +1 per article since."),
    ] = 1
    language: Annotated[
        str | None,
        Meta(description="The article's language (ISO 639-1), as the normalize stage gave it."),
    ] = None


class Party(Struct, frozen=True):
    """A person, organisation, vessel or product named in an alert's evidence sentences."""

    name: str
    label: EntityLabel
    source: EntitySource
    sentence: NonNegative
    start: NonNegative
    end: NonNegative
    role: Annotated[
        PartyRole | None,
        Meta(description="What the evidence sentence says the party does, if it says."),
    ] = None
    watchlist_id: Annotated[
        str | None, Meta(description="The watchlist entry the party screened as, if any.")
    ] = None
    score: Annotated[
        float | None, Meta(description="The watchlist screening score, with watchlist_id.")
    ] = None
    match: Annotated[
        str | None, Meta(description="How the watchlist name matched, with watchlist_id.")
    ] = None


class CountryRole(Struct, frozen=True):
    """A country in an alert with what the text says it does there."""

    country: CountryCode
    role: Annotated[
        CountryRoleName,
        Meta(
            description="designator: the state acting (a measure, an enforcement action); "
            "target: the sanctioned state, a listed party's country or the one a measure is "
            "against; supplier, recipient: the ends of a flow; intermediary: where goods or "
            "money pass; location: where parties are based."
        ),
    ]
    sentence: Annotated[NonNegative, Meta(description="The sentence that gives the role.")]


class Flow(Struct, frozen=True):
    """Something (arms, troops) moving from a supplier to a recipient country."""

    supplier: str
    recipient: str
    sentence: NonNegative


class Alert(Struct, frozen=True):
    """Keyed by alert_id. One alert per event: who acted (authority or supplier), what
    kind of action, against which sanctioned actors, within the update window. A later
    article about the same event (a copy, a follow-up, a reaction) is counted into the
    alert; the alert is published again (status 'update', revision + 1) only when the
    article changes it materially: a new event type, country, watchlist party or
    authority, or a higher severity. Every article behind the alert is published once on
    the sources topic (news.alerts.sources), keyed by alert_id."""

    alert_id: str
    article_id: str
    title: str
    url: str | None
    published_at: str | None
    event_types: Annotated[tuple[EventType, ...], Meta(min_length=1)]
    countries: Annotated[
        tuple[CountryCode, ...],
        Meta(description="ISO 3166-1 alpha-2 codes of the countries involved."),
    ]
    watchlist: tuple[WatchlistHit, ...]
    score: Fraction
    severity: Severity
    evidence: Annotated[tuple[Evidence, ...], Meta(min_length=1)]
    flows: Annotated[
        tuple[Flow, ...],
        Meta(description="Supplier -> recipient pairs the evidence states (ISO alpha-2)."),
    ]
    quantities: Annotated[
        tuple[str, ...],
        Meta(description='Quantities quoted in the evidence sentences ("nine million rounds").'),
    ]
    rule_version: str
    status: Annotated[
        AlertStatus,
        Meta(
            description="new: the first alert about this event; update: a later article "
            "changed it materially (same alert_id, higher revision)."
        ),
    ] = "new"
    revision: Annotated[
        int,
        Meta(ge=1, description="1 for a new alert, +1 for each published (material) update."),
    ] = 1
    sources: Annotated[
        tuple[Source, ...],
        Meta(
            min_length=1,
            description="The latest articles behind the alert, oldest first: at most "
            "NEWSFLOW_ALERT_LATEST_SOURCES of them; every one is on the sources topic.",
        ),
    ] = ()
    source_count: Annotated[
        int,
        Meta(
            ge=1,
            description="How many articles are behind the alert, this revision's included "
            "(first_seen_at and updated_at are the first and the latest).",
        ),
    ] = 1
    first_seen_at: Annotated[
        str | None, Meta(description="UTC time the alert was first raised.")
    ] = None
    updated_at: Annotated[str | None, Meta(description="UTC time of this revision.")] = None
    duplicate_of: Annotated[
        str | None,
        Meta(description="The article this revision's article nearly duplicates, if any."),
    ] = None
    changed: Annotated[
        tuple[AlertChange, ...],
        Meta(description="What this update brings; empty for a new alert."),
    ] = ()
    language: Annotated[
        str | None,
        Meta(
            description="The language of this revision's article, which its evidence is "
            "in (ISO 639-1), as the normalize stage gave it."
        ),
    ] = None
    country_roles: Annotated[
        tuple[CountryRole, ...],
        Meta(
            description="Each country's roles, with the sentence of each; countries is their union."
        ),
    ] = ()
    parties: Annotated[
        tuple[Party, ...],
        Meta(
            description="The people, organisations, vessels and products in the evidence "
            "sentences: listed or not, each with its source, role and watchlist link."
        ),
    ] = ()


class AlertSource(Struct, frozen=True):
    """One article behind an alert, on the sources topic (news.alerts.sources), keyed by
    alert_id: one record per article, whether it updated the alert or was only counted
    into it. A redelivered article gives the same record again."""

    alert_id: str
    article_id: str
    title: str
    url: str | None
    published_at: str | None
    score: float
    event_types: Annotated[
        tuple[EventType, ...], Meta(description="The event types of this article's own evidence.")
    ]
    position: Annotated[
        int,
        Meta(ge=1, description="1 for the article that raised the alert, +1 per article since."),
    ]
    revision: Annotated[
        int,
        Meta(
            ge=1,
            description="The alert's revision once this article was counted: the one it "
            "published, or the last one published before it.",
        ),
    ]
    published: Annotated[
        bool,
        Meta(description="true when this article published that revision on the alerts topic."),
    ]
    seen_at: Annotated[str, Meta(description="UTC time the article was counted.")]
    duplicate_of: Annotated[
        str | None, Meta(description="The article this one nearly duplicates, if any.")
    ] = None
    language: Annotated[
        str | None,
        Meta(description="The article's language (ISO 639-1), as the normalize stage gave it."),
    ] = None


class DedupeRecord(Struct, frozen=True):
    """What the normalize step hands the dedupe step (internal topic
    ``news.articles.dedupe``): the article and its MinHash signature (hex), if any."""

    article: NormalizedArticle
    sig: str | None = None


class DeadLetter(Struct, frozen=True):
    """A message the pipeline could not process, with its original bytes (base64)."""

    stage: StageName
    reason: Annotated[str, Meta(pattern=r"^[a-z_]+(\.[A-Za-z0-9_]+)*$")]
    error: str
    source_topic: str
    partition: int | None
    offset: int | None
    timestamp_ms: int | None
    key_b64: str | None
    original_b64: Annotated[str, Meta(extra_json_schema={"contentEncoding": "base64"})]
    original_size: NonNegative
    failed_at: str
    original_sha256: Annotated[
        str, Meta(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the whole original.")
    ] = ""
    original_truncated: Annotated[
        bool,
        Meta(
            description="true when original_b64 holds only the first 512 KiB of a larger "
            "original (input.too_large); such a letter cannot be replayed."
        ),
    ] = False


def asdict(struct: Struct) -> dict[str, Any]:
    """The struct's fields as a dict, nested structs as dicts too (``dataclasses.asdict``)."""
    return {name: _plain(getattr(struct, name)) for name in struct.__struct_fields__}


def _plain(value: Any) -> Any:
    if isinstance(value, Struct):
        return asdict(value)
    if isinstance(value, tuple | list):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


__all__ = [
    "EVENT_CODE_PATTERN",
    "Alert",
    "AlertChange",
    "AlertSource",
    "DeadLetter",
    "Entity",
    "Evidence",
    "Flow",
    "InputArticle",
    "NormalizedArticle",
    "Source",
    "Summary",
    "TaggedArticle",
    "WatchlistHit",
    "WatchlistMention",
    "asdict",
    "astuple",
    "replace",
]
