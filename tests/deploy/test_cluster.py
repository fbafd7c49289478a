"""The chart against a real API server: strict server-side apply, then install, roll out on fake nodes,
upgrade and uninstall with helm; and the plain manifests (kustomize) that teams without Helm apply."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from schemas.topics import TOPIC_SPECS
from tests.deploy.cluster import CHART, ROOT, Cluster, Tools
from tests.deploy.conftest import PRODUCTION_VALUES, TLOG_VALUES, by_kind, render

pytestmark = pytest.mark.k8s

RELEASE = "hiring-pipeline"  # full name = release name: objects are hiring-pipeline-<component>
KUSTOMIZE = ROOT / "deploy" / "kustomize"


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A fresh namespace with the Secrets that Strimzi would have written; deleted afterwards."""
    name = f"hp-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    secrets = [_secret("my-cluster-cluster-ca-cert", {"ca.crt": "not a real CA"})]
    secrets.append(_secret("hiring-pipeline-kek", {"kek": "not a real key"}))  # production values mount it
    secrets += [
        _secret(f"{RELEASE}-{c}", {"password": "not a real password"}) for c in ("interview", "decision")
    ]
    cluster.apply_objects(secrets, "-n", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


def _secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION_VALUES)]], ids=["default", "production"])
def test_rendered_chart_applies_server_side_with_strict_validation(
    cluster: Cluster, tools: Tools, namespace: str, values: list[str]
) -> None:
    objects = render(tools, *values, namespace=namespace)
    out = cluster.apply_objects(objects, "-n", namespace, "--dry-run=server")
    assert out.count("serverside-applied") == len(objects), out


def test_server_rejects_what_a_schema_check_would_miss(
    cluster: Cluster, tools: Tools, namespace: str
) -> None:
    objects = render(tools, namespace=namespace)
    (deployment, *_) = by_kind(objects, "Deployment")
    deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] = "other"
    (topic, *_) = by_kind(objects, "KafkaTopic")
    topic["spec"]["partitions"] = 0  # the Strimzi CRD says minimum 1
    for broken in (deployment, topic):
        args = ["apply", "--server-side", "--validate=strict", "-n", namespace, "--dry-run=server", "-f", "-"]
        done = cluster.run("kubectl", *args, stdin=yaml.safe_dump(broken), check=False)
        assert done.returncode != 0
        assert "Invalid value" in done.stderr


COMPONENTS = ("interview", "decision-projector", "decision-candidacy", "decision-query")
"""The chart's Deployments: the interview service and the decision roles (ADR 0016)."""


def _rollout(cluster: Cluster, namespace: str) -> None:
    for component in COMPONENTS:
        cluster.kubectl("rollout", "status", f"deployment/{RELEASE}-{component}", "-n", namespace,
                        "--timeout", "120s")  # fmt: skip


def _pods(cluster: Cluster, namespace: str, component: str) -> list[dict[str, Any]]:
    selector = f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/component={component}"
    items: list[dict[str, Any]] = cluster.get_json("pods", "-n", namespace, "-l", selector)["items"]
    return [p for p in items if "deletionTimestamp" not in p["metadata"]]


def _env(pod: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in pod["spec"]["containers"][0]["env"]}


def _leftovers(cluster: Cluster, namespace: str) -> list[str]:
    """Every object in the namespace that carries the release's instance label."""
    kinds = cluster.kubectl("api-resources", "--verbs=list", "--namespaced", "-o", "name").stdout.split()
    kinds = [k for k in kinds if k not in ("events", "events.events.k8s.io")]
    selector = f"app.kubernetes.io/instance={RELEASE}"
    found = cluster.kubectl("get", ",".join(kinds), "-n", namespace, "-l", selector, "-o", "name",
                            "--ignore-not-found").stdout  # fmt: skip
    return found.split()


def _settled_leftovers(cluster: Cluster, namespace: str, timeout: float = 90) -> list[str]:
    """Leftovers once the garbage collector has had time to delete ReplicaSets and their pods."""
    deadline = time.monotonic() + timeout
    while (left := _leftovers(cluster, namespace)) and time.monotonic() < deadline:
        if all(name.startswith("kafkatopic") for name in left):
            break
        time.sleep(1)
    return left


def test_install_rolls_out_upgrades_and_uninstalls_cleanly(cluster: Cluster, namespace: str) -> None:
    install = ["--namespace", namespace, "-f", str(TLOG_VALUES), "--set",
               "strimzi.topics.keepOnUninstall=false", "--wait", "--timeout", "3m"]  # fmt: skip
    cluster.helm("install", RELEASE, str(CHART), *install)
    _rollout(cluster, namespace)
    replicas = {"decision-projector": 2, "decision-candidacy": 2, "decision-query": 2}
    assert {c: len(_pods(cluster, namespace, c)) for c in replicas} == replicas
    assert all(p["status"]["phase"] == "Running" for p in _pods(cluster, namespace, "interview"))
    assert len(cluster.get_json("kafkatopics", "-n", namespace)["items"]) == len(TOPIC_SPECS)
    assert len(cluster.get_json("kafkausers", "-n", namespace)["items"]) == 3

    cluster.helm("upgrade", RELEASE, str(CHART), *install, "--set", "decision.projector.replicas=3",
                 "--set", "decision.config.logLevel=DEBUG,kafka.partitions=8",
                 # An empty system: partitions may be added under running writers (ADR 0027).
                 "--set", "kafkaChanges.acknowledgePartitionIncrease=true")  # fmt: skip
    _rollout(cluster, namespace)
    assert len(_pods(cluster, namespace, "decision-projector")) == 3
    decision = [p for c in COMPONENTS[1:] for p in _pods(cluster, namespace, c)]
    assert {_env(p)["DECISION_LOG_LEVEL"] for p in decision} == {"DEBUG"}  # decision.config: every role
    topics = cluster.get_json("kafkatopics", "-n", namespace)["items"]
    # Interview-keyed topics follow kafka.partitions; a fixed count (privacy.keys: 1) stays.
    assert sorted(t["spec"]["partitions"] for t in topics) == sorted(s.partitions or 8 for s in TOPIC_SPECS)
    history = json.loads(cluster.helm("history", RELEASE, "-n", namespace, "-o", "json").stdout)
    assert [h["status"] for h in history] == ["superseded", "deployed"]

    cluster.helm("uninstall", RELEASE, "--namespace", namespace, "--wait", "--timeout", "2m")
    assert _settled_leftovers(cluster, namespace) == []
    assert cluster.helm("list", "-n", namespace, "-q").stdout.strip() == ""


def test_production_install_keeps_kafka_topics_on_uninstall(
    cluster: Cluster, namespace: str, production_objects: list[dict[str, Any]]
) -> None:
    cluster.helm("install", RELEASE, str(CHART), "--namespace", namespace, "-f", str(PRODUCTION_VALUES),
                 "--wait", "--timeout", "3m")  # fmt: skip
    _rollout(cluster, namespace)
    for kind in ("servicemonitors", "scaledobjects", "triggerauthentications", "horizontalpodautoscalers"):
        assert cluster.get_json(kind, "-n", namespace)["items"], kind
    cluster.helm("uninstall", RELEASE, "--namespace", namespace, "--wait")
    kept = _settled_leftovers(cluster, namespace)
    assert len(kept) == len(by_kind(production_objects, "KafkaTopic"))
    assert all(name.startswith("kafkatopic") for name in kept), kept


def test_plain_manifests_are_the_rendered_chart(tools: Tools) -> None:
    base = KUSTOMIZE / "base"
    objects = render(tools, "-f", str(base / "values.yaml"), release="hiring-pipeline", namespace="default")
    committed = [d for d in yaml.safe_load_all((base / "hiring-pipeline.yaml").read_text()) if d]
    topics = [d for d in yaml.safe_load_all((KUSTOMIZE / "topics" / "kafkatopics.yaml").read_text()) if d]
    stale = "deploy/kustomize is stale: run bash deploy/kustomize/render.sh"
    # The KafkaTopics apart (kustomize/topics), so that `kubectl delete -k` of the workloads keeps them.
    assert committed == [o for o in objects if o["kind"] != "KafkaTopic"], stale
    assert topics == by_kind(objects, "KafkaTopic"), stale


def test_kustomize_overlay_builds_and_applies(cluster: Cluster, namespace: str) -> None:
    built = cluster.kubectl("kustomize", str(KUSTOMIZE / "overlays" / "example")).stdout
    objects = [d for d in yaml.safe_load_all(built) if d]
    # Where the Kafka cluster (and its Entity Operator and CA Secret) is.
    assert {o["metadata"].get("namespace") for o in objects} == {"kafka"}
    images = {
        c["image"]
        for d in by_kind(objects, "Deployment")
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert images == {"registry.example.com/platform/hiring-pipeline:0.1.0"}
    for o in objects:
        o["metadata"]["namespace"] = namespace
    out = cluster.apply_objects(objects, "--dry-run=server")
    assert out.count("serverside-applied") == len(objects), out
