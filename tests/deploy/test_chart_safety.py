"""Safe defaults that fail loudly (ADR 0027): the shared KEK, existing SCRAM Secrets wired into the
KafkaUsers, the chart as a subchart, min.insync.replicas, Argo CD annotations, and replicas per role."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.cluster import CHART, Tools
from tests.deploy.conftest import by_kind, helm, render

pytestmark = pytest.mark.k8s

KEK_REFUSED = "without interview.kekSecret.name"


@pytest.mark.parametrize(
    "setting",
    [
        ["--set", "interview.replicas=2"],
        ["--set", "interview.autoscaling.enabled=true"],
        ["--set", "interview.keda.enabled=true"],
    ],
    ids=["two-replicas", "hpa", "keda"],
)
def test_several_interview_pods_without_a_shared_kek_do_not_render(tools: Tools, setting: list[str]) -> None:
    done = helm(tools, "template", "hp", str(CHART), *setting, check=False)
    assert done.returncode != 0
    assert KEK_REFUSED in done.stderr
    assert "interview.insecureDevKekPerPod=true" in done.stderr  # it says how to proceed
    shared = render(tools, *setting, "--set", "interview.kekSecret.name=hiring-pipeline-kek")
    assert _env(_deployment(shared, "interview"))["PRIVACY_KEK_FILE"] == "/etc/hiring-pipeline/privacy/kek"
    dev = render(tools, *setting, "--set", "interview.insecureDevKekPerPod=true")
    dev_kek = _env(_deployment(dev, "interview"))["PRIVACY_KEK_FILE"]
    assert dev_kek.startswith("/var/lib/hiring-pipeline/state/")


def test_default_values_run_one_interview_pod(default_objects: list[dict[str, Any]]) -> None:
    assert _deployment(default_objects, "interview")["spec"]["replicas"] == 1


def _deployment(objects: list[dict[str, Any]], component: str) -> dict[str, Any]:
    (found,) = [d for d in by_kind(objects, "Deployment") if d["metadata"]["name"].endswith(f"-{component}")]
    return found


def _env(deployment: dict[str, Any]) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def _user(objects: list[dict[str, Any]], component: str) -> dict[str, Any]:
    (found,) = [u for u in by_kind(objects, "KafkaUser") if u["metadata"]["name"].endswith(f"-{component}")]
    return found


def test_existing_password_secrets_reach_the_kafka_users(tools: Tools) -> None:
    objects = render(tools, "--set", "interview.kafkaUser.passwordSecret.name=interview-scram",
                     "--set", "decision.kafkaUser.passwordSecret.name=decision-scram",
                     "--set", "decision.kafkaUser.passwordSecret.key=secret")  # fmt: skip
    for service, component, secret, key in [
        ("interview", "interview", "interview-scram", "password"),
        ("decision", "decision-projector", "decision-scram", "secret"),
        ("decision", "decision-query", "decision-scram", "secret"),
    ]:
        authentication = _user(objects, service)["spec"]["authentication"]
        ref = authentication["password"]["valueFrom"]["secretKeyRef"]
        assert (authentication["type"], ref) == ("scram-sha-512", {"name": secret, "key": key})
        # The pods read exactly the Secret the User Operator sets the password from.
        volumes = _deployment(objects, component)["spec"]["template"]["spec"]["volumes"]
        mounted = next(v for v in volumes if v["name"] == "kafka-password")["secret"]["secretName"]
        assert mounted == ref["name"]
        assert _env(_deployment(objects, component))["KAFKA_SASL_PASSWORD_FILE"].endswith(f"/{key}")
    assert "password" not in _user(objects, "audit")["spec"]["authentication"]


def test_by_default_the_user_operator_makes_the_passwords(default_objects: list[dict[str, Any]]) -> None:
    for component in ("interview", "decision", "audit"):
        assert _user(default_objects, component)["spec"]["authentication"] == {"type": "scram-sha-512"}


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        (["--set", "interview.kafkaUser.passwordSecret.name=pw"], "a password Secret would never be used"),
        (["--set", "decision.kafkaUser.certificateSecret.name=mine"], "one Kafka does not trust"),
    ],
    ids=["password-with-tls", "foreign-certificate"],
)
def test_secrets_the_kafka_user_cannot_use_do_not_render(
    tools: Tools, setting: list[str], complaint: str
) -> None:
    tls = ["--set", "kafka.securityProtocol=SSL,kafka.saslMechanism=,strimzi.users.authentication=tls"]
    done = helm(tools, "template", "hp", str(CHART), *tls, *setting, check=False)
    assert done.returncode != 0
    assert complaint in done.stderr


TLOG_VALUES = yaml.safe_load((Path(__file__).parent / "tlog-values.yaml").read_text())


def test_the_chart_works_as_a_subchart(tools: Tools, tmp_path: Path) -> None:
    parent = tmp_path / "platform"
    (parent / "charts").mkdir(parents=True)
    shutil.copytree(CHART, parent / "charts" / "hiring-pipeline")
    chart = {"apiVersion": "v2", "name": "platform", "version": "1.0.0",
             "dependencies": [{"name": "hiring-pipeline", "version": ">=0.0.0"}]}  # fmt: skip
    (parent / "Chart.yaml").write_text(yaml.safe_dump(chart))
    tlog = TLOG_VALUES["decision"]["tlog"]
    values = {"global": {"environment": "prod", "imageRegistry": "registry.example.com"},
              "hiring-pipeline": {"decision": {"replicas": 3, "tlog": tlog}}}  # fmt: skip
    (parent / "values.yaml").write_text(yaml.safe_dump(values))
    out = helm(tools, "template", "platform", str(parent), "--namespace", "hiring").stdout
    objects = [d for d in yaml.safe_load_all(out) if d]
    assert _deployment(objects, "decision-query")["spec"]["replicas"] == 3
    direct = helm(tools, "template", "hp", str(CHART), "--set", "global.anything=1", check=False)
    assert direct.returncode == 0, direct.stderr


@pytest.mark.parametrize(
    ("setting", "expected"),
    [([], "2"), (["--set", "kafka.replicationFactor=2"], None),
     (["--set", "strimzi.topics.extraConfig.min\\.insync\\.replicas=3"], "3")],
    ids=["rf3", "rf2", "explicit"],
)  # fmt: skip
def test_min_insync_replicas_defaults_to_two_with_three_replicas(
    tools: Tools, setting: list[str], expected: str | None
) -> None:
    for topic in by_kind(render(tools, *setting), "KafkaTopic"):
        assert topic["spec"]["config"].get("min.insync.replicas") == expected, topic["metadata"]["name"]


def test_argo_cd_never_prunes_or_deletes_a_kafka_topic(default_objects: list[dict[str, Any]]) -> None:
    topics = by_kind(default_objects, "KafkaTopic")
    assert topics
    for topic in topics:
        annotations = topic["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/sync-options"] == "Prune=false,Delete=false"


def test_replicas_are_honoured_without_an_autoscaler(tools: Tools) -> None:
    objects = render(tools, "--set", "decision.replicas=3,decision.candidacy.replicas=1",
                     "--set", "interview.replicas=4,interview.kekSecret.name=kek")  # fmt: skip
    replicas = {c: _deployment(objects, c)["spec"].get("replicas") for c in
                ("interview", "decision-projector", "decision-candidacy", "decision-query")}  # fmt: skip
    assert replicas == {"interview": 4, "decision-projector": 3, "decision-candidacy": 1, "decision-query": 3}
    scaled = render(tools, "--set", "decision.replicas=3,decision.query.autoscaling.enabled=true")
    assert "replicas" not in _deployment(scaled, "decision-query")["spec"]  # the HPA owns it
    assert _deployment(scaled, "decision-projector")["spec"]["replicas"] == 3
    done = helm(tools, "template", "hp", str(CHART), "--set", "decision.replicas=7", check=False)
    assert done.returncode != 0
    assert "sit idle" in done.stderr  # the shared default is capped at the partitions like the roles'
