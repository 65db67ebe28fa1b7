"""Alert lifecycle: one alert per event, published again only when an article changes it.

    candidate Alert + open alerts of its actor key
        -> Routed(alert to publish or None, source record, open alerts)

An event is who did what to whom, when (docs/rules.md, "One alert per event"):

- to whom: the sanctioned actors, the actor key (sanctioned countries and watchlist
  parties); the worker's table is keyed by it, so every candidate here shares it;
- did what: the kind of action of the article's lead evidence (:func:`action_of`);
- who: the authorities (designating states the evidence names) and the suppliers (the
  sources of its flows); named and disjoint, they make distinct events; an article that
  names neither cannot be told apart and joins the latest alert of its kind;
- when: within the update window after the alert's latest article.

A near-duplicate of a recent article of an alert joins that alert whatever it says.
An article that joins an alert is counted into it (count, latest sources: kept in the
table) and goes to the sources topic; the alert is published again only on a material
change: a new event type, country, watchlist party or authority, a higher severity, or a
correction (an article counted before that comes again with other content, or a story
titled as a correction).

State stays bounded: an open alert keeps its latest ``latest_sources`` sources, the ids
of its latest ``replay_memory`` articles (a redelivered one gives its records again; an
older one is counted again) and the published form of its latest :data:`SNAPSHOTS`
revisions (a redelivered article whose revision is older gives its source record only:
a later revision, already published, holds everything it brought).
Pure functions over JSON-ready dicts, which the worker keeps in a table.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.models import Alert, AlertChange, AlertSource, Severity, Source, replace
from pipeline.stages.sanctions import severity_of

OpenAlerts = list[dict[str, Any]]

# Published revisions whose exact record a redelivered article can give again.
SNAPSHOTS = 8

_SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass(frozen=True, slots=True)
class Policy:
    """How alerts are merged and how much each one keeps (from the settings and rules)."""

    window_seconds: float
    latest_sources: int
    replay_memory: int
    severity_thresholds: tuple[tuple[Severity, float], ...]
    designators: frozenset[str]
    # event code -> the kind of action it reports (the rules file's `family`); types of
    # one family describe one action (a package that lists firms, cuts banks off SWIFT and
    # bans imports); another family is another action, even against the same actors (a
    # seizure after a designation). A code not listed is a family of its own.
    families: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Routed:
    """What routing makes of a candidate: the alert to publish (``None`` when the
    article was only counted into its alert), its source record, the new open alerts."""

    alert: Alert | None
    source: AlertSource
    open_alerts: OpenAlerts


def actor_key(alert: Alert, sanctioned: frozenset[str]) -> str:
    """The sanctioned actors of an alert, as a stable string key."""
    actors = sorted(
        {c for c in alert.countries if c in sanctioned} | {w.id for w in alert.watchlist}
    )
    return ",".join(actors) if actors else f"article:{alert.article_id}"


def family(event_type: str, families: Mapping[str, str]) -> str:
    """The kind of action an event type reports (the rules file's ``family``)."""
    return families.get(event_type, event_type)


def action_of(alert: Alert, families: Mapping[str, str]) -> str:
    """The kind of action an article reports: the family of its lead evidence (its
    earliest evidence sentence, the headline when that has some). When the lead sentence
    has evidence of several families, the one with the most evidence sentences in the
    article wins; the rules file's order of event types breaks a tie."""
    if not alert.evidence:
        return family(alert.event_types[0], families)
    lead = min(e.sentence for e in alert.evidence)
    weight = Counter(
        family(t, families) for t, _ in {(e.event_type, e.sentence) for e in alert.evidence}
    )
    in_lead = {e.event_type for e in alert.evidence if e.sentence == lead}
    lead_families = dict.fromkeys(family(t, families) for t in alert.event_types if t in in_lead)
    return max(lead_families, key=lambda f: weight[f])


def authorities_of(alert: Alert, designators: frozenset[str]) -> set[str]:
    """The designating states among the alert's countries (flag adds one only when a
    designation, freeze or financial-measure sentence names it, or it ends a flow)."""
    return {c for c in alert.countries if c in designators}


def who_of(alert: Alert, designators: frozenset[str]) -> list[str]:
    """Who acted: the authorities and the suppliers of the alert's flows."""
    return sorted(authorities_of(alert, designators) | {f.supplier for f in alert.flows})


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(open_alerts: OpenAlerts, candidate: Alert, *, now: float, policy: Policy) -> Routed:
    """Route ``candidate`` among the open alerts of its actor key (``open_alerts`` is
    left as it was; the new state is in the result).

    It opens a new alert, is counted into the alert of its event (published again when
    it changes that alert materially), or, when it is an article already counted into
    an open alert (at-least-once delivery), gives that article's records again.
    """
    alive = [a for a in open_alerts if now - float(a["last_seen"]) <= policy.window_seconds]
    content = content_print(candidate)
    corrected = None  # the alert of an article seen before with other content
    for entry in alive:
        known, at = _seen_at(entry, candidate.article_id, content)
        if at is not None:
            return _replayed(entry, candidate, now, alive, at)
        if known and corrected is None:
            corrected = entry
    entry = corrected if corrected is not None else _event_of(alive, candidate, policy)
    if entry is None:
        entry = _open(candidate, now, policy)
        alive.append(entry)
        changes: list[AlertChange] | None = []
    else:
        at = alive.index(entry)
        entry = alive[at] = _copy(entry)
        correction = corrected is not None or bool(_CORRECTION.match(candidate.title))
        changes = _count_in(entry, candidate, now, policy, correction=correction)
    position = int(entry["count"])
    published = changes is not None
    entry["latest"].append(_source(candidate, entry["revision"], position))
    del entry["latest"][: -policy.latest_sources]
    # The ids of the latest articles, oldest first: the last one is at `count`.
    prints = [*_prints(entry), content]
    entry["seen"].append(candidate.article_id)
    del entry["seen"][: -policy.replay_memory]
    entry["prints"] = prints[-len(entry["seen"]) :]
    alert = None
    if changes is not None:
        entry["marks"].append([entry["revision"], position])
        snapshot = _snapshot(entry, changes)
        entry["snapshots"].append(snapshot)
        del entry["snapshots"][:-SNAPSHOTS]
        alert = _as_published(candidate, entry, snapshot)
    _trim_marks(entry)
    record = _source_record(
        candidate,
        entry,
        position=position,
        revision=entry["revision"],
        published=published,
        seen_at=now,
    )
    return Routed(alert, record, alive)


def _copy(entry: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``entry`` that can be changed without changing the caller's."""
    lists = ("latest", "seen", "snapshots")
    entry = {**entry, "prints": _prints(entry)}
    return {**entry, **{k: list(entry[k]) for k in lists}, "marks": [*map(list, entry["marks"])]}


# A wire's correction of an earlier story under a new id: "CORRECTED-...", "Correction: ..."
_CORRECTION = re.compile(r"^\W*correct(ed|ion|s)?\b", re.IGNORECASE)


def content_print(candidate: Alert) -> str:
    """What identifies an article's content for its alert: its title and the evidence
    quotes (a redelivery has the same; a corrected republication does not)."""
    text = "\n".join([candidate.title, *(e.text for e in candidate.evidence)])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _prints(entry: dict[str, Any]) -> list[str | None]:
    """The content prints of ``entry["seen"]``, one each (None for an article counted by
    a worker that kept none)."""
    prints = list(entry.get("prints") or [])
    seen = len(entry["seen"])
    return [None] * (seen - len(prints)) + prints[-seen:] if seen else []


def _seen_at(entry: dict[str, Any], article_id: str, content: str) -> tuple[bool, int | None]:
    """Was ``article_id`` counted into ``entry``, and at which index of ``seen`` with
    this same content (a redelivery), if any."""
    known, at = False, None
    for i, (seen, printed) in enumerate(zip(entry["seen"], _prints(entry), strict=False)):
        if seen == article_id:
            known = True
            if printed is None or printed == content:
                at = i
    return known, at


def _trim_marks(entry: dict[str, Any]) -> None:
    """Keep the (revision, position) marks that the remembered articles fall under."""
    oldest = int(entry["count"]) - len(entry["seen"]) + 1
    marks = entry["marks"]
    while len(marks) > 1 and marks[1][1] <= oldest:
        del marks[0]


def _revision_at(entry: dict[str, Any], position: int) -> tuple[int, bool]:
    """The revision an article at ``position`` was counted under, and whether it
    published that revision."""
    revision, published = 1, False
    for mark_revision, mark_position in entry["marks"]:
        if mark_position > position:
            break
        revision, published = int(mark_revision), mark_position == position
    return revision, published


def _event_of(alive: OpenAlerts, candidate: Alert, policy: Policy) -> Any:
    """The open alert of ``candidate``'s event, the most recently seen first; or None."""
    by_recency = sorted(alive, key=lambda e: -float(e["last_seen"]))
    copy_of = candidate.duplicate_of
    if copy_of is not None:
        for entry in by_recency:
            if copy_of == entry["origin"] or copy_of in entry["seen"]:
                return entry
    action = action_of(candidate, policy.families)
    who = set(who_of(candidate, policy.designators))
    for entry in by_recency:
        if entry["action"] == action and (not who or not entry["who"] or who & set(entry["who"])):
            return entry
    return None


def _open(candidate: Alert, now: float, policy: Policy) -> dict[str, Any]:
    return {
        "alert_id": candidate.alert_id,
        "origin": candidate.article_id,
        "action": action_of(candidate, policy.families),
        "who": who_of(candidate, policy.designators),
        "first": now,
        "last_seen": now,
        "updated": now,
        "revision": 1,
        "count": 1,
        "event_types": sorted(candidate.event_types),
        "countries": list(candidate.countries),
        "parties": sorted({w.id for w in candidate.watchlist}),
        "authorities": sorted(authorities_of(candidate, policy.designators)),
        "score": candidate.score,
        "severity": severity_of(candidate.score, policy.severity_thresholds),
        "latest": [],
        "seen": [],
        "prints": [],
        "marks": [],
        "snapshots": [],
    }


def _count_in(
    entry: dict[str, Any], candidate: Alert, now: float, policy: Policy, *, correction: bool
) -> list[AlertChange] | None:
    """Count ``candidate`` into its alert; what changed materially, or None if nothing.
    A ``correction`` (an article counted before, now with other content; or a story
    titled as a correction) is a material change of its own."""
    types = set(entry["event_types"])
    countries = entry["countries"]
    parties = set(entry["parties"])
    authorities = set(entry["authorities"])
    score = max(float(entry["score"]), candidate.score)
    severity = severity_of(score, policy.severity_thresholds)
    changes: list[AlertChange] = []
    if set(candidate.event_types) - types:
        changes.append("event_types")
    if any(c not in countries for c in candidate.countries):
        changes.append("countries")
    if {w.id for w in candidate.watchlist} - parties:
        changes.append("watchlist")
    if authorities_of(candidate, policy.designators) - authorities:
        changes.append("authorities")
    if _SEVERITY_RANK[severity] > _SEVERITY_RANK[entry["severity"]]:
        changes.append("severity")
    if correction:
        changes.append("correction")
    entry["count"] += 1
    entry["last_seen"] = now
    entry["score"] = score
    entry["event_types"] = sorted(types | set(candidate.event_types))
    entry["countries"] = list(dict.fromkeys([*countries, *candidate.countries]))
    entry["parties"] = sorted(parties | {w.id for w in candidate.watchlist})
    entry["authorities"] = sorted(authorities | authorities_of(candidate, policy.designators))
    if not entry["who"]:
        entry["who"] = who_of(candidate, policy.designators)
    if not changes:
        return None
    entry["revision"] += 1
    entry["updated"] = now
    entry["severity"] = severity
    return changes


def _source(candidate: Alert, revision: int, position: int) -> dict[str, Any]:
    return {
        "article_id": candidate.article_id,
        "title": candidate.title,
        "url": candidate.url,
        "published_at": candidate.published_at,
        "score": candidate.score,
        "revision": revision,
        "position": position,
        "language": candidate.language,
    }


def _snapshot(entry: dict[str, Any], changes: list[AlertChange]) -> dict[str, Any]:
    """What the published record of the entry's current revision says."""
    return {
        "revision": entry["revision"],
        "count": entry["count"],
        "latest": list(entry["latest"]),
        "event_types": list(entry["event_types"]),
        "countries": list(entry["countries"]),
        "score": entry["score"],
        "severity": entry["severity"],
        "updated": entry["updated"],
        "changed": list(changes),
    }


def _as_published(candidate: Alert, entry: dict[str, Any], snapshot: dict[str, Any]) -> Alert:
    revision = int(snapshot["revision"])
    return replace(
        candidate,
        alert_id=entry["alert_id"],
        status="new" if revision == 1 else "update",
        revision=revision,
        sources=tuple(Source(**s) for s in snapshot["latest"]),
        source_count=int(snapshot["count"]),
        event_types=tuple(snapshot["event_types"]),
        countries=tuple(snapshot["countries"]),
        score=round(float(snapshot["score"]), 3),
        severity=snapshot["severity"],
        first_seen_at=_iso(float(entry["first"])),
        updated_at=_iso(float(snapshot["updated"])),
        changed=tuple(snapshot["changed"]),
    )


def _source_record(
    candidate: Alert,
    entry: dict[str, Any],
    *,
    position: int,
    revision: int,
    published: bool,
    seen_at: float,
) -> AlertSource:
    return AlertSource(
        alert_id=entry["alert_id"],
        article_id=candidate.article_id,
        title=candidate.title,
        url=candidate.url,
        published_at=candidate.published_at,
        score=candidate.score,
        event_types=candidate.event_types,
        position=position,
        revision=revision,
        published=published,
        seen_at=_iso(seen_at),
        duplicate_of=candidate.duplicate_of,
        language=candidate.language,
    )


def _replayed(
    entry: dict[str, Any], candidate: Alert, now: float, alive: OpenAlerts, at: int
) -> Routed:
    """The records an article already counted into ``entry`` (at index ``at`` of its
    ``seen``) gave the first time (a redelivered record carries its first timestamp, so
    ``now`` is what it was then)."""
    position = int(entry["count"]) - len(entry["seen"]) + 1 + at
    revision, published = _revision_at(entry, position)
    alert = None
    if published:
        snapshot = next((s for s in entry["snapshots"] if s["revision"] == revision), None)
        if snapshot is not None:
            alert = _as_published(candidate, entry, snapshot)
    record = _source_record(
        candidate, entry, position=position, revision=revision, published=published, seen_at=now
    )
    return Routed(alert, record, alive)
