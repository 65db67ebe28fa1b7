"""The deployment files agree with each other and with the worker's settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from pipeline.settings import PROJECT_ROOT, Settings
from pipeline.topology import describe, uses_model

DEPLOY = PROJECT_ROOT / "deploy"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _compose() -> dict[str, Any]:
    doc = _yaml(PROJECT_ROOT / "docker-compose.yml")
    assert isinstance(doc, dict)
    return doc


def test_compose_has_every_service_and_each_builds_or_pulls() -> None:
    services = _compose()["services"]
    assert {"kafka", "topics", "worker", "prometheus", "grafana"} <= set(services)
    for name, svc in services.items():
        assert "image" in svc or svc.get("build", {}).get("dockerfile") == "deploy/Dockerfile", name
        for dep in svc.get("depends_on", {}):
            assert dep in services, (name, dep)
    assert (PROJECT_ROOT / "deploy" / "Dockerfile").is_file()


def test_compose_mounts_exist_in_the_repository() -> None:
    for name, svc in _compose()["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (PROJECT_ROOT / source).exists(), (name, source)


def test_prometheus_in_compose_scrapes_the_worker_service_on_its_metrics_port() -> None:
    services = _compose()["services"]
    worker_env = services["worker"]["environment"]
    port = int(worker_env.get("NEWSFLOW_METRICS_PORT", Settings().metrics_port))
    assert worker_env["NEWSFLOW_METRICS_HOST"] == "0.0.0.0"
    mounted = {
        v.split(":")[1]: v.split(":")[0]
        for v in services["prometheus"]["volumes"]
        if v.startswith("./")
    }
    config = _yaml(PROJECT_ROOT / mounted["/etc/prometheus/prometheus.yml"])
    targets = [
        t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    ]
    assert targets == [f"worker:{port}"]
    assert f"{port}:{port}" in services["worker"]["ports"]
    assert config["rule_files"] == ["rules.yml"]
    assert "/etc/prometheus/rules.yml" in mounted


def test_local_prometheus_scrapes_the_default_metrics_address() -> None:
    s = Settings()
    config = _yaml(DEPLOY / "prometheus" / "prometheus.yml")
    targets = [
        t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]
    ]
    assert targets == [f"{s.metrics_host}:{s.metrics_port}"]


def test_compose_kafka_listener_is_what_the_worker_is_told() -> None:
    services = _compose()["services"]
    advertised = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    bootstrap = services["worker"]["environment"]["NEWSFLOW_KAFKA_BOOTSTRAP"]
    assert f"PLAINTEXT://{bootstrap}" in advertised.split(",")


def test_grafana_provisioning_points_at_compose_prometheus_and_the_dashboards() -> None:
    services = _compose()["services"]
    source = _yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")
    (ds,) = source["datasources"]
    assert ds["url"] == "http://prometheus:9090"
    assert "9090:9090" in services["prometheus"]["ports"]
    provider = _yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "newsflow.yml")
    path = provider["providers"][0]["options"]["path"]
    mounts = {
        v.split(":")[1]: v.split(":")[0]
        for v in services["grafana"]["volumes"]
        if v.startswith("./")
    }
    assert mounts[path] == "./deploy/grafana/dashboards"
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "newsflow.json").read_text())
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == ds["uid"]


def test_dashboard_json_is_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("dashboard", DEPLOY / "grafana" / "dashboard.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((DEPLOY / "grafana" / "dashboards" / "newsflow.json").read_text())
    assert committed == module.build()


def test_dashboard_structure() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "newsflow.json").read_text())
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"worker", "stage"}
    titles = [p["title"] for p in dashboard["panels"]]
    for wanted in (
        "Throughput per stage",
        "End-to-end latency",
        "Consumer lag",
        "Dead letters by reason",
        "Alerts by event type",
        "Alerts by country",
        "Worker CPU",
        "Worker memory",
    ):
        assert any(t.startswith(wanted) for t in titles), wanted
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip()
            assert 'job="newsflow"' in target["expr"]


def test_k8s_manifests_agree_with_each_other_and_the_settings() -> None:
    k8s = DEPLOY / "k8s"
    kustomization = _yaml(k8s / "kustomization.yaml")
    docs = {name: _yaml(k8s / name) for name in kustomization["resources"]}
    kinds = {d["kind"] for d in docs.values()}
    assert kinds == {"ConfigMap", "Deployment", "Service", "ScaledObject", "PodDisruptionBudget"}
    config = docs["configmap.yaml"]["data"]
    for key in config:
        assert key.removeprefix("NEWSFLOW_").lower() in Settings.__dataclass_fields__, key
    Settings.from_env(config)  # every value parses
    deployment = docs["deployment.yaml"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert docs["service.yaml"]["spec"]["selector"] == labels
    assert docs["pdb.yaml"]["spec"]["selector"]["matchLabels"] == labels
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == int(config["NEWSFLOW_METRICS_PORT"])
    scaled = docs["scaledobject.yaml"]["spec"]
    assert scaled["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    trigger = scaled["triggers"][0]["metadata"]
    assert trigger["consumerGroup"] == config["NEWSFLOW_APP_ID"]
    assert trigger["topic"] == Settings().topic_raw
    assert trigger["bootstrapServers"] == config["NEWSFLOW_KAFKA_BOOTSTRAP"]
    assert scaled["maxReplicaCount"] == int(config["NEWSFLOW_TOPIC_PARTITIONS"])


def _container_env(deployment: dict[str, Any]) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container.get("env", [])}


def test_the_ner_agent_overlay_splits_the_nodes_between_two_groups() -> None:
    overlay = DEPLOY / "k8s-ner-agent"
    kustomization = _yaml(overlay / "kustomization.yaml")
    assert kustomization["resources"][0] == "../k8s"
    for name in [*kustomization["resources"][1:], *(p["path"] for p in kustomization["patches"])]:
        assert (overlay / name).is_file(), name
    config = {
        **_yaml(DEPLOY / "k8s" / "configmap.yaml")["data"],
        **_yaml(overlay / "placement.yaml")["data"],
    }
    flagging = Settings.from_env(
        {**config, **_container_env(_yaml(overlay / "flagging-nodes.yaml"))}
    )
    ner_deployment = _yaml(overlay / "ner-deployment.yaml")
    ner = Settings.from_env({**config, **_container_env(ner_deployment)})
    topology = describe(flagging, frozenset({"KP"}))
    # every node runs in exactly one of the two groups, the model only in the agent's
    assert flagging.nodes | ner.nodes == {n.name for n in topology.nodes}
    assert not flagging.nodes & ner.nodes
    assert not [n for n in topology.only(flagging.nodes).nodes if uses_model(n, flagging)]
    assert [n.name for n in topology.only(ner.nodes).nodes] == ["annotate_alerts"]
    assert ner.app_id != flagging.app_id
    template = ner_deployment["spec"]["template"]
    assert ner_deployment["spec"]["selector"]["matchLabels"] == template["metadata"]["labels"]
    scaled = _yaml(overlay / "ner-scaledobject.yaml")["spec"]
    assert scaled["scaleTargetRef"]["name"] == ner_deployment["metadata"]["name"]
    trigger = scaled["triggers"][0]["metadata"]
    assert trigger["consumerGroup"] == ner.app_id
    assert trigger["topic"] == ner.topic_alert_unannotated
    assert trigger["bootstrapServers"] == config["NEWSFLOW_KAFKA_BOOTSTRAP"]
    assert scaled["maxReplicaCount"] == int(config["NEWSFLOW_TOPIC_PARTITIONS"])
