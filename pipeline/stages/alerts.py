"""Alert repeats: a later article about the same event updates the alert it belongs to.

    candidate Alert + open alerts of its actor key -> (Alert to publish, open alerts)

Two alerts are about the same event when they name the same sanctioned actors (the actor
key: sanctioned countries and watchlist parties) and share an event type, within the
update window; a near-duplicate of an article already behind an alert joins that alert.
The published alert keeps the first alert's id, its ``revision`` grows by one per new
article, ``sources`` lists every article, and ``status`` says ``new`` or ``update``.
Pure functions: the open alerts are JSON-ready dicts that the worker keeps in a table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pipeline.models import Alert, Severity, Source, asdict, replace
from pipeline.stages.sanctions import severity_of

OpenAlerts = list[dict[str, Any]]


def actor_key(alert: Alert, sanctioned: frozenset[str]) -> str:
    """The sanctioned actors of an alert, as a stable string key."""
    actors = sorted(
        {c for c in alert.countries if c in sanctioned} | {w.id for w in alert.watchlist}
    )
    return ",".join(actors) if actors else f"article:{alert.article_id}"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(
    open_alerts: OpenAlerts,
    candidate: Alert,
    *,
    now: float,
    window_seconds: float,
    severity_thresholds: tuple[tuple[Severity, float], ...],
) -> tuple[Alert, OpenAlerts]:
    """The alert to publish for ``candidate`` and the updated open alerts of its key.

    Replaying an article already behind an alert returns that revision again (at-least-
    once delivery produces the same record, not a new revision).
    """
    alive = [a for a in open_alerts if now - float(a["updated"]) <= window_seconds]
    for entry in alive:
        for src in entry["sources"]:
            if src["article_id"] == candidate.article_id:
                published = _as_published(candidate, entry, src["revision"], severity_thresholds)
                return published, alive
    source = (
        asdict(candidate.sources[0])
        if candidate.sources
        else {
            "article_id": candidate.article_id,
            "title": candidate.title,
            "url": candidate.url,
            "published_at": candidate.published_at,
            "score": candidate.score,
        }
    )
    types = set(candidate.event_types)
    for entry in alive:
        ids = {s["article_id"] for s in entry["sources"]}
        if types & set(entry["event_types"]) or candidate.duplicate_of in ids:
            entry["revision"] += 1
            entry["updated"] = now
            entry["event_types"] = sorted(types | set(entry["event_types"]))
            entry["countries"] = list(dict.fromkeys([*entry["countries"], *candidate.countries]))
            entry["score"] = max(float(entry["score"]), candidate.score)
            source["revision"] = entry["revision"]
            entry["sources"].append(source)
            return _as_published(candidate, entry, entry["revision"], severity_thresholds), alive
    source["revision"] = 1
    entry = {
        "alert_id": candidate.alert_id,
        "event_types": sorted(types),
        "first": now,
        "updated": now,
        "revision": 1,
        "countries": list(candidate.countries),
        "score": candidate.score,
        "sources": [source],
    }
    alive.append(entry)
    return _as_published(candidate, entry, 1, severity_thresholds), alive


def _as_published(
    candidate: Alert,
    entry: dict[str, Any],
    revision: int,
    severity_thresholds: tuple[tuple[Severity, float], ...] = (),
) -> Alert:
    sources = tuple(Source(**s) for s in entry["sources"] if s["revision"] <= revision)
    score = max(s.score for s in sources)
    event_types = tuple(sorted(set(entry["event_types"]) | set(candidate.event_types)))
    return replace(
        candidate,
        alert_id=entry["alert_id"],
        status="new" if revision == 1 else "update",
        revision=revision,
        sources=sources,
        event_types=event_types,
        countries=tuple(dict.fromkeys([*entry["countries"], *candidate.countries])),
        score=round(score, 3),
        severity=severity_of(score, severity_thresholds)
        if severity_thresholds
        else candidate.severity,
        first_seen_at=_iso(float(entry["first"])),
        updated_at=_iso(float(entry["updated"])),
    )
