"""Real Prometheus scrapes a real worker: throughput, latency and lag series have data,
and every Grafana panel's query returns data from that Prometheus."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import yaml

from pipeline.corpus import articles
from pipeline.settings import PROJECT_ROOT
from tests.integration.conftest import Env, Worker, free_port, make_env, read_all, wait_for

DEPLOY = PROJECT_ROOT / "deploy"


@pytest.fixture(scope="module")
def observed(broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, str]]:
    """A worker and a Prometheus scraping it every second, after some traffic."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed: run deploy/prometheus/prometheus.sh install"
    workdir = tmp_path_factory.mktemp("observability")
    env = make_env(broker, workdir, NEWSFLOW_LAG_INTERVAL="1")
    assert env.run_cli("topics", "create").returncode == 0
    worker = Worker(env)
    worker.start()

    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(DEPLOY / "prometheus" / "rules.yml")]
    config["scrape_configs"][0]["static_configs"] = [
        {"targets": [f"127.0.0.1:{env.settings.metrics_port}"]}
    ]
    config_path = workdir / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    with (workdir / "prometheus.log").open("wb") as log:
        prom = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url)
        _wait_scraped(url)  # a zero sample first, so the traffic shows as an increase
        raws = [*articles(60, relevant_share=0.5), b"not json at all"]
        data = workdir / "batch.jsonl"
        data.write_bytes(b"\n".join(r for r in raws if r.startswith(b"{")) + b"\n")
        bad = workdir / "bad.txt"
        bad.write_bytes(b"not json at all")
        for path in (data, bad):
            assert env.run_cli("publish", str(path)).returncode == 0
        wait_for(env.settings.topic_tagged, 60, timeout=60)
        _wait_every_panel_has_data(url)  # scrapes after the traffic, so rates have two samples
        yield env, url
    finally:
        prom.terminate()
        prom.wait(30)
        worker.stop()


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("prometheus did not become ready")


def _wait_scraped(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if query(url, 'up{job="newsflow"} == 1') and query(url, "newsflow_messages_total"):
            time.sleep(1.5)
            return
        time.sleep(0.3)
    raise AssertionError("prometheus never scraped the worker")


def _wait_every_panel_has_data(url: str, timeout: float = 30) -> None:
    """Until every dashboard query and recording rule returns data (then the tests look at
    the values); a few scrapes after the traffic, where a fixed sleep waited 12 s."""
    exprs = [expr for _, expr in _panel_queries()]
    exprs += ["newsflow:stage_throughput:rate1m", "newsflow:consumer_lag:sum"]
    deadline = time.monotonic() + timeout
    while not all(query(url, expr) for expr in exprs):
        if time.monotonic() > deadline:
            return  # the tests say which query is empty
        time.sleep(0.5)
    time.sleep(2)  # and two more scrapes, so the last one came after the last alert


def query(url: str, expr: str) -> list[dict[str, Any]]:
    q = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=10) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def _values(result: list[dict[str, Any]]) -> list[float]:
    return [float(r["value"][1]) for r in result]


def test_throughput_latency_and_lag_series_have_data(observed: tuple[Env, str]) -> None:
    _, url = observed
    rates = _values(query(url, "sum by (stage) (rate(newsflow_messages_total[2m]))"))
    assert len(rates) == 5  # normalize, dedupe, tag, flag, route
    assert all(r > 0 for r in rates)
    p99 = _values(
        query(
            url,
            "histogram_quantile(0.99, sum by (le) (rate(newsflow_end_to_end_seconds_bucket[2m])))",
        )
    )
    assert p99
    assert 0 < p99[0] < 30
    assert _values(query(url, "sum(rate(newsflow_end_to_end_seconds_count[2m]))"))[0] > 0
    lag = query(url, "newsflow_consumer_lag")
    assert {r["metric"]["topic"] for r in lag} >= {observed[0].settings.topic_raw}
    committed = _values(query(url, "sum(newsflow_committed_offset)"))
    assert committed[0] > 0
    dead = query(url, "newsflow_deadletters_total")
    assert [r["metric"]["reason"] for r in dead] == ["decode.json"]
    assert _values(query(url, "newsflow_watchlist_entries"))[0] >= 200
    assert _values(query(url, 'up{job="newsflow"}')) == [1.0]


def test_recording_rules_evaluate(observed: tuple[Env, str]) -> None:
    _, url = observed
    assert query(url, "newsflow:stage_throughput:rate1m")
    assert query(url, "newsflow:consumer_lag:sum")


def _panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "newsflow.json").read_text())
    out = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = (
                target["expr"]
                .replace("$worker", ".*")
                .replace("$stage", ".*")
                .replace("$__rate_interval", "30s")
                .replace("$__range", "10m")
            )
            out.append((f"{panel['title']} [{target['refId']}]", expr))
    return out


def test_every_dashboard_query_returns_data(observed: tuple[Env, str]) -> None:
    _, url = observed
    empty = [title for title, expr in _panel_queries() if not query(url, expr)]
    assert empty == []
    assert len(_panel_queries()) >= 14


def test_the_alert_consumer_sees_countries_in_metrics(observed: tuple[Env, str]) -> None:
    env, url = observed
    alerts = read_all(env.settings.topic_alerts)
    countries = {c for a in alerts for c in orjson.loads(a.value)["countries"]}
    metric = {r["metric"]["country"] for r in query(url, "newsflow_alert_countries_total")}
    assert countries
    assert countries == metric


def test_worker_log_lines_are_json_with_stage_and_position(observed: tuple[Env, str]) -> None:
    env, _ = observed
    lines = [
        json.loads(line)
        for line in (env.workdir / "worker.log").read_text().splitlines()
        if line.startswith("{")
    ]
    dead = [rec for rec in lines if rec.get("event") == "dead-lettered"]
    assert dead
    assert {"stage", "topic", "partition", "offset", "reason", "timestamp", "level"} <= set(dead[0])
    assert not any("password" in json.dumps(rec).lower() for rec in lines)
