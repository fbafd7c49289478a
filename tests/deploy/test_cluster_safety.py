"""Against a real API server (ADR 0027): the production example installs where the Strimzi Entity Operator
watches, with every Secret, ConfigMap and CA its pods mount present; Kafka-level changes are refused (a
partition decrease, also by rollback; a prefix change; a second owner of a topic); NOTES names the
development settings in force; `kubectl delete -k` of the workloads leaves the topics."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.topics import TOPIC_SPECS
from tests.deploy.cluster import CHART, ROOT, Cluster, Tools
from tests.deploy.conftest import PRODUCTION_VALUES, by_kind, render

pytestmark = pytest.mark.k8s

RELEASE = "hiring"
DEV_WARNING = "WARNING: development settings in force"


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    """A fresh, empty namespace; deleted afterwards."""
    name = f"hp-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


def _secret(name: str, data: dict[str, str], kind: str = "Opaque") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": kind,
        "metadata": {"name": name},
        "stringData": data,
    }


# ---- what a pod needs from its namespace ------------------------------------------------------------------


def pod_references(spec: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(kind, name, key or "") of every Secret and ConfigMap a pod spec mounts or reads."""
    found: set[tuple[str, str, str]] = set()
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            found.add(("secret", volume["secret"]["secretName"], ""))
        if "configMap" in volume:
            found.add(("configmap", volume["configMap"]["name"], ""))
        for source in volume.get("projected", {}).get("sources", []):
            for kind in ("secret", "configMap"):
                if kind in source:
                    found.add((kind.lower(), source[kind]["name"], ""))
    for pull in spec.get("imagePullSecrets", []):
        found.add(("secret", pull["name"], ".dockerconfigjson"))
    for container in [*spec.get("initContainers", []), *spec["containers"]]:
        for source in container.get("envFrom", []):
            for kind, field in (("secret", "secretRef"), ("configmap", "configMapRef")):
                if field in source:
                    found.add((kind, source[field]["name"], ""))
        for env in container.get("env", []):
            ref = env.get("valueFrom", {})
            for kind, field in (("secret", "secretKeyRef"), ("configmap", "configMapKeyRef")):
                if field in ref:
                    found.add((kind, ref[field]["name"], ref[field]["key"]))
    return found


def release_references(objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """What the Deployments' pods, KEDA's TriggerAuthentications and the KafkaUsers read."""
    found: set[tuple[str, str, str]] = set()
    for deployment in by_kind(objects, "Deployment"):
        found |= pod_references(deployment["spec"]["template"]["spec"])
    for auth in by_kind(objects, "TriggerAuthentication"):
        found |= {("secret", r["name"], r["key"]) for r in auth["spec"].get("secretTargetRef", [])}
    for user in by_kind(objects, "KafkaUser"):
        ref = user["spec"]["authentication"].get("password", {}).get("valueFrom", {}).get("secretKeyRef")
        if ref:
            found.add(("secret", ref["name"], ref["key"]))
    return found


def missing_in(cluster: Cluster, namespace: str, wanted: set[tuple[str, str, str]]) -> list[str]:
    """The references that do not exist in the namespace (asked of the API server, object by object)."""
    missing = []
    for kind, name, key in sorted(wanted):
        done = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
        if done.returncode != 0:
            missing.append(f"{kind}/{name}")
            continue
        found = yaml.safe_load(done.stdout)
        if key and key not in {**found.get("data", {}), **found.get("binaryData", {})}:
            missing.append(f"{kind}/{name}[{key}]")
    return missing


def act_as_strimzi(cluster: Cluster, watched: str, kafka_cluster: str) -> None:
    """What the Entity Operator of ``kafka_cluster`` does, in the one namespace it watches: a Secret per
    KafkaUser (named like the user, key ``password``)."""
    users = cluster.get_json("kafkausers", "-n", watched)["items"]
    mine = [u for u in users if u["metadata"]["labels"].get("strimzi.io/cluster") == kafka_cluster]
    secrets = [
        _secret(u["metadata"]["name"], {"password": "generated", "sasl.jaas.config": "x"}) for u in mine
    ]
    if secrets:
        cluster.apply_objects(secrets, "-n", watched)


def documented_secrets(text: str, namespace: str) -> list[dict[str, Any]]:
    """The Secrets that ``kubectl -n <namespace> create secret ...`` lines of ``text`` create."""
    found = []
    for kind, name, rest in re.findall(rf"kubectl -n {namespace} create secret (\S+) (\S+)(.*)", text):
        if kind == "docker-registry":
            found.append(_secret(name, {".dockerconfigjson": "{}"}, "kubernetes.io/dockerconfigjson"))
        else:
            keys = re.findall(r"--from-(?:literal|file)=([^=\s]+)=", rest)
            found.append(_secret(name, dict.fromkeys(keys, "documented")))
    return found


def _installed(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    kinds = "deployments,kafkausers,kafkatopics,triggerauthentications"
    items: list[dict[str, Any]] = cluster.get_json(kinds, "-n", namespace)["items"]
    return items


def test_production_example_installs_where_the_entity_operator_watches(
    cluster: Cluster, tools: Tools
) -> None:
    values = yaml.safe_load(PRODUCTION_VALUES.read_text())
    kafka_cluster = values["strimzi"]["cluster"]
    # The namespace of the brokers (host <cluster>-kafka-bootstrap.<namespace>.svc), where Strimzi keeps
    # the cluster CA Secret and its Entity Operator watches: the example must install there.
    host = values["kafka"]["bootstrapServers"].split(":")[0]
    assert host.startswith(f"{kafka_cluster}-kafka-bootstrap."), host
    kafka_namespace = host.split(".")[1]
    header = PRODUCTION_VALUES.read_text().split("\nimage:")[0]
    assert f"-n {kafka_namespace} -f deploy/helm/production-values.yaml" in header
    cluster.kubectl("create", "namespace", kafka_namespace)
    # Strimzi's cluster CA, and exactly the Secrets the example's header tells the operator to create.
    documented = documented_secrets(header, kafka_namespace)
    assert documented, header
    cluster.apply_objects([_secret(f"{kafka_cluster}-cluster-ca-cert", {"ca.crt": "CA"}), *documented],
                          "-n", kafka_namespace)  # fmt: skip
    try:
        install = cluster.helm("install", RELEASE, str(CHART), "-n", kafka_namespace,
                               "-f", str(PRODUCTION_VALUES), "--wait", "--timeout", "3m")  # fmt: skip
        assert DEV_WARNING not in install.stdout
        act_as_strimzi(cluster, kafka_namespace, kafka_cluster)
        objects = _installed(cluster, kafka_namespace)
        wanted = release_references(objects)
        assert ("secret", f"{kafka_cluster}-cluster-ca-cert", "ca.crt") in wanted  # KEDA's CA
        assert {n for k, n, _ in wanted if k == "secret"} >= {f"{RELEASE}-hiring-pipeline-interview"}
        assert missing_in(cluster, kafka_namespace, wanted) == []
        for custom in by_kind(objects, "KafkaTopic") + by_kind(objects, "KafkaUser"):
            assert custom["metadata"]["labels"]["strimzi.io/cluster"] == kafka_cluster
        # The same values in another namespace: Strimzi writes nothing there and the CA is not there.
        elsewhere = render(tools, "-f", str(PRODUCTION_VALUES), namespace="hiring", release=RELEASE)
        act_as_strimzi(cluster, kafka_namespace, kafka_cluster)
        absent = missing_in(cluster, "hiring", release_references(elsewhere))
        assert f"secret/{kafka_cluster}-cluster-ca-cert" in absent
        assert f"secret/{RELEASE}-hiring-pipeline-decision" in absent
    finally:
        cluster.helm("uninstall", RELEASE, "-n", kafka_namespace, check=False)
        cluster.kubectl("delete", "namespace", kafka_namespace, "--wait=false")


def _topic_partitions(cluster: Cluster, namespace: str) -> set[int]:
    topics = cluster.get_json("kafkatopics", "-n", namespace)["items"]
    fixed = {spec.name for spec in TOPIC_SPECS if spec.partitions is not None}  # e.g. privacy.keys: 1
    return {t["spec"]["partitions"] for t in topics if t["spec"]["topicName"] not in fixed}


def _deployments(cluster: Cluster, namespace: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cluster.get_json("deployments", "-n", namespace)["items"]
    return items


def _env(deployment: dict[str, Any]) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_a_partition_decrease_is_refused_also_by_rollback(cluster: Cluster, namespace: str) -> None:
    # No interview pods: adding partitions is then allowed (the next test).
    common = ["-n", namespace, "--set", "kafkaChanges.admissionPolicy.enabled=true,interview.replicas=0"]
    cluster.helm("install", RELEASE, str(CHART), *common, "--set", "kafka.partitions=8")
    lower = cluster.helm("upgrade", RELEASE, str(CHART), *common, "--set", "kafka.partitions=6", check=False)
    assert lower.returncode != 0
    assert "has 8 partitions, the new values 6: Kafka never removes partitions" in lower.stderr
    cluster.helm("upgrade", RELEASE, str(CHART), *common, "--set", "kafka.partitions=10")
    assert _topic_partitions(cluster, namespace) == {10}
    # helm rollback applies revision 1's stored manifest (8 partitions): no template runs, the API server
    # refuses it.
    back = cluster.helm("rollback", RELEASE, "1", "-n", namespace, check=False)
    assert back.returncode != 0
    assert "partitions cannot go from 10 to 8" in back.stderr
    assert _topic_partitions(cluster, namespace) == {10}
    # The refused rollback is a failed revision whose Deployments may already say 8 (Helm applies them
    # first): upgrading again with the current values puts everything back.
    cluster.helm("upgrade", RELEASE, str(CHART), *common, "--set", "kafka.partitions=10")
    assert {_env(d)["KAFKA_PARTITIONS"] for d in _deployments(cluster, namespace)} == {"10"}
    # Acknowledged (the topics were recreated on purpose, say): both guards let it through.
    cluster.helm("upgrade", RELEASE, str(CHART), *common, "--set", "kafka.partitions=8",
                 "--set", "kafkaChanges.acknowledgePartitionDecrease=true")  # fmt: skip
    assert _topic_partitions(cluster, namespace) == {8}
    cluster.helm("uninstall", RELEASE, "-n", namespace)  # the admission policy is cluster-scoped


def test_partitions_are_added_only_with_the_writers_stopped(cluster: Cluster, namespace: str) -> None:
    cluster.helm("install", RELEASE, str(CHART), "-n", namespace)  # one interview pod
    more = ["--set", "kafka.partitions=8"]
    refused = cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, *more, check=False)
    assert refused.returncode != 0
    assert "kafka.partitions 6 -> 8 while the interview service runs" in refused.stderr
    assert _topic_partitions(cluster, namespace) == {6}
    # The README's procedure: writers to zero, then more partitions, then writers back.
    cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, "--set", "interview.replicas=0", "--wait")
    writers = f"deployment/{RELEASE}-hiring-pipeline-interview"
    # Its pods gone (the deployment controller scales down; no kubelet, so at once).
    deadline = time.monotonic() + 60
    while (
        cluster.get_json(writers, "-n", namespace)["status"].get("replicas") and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    assert not cluster.get_json(writers, "-n", namespace)["status"].get("replicas")
    cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, "--set", "interview.replicas=0", *more)
    assert _topic_partitions(cluster, namespace) == {8}
    cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, *more)
    assert cluster.get_json(writers, "-n", namespace)["spec"]["replicas"] == 1


def test_prefix_changes_and_second_owners_are_refused(cluster: Cluster, namespace: str) -> None:
    first = cluster.helm("install", RELEASE, str(CHART), "-n", namespace)
    assert DEV_WARNING in first.stdout
    assert "interview.kekSecret.name is empty" in first.stdout
    staging = ["--set", "kafka.topicPrefix=staging."]
    changed = cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, *staging, check=False)
    assert changed.returncode != 0
    assert 'uses the prefix "", the new values "staging."' in changed.stderr
    acknowledged = [
        "--set",
        "kafka.topicPrefix=staging.",
        "--set",
        "kafkaChanges.acknowledgeTopicPrefixChange=true",
    ]
    cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, *acknowledged)
    names = {t["spec"]["topicName"] for t in cluster.get_json("kafkatopics", "-n", namespace)["items"]}
    assert len(names) == 2 * len(TOPIC_SPECS)  # the old record kept beside the new one
    cluster.helm("upgrade", RELEASE, str(CHART), "-n", namespace, "--set", "kafka.topicPrefix=staging.")
    # A second release may not own the same topics, whatever its object names.
    second = cluster.helm("install", "other", str(CHART), "-n", namespace, *staging, check=False)
    assert second.returncode != 0
    assert (
        "topic staging.interview.commands is already owned by KafkaTopic hiring-hiring-pipeline-"
        in second.stderr
    )
    cluster.helm("install", "other", str(CHART), "-n", namespace, "--set", "kafka.topicPrefix=other.")


def _kustomization(folder: Path, namespace: str, resource: Path) -> Path:
    folder.mkdir()
    text = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": namespace,
            "resources": [os.path.relpath(resource, folder)]}  # fmt: skip
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(text))
    return folder


def test_kubectl_delete_of_the_kustomize_workloads_keeps_the_topics(
    cluster: Cluster, namespace: str, tmp_path: Path
) -> None:
    overlays = ROOT / "deploy" / "kustomize" / "overlays"
    workloads = _kustomization(tmp_path / "workloads", namespace, overlays / "example")
    topics = _kustomization(tmp_path / "topics", namespace, overlays / "example-topics")
    built = cluster.kubectl("kustomize", str(workloads)).stdout
    assert "kind: KafkaTopic" not in built
    for folder in (workloads, topics):
        cluster.kubectl("apply", "--server-side", "--field-manager", "deploy-tests", "-k", str(folder))
    assert len(cluster.get_json("kafkatopics", "-n", namespace)["items"]) == len(TOPIC_SPECS)
    cluster.kubectl("delete", "-k", str(workloads), "--wait=false")
    assert cluster.get_json("deployments,kafkausers", "-n", namespace)["items"] == []
    assert len(cluster.get_json("kafkatopics", "-n", namespace)["items"]) == len(TOPIC_SPECS)
    # Deleting the topics is a separate, explicit step.
    cluster.kubectl("delete", "-k", str(topics), "--wait=false")
    assert cluster.get_json("kafkatopics", "-n", namespace)["items"] == []


def test_notes_name_every_development_setting_in_force(cluster: Cluster, namespace: str) -> None:
    settings = {
        "auth.insecureDevNoAuth": "true",
        "interview.insecureDevKekPerPod": "true",
        "kafka.securityProtocol": "PLAINTEXT",
        "kafka.replicationFactor": "1",
        "networkPolicy.enabled": "false",
        "strimzi.topics.keepOnUninstall": "false",
        "kafkaChanges.acknowledgePartitionDecrease": "true",
        "kafkaChanges.acknowledgeTopicPrefixChange": "true",
        "kafkaChanges.acknowledgePartitionIncrease": "true",
    }
    given = ",".join(f"{k}={v}" for k, v in settings.items())
    args = ["install", RELEASE, str(CHART), "-n", namespace, "--dry-run=client", "--set", given]
    notes = cluster.helm(
        *args, "--set", "kafka.saslMechanism=,strimzi.users.enabled=false,interview.replicas=2"
    )
    warnings = notes.stdout.split(DEV_WARNING, 1)[1]
    for key, value in settings.items():
        assert f"{key}={value}" in warnings, key
    assert "interview.kekSecret.name is empty" in warnings
    quiet = cluster.helm("install", RELEASE, str(CHART), "-n", namespace, "--dry-run=client",
                         "--set", "interview.kekSecret.name=kek")  # fmt: skip
    assert DEV_WARNING not in quiet.stdout
