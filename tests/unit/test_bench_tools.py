"""The benchmark tools' own logic: timing from arrivals, percentiles, the plot."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from pipeline.settings import Settings
from tests.bench.bench_e2e import _drain_rate, _percentiles
from tests.bench.plot import draw
from tests.integration.conftest import Env, Worker


def test_drain_rate_counts_only_records_after_the_first_batch() -> None:
    # 10 records at t=0 (the first batch), then 90 over the next 3 seconds
    arrivals = [(0.0, 0)] * 10 + [(1.0 + i / 30, 0) for i in range(90)]
    assert _drain_rate(arrivals, 100) == pytest.approx(90 / (1.0 + 89 / 30))


def test_drain_rate_refuses_a_run_that_arrived_in_one_batch() -> None:
    with pytest.raises(SystemExit):
        _drain_rate([(5.0, 0)] * 50, 50)
    with pytest.raises(SystemExit):
        _drain_rate([(0.0, 0), (1.0, 0)], 3)  # fewer than asked for


def test_percentiles_of_known_latencies() -> None:
    figures = _percentiles([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert figures["alerts"] == 100
    assert figures["p50_ms"] == pytest.approx(50.5, abs=0.01)
    assert figures["p99_ms"] == pytest.approx(99.0, abs=0.05)
    assert figures["max_ms"] == 100.0


def test_the_plot_draws_what_is_there_and_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "sizes.json").write_bytes(
        orjson.dumps(
            {
                "runs": [
                    {"size": s, "kb_per_second": 3000.0, "articles_per_second": {"chain": c}}
                    for s, c in ((1000, 2000.0), (3000, 900.0), (50_000, 60.0))
                ]
            }
        )
    )
    out = tmp_path / "bench.png"
    draw(tmp_path, out)  # no e2e.json or tagging.json: those panels say so
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000


def test_a_worker_that_never_gets_ready_is_killed_not_left_behind(tmp_path: Path) -> None:
    env = Env({**os.environ}, Settings(), tmp_path)
    never_ready = Worker(env, "sleeper", ("-c", "import time; time.sleep(120)"))
    with pytest.raises(AssertionError, match="not ready"):
        never_ready.start(timeout=1)
    assert never_ready.proc is not None
    assert never_ready.proc.poll() is not None  # it was killed


def test_the_throughput_panel_shows_the_four_hop_yardstick_when_measured() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tests.bench.plot import _throughput

    e2e = {
        "cores": 2,
        "raw_aiokafka": 21000.0,
        "faust_passthrough": 4600.0,
        "faust_chain_passthrough": 2100.0,
        "pipeline_layouts": {"fused": {"articles_per_second": 500.0}},
        "two_workers": {"articles_per_second": 600.0},
    }
    for data, expected in (
        (e2e, True),
        ({k: v for k, v in e2e.items() if "chain" not in k}, False),
    ):
        fig, ax = plt.subplots()
        _throughput(ax, data)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        plt.close(fig)
        assert ("faust no-op\n4 hops" in labels) is expected
        assert "pipeline\nfused" in labels


def test_the_codec_benchmarks_old_path_has_every_field_of_todays_messages() -> None:
    """bench_codec's baseline rebuilds the old dataclass path; a struct field it lacks
    makes the benchmark stop ("records encode differently") instead of measuring."""
    import dataclasses

    import msgspec

    from pipeline import models
    from tests.bench import bench_codec as old

    pairs = [
        (old.OldNormalized, models.NormalizedArticle),
        (old.OldEntity, models.Entity),
        (old.OldTagged, models.TaggedArticle),
        (old.OldEvidence, models.Evidence),
        (old.OldWatchlistHit, models.WatchlistHit),
        (old.OldSource, models.Source),
        (old.OldFlow, models.Flow),
        (old.OldAlert, models.Alert),
    ]
    for dataclass_, struct in pairs:
        assert [f.name for f in dataclasses.fields(dataclass_)] == [
            f.name for f in msgspec.structs.fields(struct)
        ], struct.__name__
