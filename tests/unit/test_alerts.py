"""The alert lifecycle (pipeline/stages/alerts.py): one alert per event, published again
only on a material change, every source on its own record, bounded state, replays."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest

from pipeline.models import Alert, Evidence, Flow, WatchlistHit, replace
from pipeline.resources import Stages
from pipeline.runner import MemoryRunner
from pipeline.settings import Settings
from pipeline.stages.alerts import (
    SNAPSHOTS,
    OpenAlerts,
    Policy,
    Routed,
    action_of,
    actor_key,
    merge,
)
from tests.single import run_one

SEV = (("critical", 0.95), ("high", 0.85), ("medium", 0.7))
POLICY = Policy(
    window_seconds=3600,
    latest_sources=3,
    replay_memory=5,
    severity_thresholds=SEV,
    designators=frozenset({"US", "EU", "GB"}),
)


def _alert(
    article_id: str,
    types: tuple[str, ...] = ("arms_transfer",),
    countries: tuple[str, ...] = ("KP", "RU"),
    *,
    score: float = 0.7,
    flows: tuple[Flow, ...] = (),
    watchlist: tuple[WatchlistHit, ...] = (),
    duplicate_of: str | None = None,
) -> Alert:
    """A candidate as flag makes it: one evidence sentence per event type, in order."""
    evidence = tuple(
        Evidence(t, f"{t}/rule", "A sentence.", 0, 11, i, "trigger") for i, t in enumerate(types)
    )
    return Alert(
        f"alert-{article_id}",
        article_id,
        f"Title {article_id}",
        None,
        None,
        types,
        countries,
        watchlist,
        score,
        "medium",
        evidence,
        flows,
        (),
        "v",
        duplicate_of=duplicate_of,
    )


def _run(candidates: list[Alert], policy: Policy = POLICY, step: float = 60.0) -> list[Routed]:
    """Merge ``candidates`` in turn, ``step`` seconds apart, through a JSON round trip of
    the state (as the worker's table keeps it)."""
    state: OpenAlerts = []
    out = []
    for i, candidate in enumerate(candidates):
        routed = merge(state, candidate, now=i * step, policy=policy)
        state = orjson.loads(orjson.dumps(routed.open_alerts))
        out.append(routed)
    return out


# --- one alert per event: pairs of invented articles, through the real flag step -------

ARTICLES = {
    "us": (
        "US sanctions Russian arms suppliers",
        "The US Treasury imposed sanctions on 20 Russian companies supplying the military, "
        "officials said on Tuesday. The designations freeze any assets the firms hold in "
        "the United States.",
    ),
    "us-copy": (
        "Washington sanctions 20 Russian military suppliers",
        "On Tuesday Washington imposed sanctions on 20 Russian firms that supply the armed "
        "forces. Any assets those firms hold in the United States are frozen, the Treasury "
        "said.",
    ),
    "reaction": (
        "Moscow condemns new sanctions",
        "Russia condemned the new sanctions on its companies on Wednesday and vowed to "
        "respond. The Kremlin said the sanctions against Russian firms would fail.",
    ),
    "eu": (
        "EU sanctions Russian arms suppliers",
        "The European Union imposed sanctions on 20 Russian companies supplying the "
        "military, officials said on Tuesday. The listings freeze any assets the firms hold "
        "in the bloc.",
    ),
    "seizure": (
        "US seizes tanker carrying Russian oil",
        "US authorities seized an oil tanker carrying Russian crude in breach of sanctions, "
        "the Justice Department said. The vessel was seized off the coast of Greece and its "
        "cargo was confiscated.",
    ),
    "shells": (
        "North Korea ships shells to Russia",
        "North Korea has shipped artillery shells to Russia, South Korea's military said on "
        "Monday. The munitions crossed the border by rail.",
    ),
    "shells-again": (
        "More North Korean shells for Moscow",
        "North Korea sent another consignment of artillery shells to Russia by rail, "
        "officials in Seoul said on Thursday.",
    ),
    "air-defence": (
        "Russia supplies air defence to North Korea",
        "Russia has supplied air defence systems to North Korea in return for the shells, "
        "South Korea's spy agency said on Friday.",
    ),
}


@pytest.fixture(scope="module")
def flagged(stages: Stages, settings: Settings) -> dict[str, Alert]:
    out = {}
    for key, (title, body) in ARTICLES.items():
        raw = orjson.dumps({"id": key, "title": title, "body": body})
        alert = run_one(raw, stages, settings).alert
        assert alert is not None, key
        out[key] = alert
    return out


def _policy(stages: Stages) -> Policy:
    return dataclasses.replace(
        POLICY, designators=stages.rules.designators, families=stages.rules.families
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("us", "us-copy"),  # the same designation reported by another outlet
        ("us", "reaction"),  # the target's reaction names no authority: joins
        ("shells", "shells-again"),  # a follow-up of the same supply
    ],
)
def test_a_copy_a_follow_up_or_a_reaction_joins_the_alert_of_its_event(
    flagged: dict[str, Alert], stages: Stages, first: str, second: str
) -> None:
    a, b = flagged[first], flagged[second]
    assert actor_key(a, stages.rules.sanctioned) == actor_key(b, stages.rules.sanctioned)
    opened, joined = _run([a, b], _policy(stages))
    assert opened.alert is not None
    assert joined.source.alert_id == opened.alert.alert_id
    assert joined.source.position == 2
    assert len(joined.open_alerts) == 1


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        ("us", "eu", "another authority designates the same state"),
        ("us", "seizure", "another kind of action: a seizure after a designation"),
        ("shells", "air-defence", "another supplier: the supply in the other direction"),
    ],
)
def test_a_distinct_action_on_the_same_actors_opens_its_own_alert(
    flagged: dict[str, Alert], stages: Stages, first: str, second: str, why: str
) -> None:
    a, b = flagged[first], flagged[second]
    assert actor_key(a, stages.rules.sanctioned) == actor_key(b, stages.rules.sanctioned), why
    opened, other = _run([a, b], _policy(stages))
    assert opened.alert is not None
    assert other.alert is not None, why
    assert (other.alert.status, other.alert.alert_id) == ("new", b.alert_id)
    assert other.alert.alert_id != opened.alert.alert_id
    assert len(other.open_alerts) == 2


def test_an_article_naming_no_actor_joins_the_latest_alert_of_its_kind(
    flagged: dict[str, Alert], stages: Stages
) -> None:
    us, eu, reaction = _run([flagged["us"], flagged["eu"], flagged["reaction"]], _policy(stages))
    assert us.alert is not None
    assert eu.alert is not None
    assert reaction.source.alert_id == eu.alert.alert_id


def test_the_kind_of_action_is_that_of_the_lead_evidence(
    flagged: dict[str, Alert], stages: Stages
) -> None:
    families = stages.rules.families
    # designation first, freeze as its effect
    assert action_of(flagged["us"], families) == "measure"
    assert action_of(flagged["seizure"], families) == "enforcement"
    assert action_of(flagged["shells"], families) == "military_support"


def test_an_event_without_a_family_in_the_rules_is_a_family_of_its_own(stages: Stages) -> None:
    families = stages.rules.families
    assert set(families) == set(stages.rules.event_types)
    assert families["cyber_theft"] == "cyber_theft"
    assert families["arms_transfer"] == families["troop_deployment"]


def test_a_near_duplicate_joins_the_alert_of_the_article_it_copies() -> None:
    # the copy's wording changed the kind of action its lead shows; the copy still joins
    first = _alert("a", ("sanctions_designation",), ("RU", "US"))
    other = _alert("b", ("asset_freeze",), ("RU", "US"))
    copy = _alert("c", ("asset_freeze",), ("RU", "US"), duplicate_of="a")
    opened, seizure, copied = _run([first, other, copy])
    assert seizure.alert is not None
    assert seizure.alert.status == "new"
    assert opened.alert is not None
    assert copied.source.alert_id == opened.alert.alert_id


# --- material changes ---------------------------------------------------------------------


def test_an_update_is_published_only_on_a_material_change() -> None:
    rows = _run(
        [
            _alert("a"),
            _alert("b"),  # same types, countries, severity: counted only
            _alert("c", ("arms_transfer", "troop_deployment")),  # a new event type
            _alert("d", countries=("KP", "RU", "CN")),  # a new country
            _alert("e", score=0.72),  # a higher score, the same severity: counted only
            _alert("f", score=0.9),  # severity up: medium -> high
            _alert("g", watchlist=(WatchlistHit("p-1", "Party", "ds", "Party", 1.0),)),
            _alert("h", countries=("KP", "RU", "US")),  # a new authority (and country)
            _alert("i", score=0.8),
        ]
    )
    published = [r.alert for r in rows]
    changed = [a.changed if a is not None else None for a in published]
    assert changed == [
        (),
        None,
        ("event_types",),
        ("countries",),
        None,
        ("severity",),
        ("watchlist",),
        ("countries", "authorities"),
        None,
    ]
    revisions = [a.revision for a in published if a is not None]
    assert revisions == [1, 2, 3, 4, 5, 6]
    assert {r.source.alert_id for r in rows} == {"alert-a"}
    assert [r.source.position for r in rows] == list(range(1, 10))
    # a counted source belongs to the last published revision; the next update counts it
    assert [r.source.revision for r in rows] == [1, 1, 2, 3, 3, 4, 5, 6, 6]
    assert [r.source.published for r in rows] == [a is not None for a in published]
    last = published[7]
    assert last is not None
    assert last.source_count == 8
    assert last.score == 0.9
    assert last.severity == "high"
    assert last.event_types == ("arms_transfer", "troop_deployment")
    assert last.countries == ("KP", "RU", "CN", "US")


def test_an_alert_record_lists_only_the_latest_sources() -> None:
    final = _run([*(_alert(f"s{i}") for i in range(8)), _alert("z", score=0.9)])[-1].alert
    assert final is not None
    assert [s.article_id for s in final.sources] == ["s6", "s7", "z"]
    assert [s.position for s in final.sources] == [7, 8, 9]
    assert final.source_count == 9
    assert final.first_seen_at == "1970-01-01T00:00:00Z"
    assert final.updated_at == "1970-01-01T00:08:00Z"


def test_the_state_of_an_alert_stays_bounded_however_many_sources_it_counts() -> None:
    sizes = {}
    for n in (50, 500, 5000):
        state: OpenAlerts = []
        for i in range(n):
            state = merge(
                state, _alert(f"article-{i:06d}"), now=float(i), policy=POLICY
            ).open_alerts
        (entry,) = state
        assert entry["count"] == n
        assert len(entry["seen"]) == POLICY.replay_memory
        assert len(entry["latest"]) == POLICY.latest_sources
        assert len(entry["snapshots"]) <= SNAPSHOTS
        sizes[n] = len(orjson.dumps(state))
    # only the digits of the count and the clock grow
    assert sizes[5000] - sizes[50] < 16, sizes


def test_an_alert_closes_after_the_window_without_articles() -> None:
    first, late = _run([_alert("a"), _alert("b")], step=POLICY.window_seconds + 1)
    assert first.alert is not None
    assert late.alert is not None
    assert (late.alert.status, late.alert.alert_id) == ("new", "alert-b")
    assert len(late.open_alerts) == 1


# --- replays ------------------------------------------------------------------------------


def test_a_redelivered_article_gives_its_records_again_and_is_not_counted_twice() -> None:
    candidates = [_alert("a"), _alert("b"), _alert("c", ("arms_transfer", "proliferation"))]
    rows = _run(candidates)
    state = orjson.loads(orjson.dumps(rows[-1].open_alerts))
    for i, (candidate, original) in enumerate(zip(candidates, rows, strict=True)):
        again = merge(state, candidate, now=i * 60.0, policy=POLICY)
        assert (again.alert, again.source) == (original.alert, original.source)
        state = again.open_alerts
    (entry,) = state
    assert entry["count"] == 3
    nxt = merge(state, _alert("d"), now=200.0, policy=POLICY)
    assert nxt.source.position == 4


def test_a_redelivery_older_than_the_replay_memory_is_counted_again() -> None:
    """The cost of the bounded memory: an article redelivered after ``replay_memory``
    later articles of its alert is taken for a new one."""
    rows = _run([_alert(f"a{i}") for i in range(POLICY.replay_memory + 1)])
    state = rows[-1].open_alerts
    again = merge(state, _alert("a0"), now=400.0, policy=POLICY)
    assert again.source.position == POLICY.replay_memory + 2
    still = merge(state, _alert("a1"), now=60.0, policy=POLICY)
    assert still.source.position == 2


def test_a_redelivered_revision_older_than_the_snapshots_gives_its_source_record_only() -> None:
    # each article a new country: every one publishes a revision
    wide = dataclasses.replace(POLICY, replay_memory=50)
    countries = [f"C{chr(65 + i)}" for i in range(SNAPSHOTS + 2)]
    candidates = [_alert(f"a{i}", countries=("KP", "RU", c)) for i, c in enumerate(countries)]
    rows = _run(candidates, wide)
    assert all(r.alert is not None for r in rows)
    state = rows[-1].open_alerts
    oldest = merge(state, candidates[1], now=60.0, policy=wide)
    assert oldest.alert is None  # revision 2: its snapshot was dropped
    assert oldest.source == rows[1].source
    newest = merge(state, candidates[-1], now=(len(candidates) - 1) * 60.0, policy=wide)
    assert newest.alert == rows[-1].alert


def test_published_alerts_keep_the_candidates_evidence_and_the_alerts_summary() -> None:
    a = _alert("a", flows=(Flow("KP", "RU", 0),))
    b = replace(_alert("b", ("arms_transfer", "troop_deployment")), title="Troops too")
    _, update = _run([a, b])
    assert update.alert is not None
    assert update.alert.title == "Troops too"  # the article that changed it
    assert update.alert.evidence == b.evidence
    assert (update.alert.alert_id, update.alert.status) == ("alert-a", "update")


def test_a_corrected_article_is_a_material_change_and_its_redelivery_is_not() -> None:
    first = _alert("a")
    corrected = replace(
        first,
        evidence=(
            Evidence("arms_transfer", "arms_transfer/rule", "A corrected sentence.", 0, 21, 0, "t"),
        ),
    )
    rows = _run([first, _alert("b"), corrected])
    assert rows[1].alert is None  # the same event, nothing new
    assert rows[2].alert is not None
    assert rows[2].alert.changed == ("correction",)
    assert rows[2].alert.revision == 2
    state = orjson.loads(orjson.dumps(rows[-1].open_alerts))
    again = merge(state, corrected, now=120.0, policy=POLICY)  # redelivered: replayed
    assert (again.alert, again.source) == (rows[2].alert, rows[2].source)
    assert again.open_alerts[0]["count"] == 3


def test_a_story_titled_as_a_correction_is_a_material_change() -> None:
    wire = replace(_alert("w2"), title="CORRECTED-Shells reached Russia by sea")
    rows = _run([_alert("w1"), wire])
    assert rows[1].alert is not None
    assert rows[1].alert.changed == ("correction",)


def test_an_alert_entry_kept_before_content_prints_still_replays() -> None:
    rows = _run([_alert("a"), _alert("b")])
    state = orjson.loads(orjson.dumps(rows[-1].open_alerts))
    for entry in state:
        del entry["prints"]  # as an older worker kept it
    again = merge(state, _alert("a"), now=0.0, policy=POLICY)
    assert again.source == rows[0].source


# --- one alert across languages (issue 18) --------------------------------------------

_EN_DESIGNATION = {
    "id": "x-en",
    "title": "US Treasury sanctions Russian shipping firm Sovcomflot",
    "body": "The U.S. Treasury on Friday imposed sanctions on Sovcomflot, Russia's state "
    "shipping company, over oil shipments above the price cap. The Office of Foreign "
    "Assets Control said the designation freezes any assets of the company in the "
    "United States.",
    "language": "en",
    "published_at": "2026-11-20T10:00:00Z",
}
_RU_DESIGNATION = {
    "id": "x-ru",
    "title": "Минфин США ввел санкции против Совкомфлота",
    "body": "Министерство финансов США в пятницу ввело санкции против Совкомфлота, "
    "государственной судоходной компании России, за перевозки нефти выше ценового "
    "потолка. Активы компании в США заблокированы.",
    "language": "ru",
    "published_at": "2026-11-20T11:00:00Z",
}
_RU_OTHER_PARTY = {
    "id": "x-ru-2",
    "title": "Минфин США ввел санкции против Роснефти",
    "body": "Министерство финансов США в пятницу ввело санкции против Роснефти, "
    "крупнейшей нефтяной компании России. Активы компании в США заблокированы.",
    "language": "ru",
    "published_at": "2026-11-20T12:00:00Z",
}


def _published(settings: Settings, stages: Stages, docs: list[dict[str, str]]) -> list[Any]:
    """The alerts published for ``docs``, fed one a minute to the in-memory runner."""
    runner = MemoryRunner(settings, stages)
    out: list[Any] = []
    for i, doc in enumerate(docs):
        trace = runner.feed(orjson.dumps(doc), timestamp_ms=1_767_225_600_000 + i * 60_000)
        out += [orjson.loads(w.value) for w in trace.on(settings.topic_alerts)]
    return out


def test_a_russian_and_an_english_report_of_one_designation_are_one_alert(
    settings: Settings, stages: Stages
) -> None:
    """Invented texts: once the Russian one tags the listed party (in Cyrillic, declined),
    both have the same actor key and the Russian report is counted into the alert."""
    first, update = _published(settings, stages, [_EN_DESIGNATION, _RU_DESIGNATION])
    assert update["alert_id"] == first["alert_id"]
    assert (first["status"], update["status"]) == ("new", "update")
    sources = [(s["article_id"], s["language"]) for s in update["sources"]]
    assert sources == [("x-en", "en"), ("x-ru", "ru")]
    assert {w["id"] for w in update["watchlist"]} == {"nf-ru-sovcomflot"}


def test_a_russian_report_about_another_party_opens_its_own_alert(
    settings: Settings, stages: Stages
) -> None:
    first, other = _published(settings, stages, [_EN_DESIGNATION, _RU_OTHER_PARTY])
    assert other["alert_id"] != first["alert_id"]
    assert {w["id"] for w in other["watchlist"]} == {"nf-ru-rosneft"}
