"""Generates deploy/grafana/dashboards/newsflow.json (run: python deploy/grafana/dashboard.py).

The dashboard is code so that its queries can be reviewed and tested: tests/integration/
test_observability.py runs every panel's query against a live Prometheus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards" / "newsflow.json"
DS = {"type": "prometheus", "uid": "prometheus"}
W = 'job="newsflow", instance=~"$worker"'
WS = W + ', stage=~"$stage"'


def _panel(
    pid: int,
    title: str,
    targets: list[tuple[str, str]],
    x: int,
    y: int,
    *,
    unit: str = "short",
    kind: str = "timeseries",
    w: int = 12,
    h: int = 8,
    description: str = "",
) -> dict[str, Any]:
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DS, "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


def build() -> dict[str, Any]:
    e2e = f"sum by (le) (rate(newsflow_end_to_end_seconds_bucket{{{W}}}[$__rate_interval]))"
    panels = [
        _panel(
            1,
            "Throughput per stage",
            [
                (
                    f"sum by (stage) (rate(newsflow_messages_total{{{WS}}}[$__rate_interval]))",
                    "{{stage}}",
                ),
            ],
            0,
            0,
            unit="reqps",
            description="Messages handled per second by each stage.",
        ),
        _panel(
            2,
            "Outcomes per stage",
            [
                (
                    "sum by (stage, outcome) "
                    f"(rate(newsflow_messages_total{{{WS}}}[$__rate_interval]))",
                    "{{stage}} {{outcome}}",
                ),
            ],
            12,
            0,
            unit="reqps",
        ),
        _panel(
            3,
            "End-to-end latency (Kafka timestamp to verdict)",
            [
                (f"histogram_quantile(0.50, {e2e})", "p50"),
                (f"histogram_quantile(0.95, {e2e})", "p95"),
                (f"histogram_quantile(0.99, {e2e})", "p99"),
            ],
            0,
            8,
            unit="s",
        ),
        _panel(
            4,
            "Stage time p99",
            [
                (
                    "histogram_quantile(0.99, sum by (stage, le) "
                    f"(rate(newsflow_stage_seconds_bucket{{{WS}}}[$__rate_interval])))",
                    "{{stage}}",
                ),
            ],
            12,
            8,
            unit="s",
        ),
        _panel(
            5,
            "Consumer lag by topic",
            [
                (f"sum by (topic) (newsflow_consumer_lag{{{W}}})", "{{topic}}"),
            ],
            0,
            16,
            description="Records waiting in each input topic for this group.",
        ),
        _panel(
            6,
            "Dead letters by reason",
            [
                (
                    "sum by (stage, reason) "
                    f"(increase(newsflow_deadletters_total{{{WS}}}[$__range]))",
                    "{{stage}} {{reason}}",
                ),
            ],
            12,
            16,
            kind="bargauge",
        ),
        _panel(
            7,
            "Alerts by event type",
            [
                (
                    f"sum by (event_type) (increase(newsflow_alerts_total{{{W}}}[$__range]))",
                    "{{event_type}}",
                ),
            ],
            0,
            24,
            kind="bargauge",
        ),
        _panel(
            8,
            "Alerts by country",
            [
                (
                    f"sum by (country) (increase(newsflow_alert_countries_total{{{W}}}[$__range]))",
                    "{{country}}",
                ),
            ],
            12,
            24,
            kind="bargauge",
        ),
        _panel(
            9,
            "Worker CPU",
            [
                (f"rate(process_cpu_seconds_total{{{W}}}[$__rate_interval])", "{{instance}}"),
            ],
            0,
            32,
            unit="percentunit",
        ),
        _panel(
            10,
            "Worker memory (RSS)",
            [
                (f"process_resident_memory_bytes{{{W}}}", "{{instance}}"),
            ],
            12,
            32,
            unit="bytes",
        ),
        _panel(
            11,
            "Watchlist",
            [
                (f"newsflow_watchlist_entries{{{W}}}", "entries {{instance}}"),
            ],
            0,
            40,
            kind="stat",
            w=6,
            h=4,
        ),
        _panel(
            12,
            "Watchlist age",
            [
                (f"time() - newsflow_watchlist_updated_timestamp_seconds{{{W}}}", "{{instance}}"),
            ],
            6,
            40,
            kind="stat",
            unit="s",
            w=6,
            h=4,
        ),
        _panel(
            13,
            "Workers up",
            [
                (f"sum(up{{{W}}})", "up"),
            ],
            12,
            40,
            kind="stat",
            w=6,
            h=4,
        ),
        _panel(
            14,
            "Bytes in",
            [
                (f"sum(rate(newsflow_bytes_in_total{{{W}}}[$__rate_interval]))", "bytes/s"),
            ],
            18,
            40,
            kind="stat",
            unit="Bps",
            w=6,
            h=4,
        ),
        _panel(
            15,
            "NER model call p99 (NEWSFLOW_NER)",
            [
                (
                    "histogram_quantile(0.99, sum by (le) "
                    f"(rate(newsflow_ner_seconds_bucket{{{W}}}[$__rate_interval])))",
                    "p99",
                ),
                (
                    f"sum(rate(newsflow_ner_seconds_count{{{W}}}[$__rate_interval]))",
                    "calls/s",
                ),
            ],
            0,
            48,
            unit="s",
            description="An agent's wait for the NER model's spans (its own processes).",
        ),
    ]
    return {
        "uid": "newsflow-pipeline",
        "title": "newsflow pipeline",
        "tags": ["newsflow", "kafka"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-30m", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "worker",
                    "label": "worker",
                    "type": "query",
                    "datasource": DS,
                    "query": 'label_values(up{job="newsflow"}, instance)',
                    "refresh": 2,
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {"text": "All", "value": "$__all"},
                },
                {
                    "name": "stage",
                    "label": "stage",
                    "type": "query",
                    "datasource": DS,
                    "query": 'label_values(newsflow_messages_total{job="newsflow"}, stage)',
                    "refresh": 2,
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {"text": "All", "value": "$__all"},
                },
            ]
        },
        "panels": panels,
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=2) + "\n")


if __name__ == "__main__":
    main()
