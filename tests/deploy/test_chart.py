"""The Helm chart without a cluster: lint, the values schema, the rendered security defaults, and the
Strimzi resources against the code's topics, consumer groups and transactional ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from schemas.topics import TOPIC_SPECS, Topics
from services.decision.entrypoints.settings import DecisionSettings
from services.interview.entrypoints.settings import InterviewSettings
from services.launcher.principals import AUDIT, DECISION, INTERVIEW, service_acls
from services.platform.auth import AuthSettings
from services.platform.privacy.settings import PrivacySettings
from services.platform.settings import KafkaSettings
from tests.deploy.cluster import CHART, ROOT, Tools
from tests.deploy.conftest import PRODUCTION_VALUES, by_kind, helm, render

pytestmark = pytest.mark.k8s


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION_VALUES)]], ids=["default", "production"])
def test_helm_lint_strict_passes(tools: Tools, values: list[str]) -> None:
    done = helm(tools, "lint", "--strict", str(CHART), *values)
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        (["--set", "interview.replica=3"], "additional properties 'replica' not allowed"),
        (["--set", "kafka.securityProtocol=TLS"], "securityProtocol"),
        (["--set", "image.pullPolicy=Sometimes"], "pullPolicy"),
        (["--set", "decision.config.logLevel=TRACE"], "logLevel"),
        (["--set", "strimzi.users.authentication=scram-sha-256"], "authentication"),
        (["--set", "interview.resources.limits.memory=lots"], "memory"),
        (["--set", "unknownTopLevel=true"], "unknownTopLevel"),
    ],
    ids=[
        "unknown-key",
        "protocol-enum",
        "pull-policy-enum",
        "log-level-enum",
        "auth-enum",
        "quantity",
        "top",
    ],
)
def test_schema_rejects_bad_values(tools: Tools, setting: list[str], complaint: str) -> None:
    done = helm(tools, "template", "hp", str(CHART), *setting, check=False)
    assert done.returncode != 0, done.stdout[:500]
    assert "values don't meet the specifications of the schema" in done.stderr
    assert complaint in done.stderr


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        (
            ["--set", "decision.projector.autoscaling.enabled=true,decision.projector.keda.enabled=true"],
            "exclude each other",
        ),
        (
            [
                "--set",
                "interview.autoscaling.enabled=true,interview.autoscaling.maxReplicas=7",
                "--set",
                "interview.kekSecret.name=kek",
            ],
            "sit idle",
        ),
        (["--set", "decision.projector.keda.enabled=true,decision.projector.keda.maxReplicas=7"], "sit idle"),
        (["--set", "decision.candidacy.keda.enabled=true,decision.candidacy.keda.maxReplicas=7"], "sit idle"),
        (["--set", "decision.projector.replicas=7"], "sit idle"),
        (["--set", "decision.query.keda.enabled=true"], "owns no partition"),
        (["--set", "decision.projector.terminationGracePeriodSeconds=15"], "terminationGracePeriodSeconds"),
        (["--set", "kafka.securityProtocol=SSL"], "saslMechanism"),
    ],
    ids=[
        "hpa-and-keda",
        "hpa-above-partitions",
        "keda-above-partitions",
        "candidacy-keda",
        "replicas",
        "query-keda",
        "grace",
        "sasl",
    ],
)
def test_render_fails_on_inconsistent_values(tools: Tools, setting: list[str], complaint: str) -> None:
    done = helm(tools, "template", "hp", str(CHART), *setting, check=False)
    assert done.returncode != 0
    assert complaint in done.stderr


def test_more_partitions_allow_more_replicas(tools: Tools) -> None:
    objects = render(tools, "--set", "kafka.partitions=12,decision.projector.autoscaling.enabled=true",
                     "--set", "decision.projector.autoscaling.maxReplicas=12")  # fmt: skip
    (hpa,) = by_kind(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] == 12
    projector = _deployment(objects, "decision-projector")
    assert "replicas" not in projector["spec"], "an autoscaled Deployment must not pin replicas"


def _deployment(objects: list[dict[str, Any]], component: str) -> dict[str, Any]:
    (found,) = [d for d in by_kind(objects, "Deployment") if d["metadata"]["name"].endswith(f"-{component}")]
    return found


def test_decision_roles_are_deployments_of_their_own(default_objects: list[dict[str, Any]]) -> None:
    # ADR 0016: one role per Deployment, each its own command, port, probes and selector.
    ports = {"projector": 8083, "candidacy": 8084, "query": 8082, "notary": 8085}  # ADR 0026: the notary
    for role, port in ports.items():
        deployment = _deployment(default_objects, f"decision-{role}")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["decision", role]
        assert container["ports"][0]["containerPort"] == port
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert labels["app.kubernetes.io/component"] == f"decision-{role}"
    services = {
        o["metadata"]["name"].rsplit("-", 1)[-1]: o["spec"] for o in by_kind(default_objects, "Service")
    }
    assert services["query"]["type"] == "ClusterIP"
    assert "clusterIP" not in services["query"]  # the API: a virtual IP for clients
    assert services["projector"]["clusterIP"] == services["candidacy"]["clusterIP"] == "None"  # metrics only
    assert services["notary"]["clusterIP"] == "None"
    budgets = by_kind(default_objects, "PodDisruptionBudget")
    names = {b["metadata"]["name"].rsplit("-", 1)[-1] for b in budgets}
    assert names == {"interview", "projector", "candidacy", "query", "notary"}


def test_query_replicas_are_not_bound_by_partitions(tools: Tools) -> None:
    objects = render(tools, "--set", "decision.query.replicas=9,decision.query.autoscaling.enabled=true",
                     "--set", "decision.query.autoscaling.maxReplicas=20")  # fmt: skip
    (hpa,) = by_kind(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"].endswith("-decision-query")
    assert hpa["spec"]["maxReplicas"] == 20  # above kafka.partitions (6): the query service owns none


def _containers(objects: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (d, c) for d in by_kind(objects, "Deployment") for c in d["spec"]["template"]["spec"]["containers"]
    ]


@pytest.mark.parametrize("which", ["default", "production"])
def test_security_defaults_are_in_the_rendered_pods(which: str, request: pytest.FixtureRequest) -> None:
    objects: list[dict[str, Any]] = request.getfixturevalue(f"{which}_objects")
    assert len(by_kind(objects, "Deployment")) == 5  # interview, and the four decision roles (ADR 0026)
    for deployment, container in _containers(objects):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert "/tmp" in mounts
        assert all("subPath" not in m for m in container["volumeMounts"]), "secrets must follow renewals"
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes["tmp"]
        assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    (account,) = by_kind(objects, "ServiceAccount")
    assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize("which", ["default", "production"])
def test_probes_and_grace_period_fit_the_services(which: str, request: pytest.FixtureRequest) -> None:
    objects: list[dict[str, Any]] = request.getfixturevalue(f"{which}_objects")
    for deployment, container in _containers(objects):
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        env = {e["name"]: e.get("value") for e in container["env"]}
        prefix = container["name"].upper()
        drain = (
            float(env[f"{prefix}_SHUTDOWN_GRACE_S"]) + container["lifecycle"]["preStop"]["sleep"]["seconds"]
        )
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > drain + 5
        assert env[f"{prefix}_HOST"] == "0.0.0.0"
        port = container["ports"][0]["containerPort"]
        assert env[f"{prefix}_PORT"] == str(port)


def test_credentials_come_from_secrets(default_objects: list[dict[str, Any]]) -> None:
    for deployment, container in _containers(default_objects):
        env = {e["name"]: e for e in container["env"]}
        assert "KAFKA_SASL_PASSWORD" not in env  # never an environment value: a mounted Secret file
        password_file = env["KAFKA_SASL_PASSWORD_FILE"]["value"]
        assert password_file == "/etc/hiring-pipeline/kafka-password/password"
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        assert mounts["kafka-password"]["readOnly"] is True
        assert password_file.startswith(mounts["kafka-password"]["mountPath"] + "/")
        assert "subPath" not in mounts["kafka-password"]
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["kafka-password"]["secret"]["secretName"] == _kafka_user(deployment, container)
        assert env["KAFKA_SSL_CAFILE"]["value"].startswith("/etc/hiring-pipeline/kafka-ca/")


def _kafka_user(deployment: dict[str, Any], container: dict[str, Any]) -> str:
    """The KafkaUser (and its Secret) of a Deployment's service: ``<fullname>-decision`` for every role."""
    service = container["name"]
    return deployment["metadata"]["name"].split(f"-{service}")[0] + f"-{service}"


@pytest.mark.parametrize("which", ["default", "production"])
def test_both_services_verify_tokens_of_the_issuer(
    which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects: list[dict[str, Any]] = request.getfixturevalue(f"{which}_objects")
    for name in [n for n in os.environ if n.startswith("AUTH_")]:  # only what the chart sets
        monkeypatch.delenv(name)
    for _, container in _containers(objects):
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["AUTH_ISSUER"]
        assert env["AUTH_AUDIENCE"] == "hiring-pipeline"
        assert env["AUTH_JWKS_URL"].startswith(("http://", "https://"))
        assert "AUTH_INSECURE_DEV_NO_AUTH" not in env
        given = {k[5:].lower(): v for k, v in env.items() if k.startswith("AUTH_")}
        assert AuthSettings(**given).problems() == []
    for policy in by_kind(objects, "NetworkPolicy"):  # the pods may reach the issuer's JWKS
        if policy["metadata"]["labels"]["app.kubernetes.io/component"] == "test":
            continue  # the helm test Pod verifies no token: it sends one
        assert any(r["ports"][0]["port"] in (443, 8080) for r in policy["spec"]["egress"])


def test_a_jwks_from_a_config_map_is_mounted_as_a_directory(tools: Tools) -> None:
    objects = render(tools, "--set", "auth.jwksUrl=", "--set", "auth.jwksConfigMap.name=idp-jwks")
    for deployment, container in _containers(objects):
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["AUTH_JWKS_FILE"] == "/etc/hiring-pipeline/jwks/jwks.json"
        assert "AUTH_JWKS_URL" not in env
        mount = next(m for m in container["volumeMounts"] if m["name"] == "jwks")
        assert mount["mountPath"] == "/etc/hiring-pipeline/jwks"
        assert "subPath" not in mount
        volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == "jwks")
        assert volume["configMap"]["name"] == "idp-jwks"


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        (["--set", "auth.issuer="], "auth.issuer and auth.audience are required"),
        (["--set", "auth.jwksUrl="], "set auth.jwksUrl or auth.jwksConfigMap.name"),
        (["--set", "auth.jwksConfigMap.name=x"], "not both"),
        (["--set", "auth.algorithms=HS256"], "algorithms"),
    ],
    ids=["no-issuer", "no-keys", "two-key-sources", "symmetric"],
)
def test_the_chart_will_not_render_services_open_by_accident(
    tools: Tools, setting: list[str], complaint: str
) -> None:
    done = helm(tools, "template", "hp", str(CHART), *setting, check=False)
    assert done.returncode != 0
    assert complaint in done.stderr
    insecure = render(tools, "--set", "auth.insecureDevNoAuth=true")
    for _, container in _containers(insecure):
        names = {e["name"] for e in container["env"] if e["name"].startswith("AUTH_")}
        assert names == {"AUTH_INSECURE_DEV_NO_AUTH"}


def test_client_certificates_are_mounted_for_tls_users(tools: Tools) -> None:
    objects = render(tools, "--set", "kafka.securityProtocol=SSL,kafka.saslMechanism=",
                     "--set", "strimzi.users.authentication=tls")  # fmt: skip
    for deployment, container in _containers(objects):
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["KAFKA_SSL_CERTFILE"] == "/etc/hiring-pipeline/kafka-user/user.crt"
        assert "KAFKA_SASL_PASSWORD" not in env
        assert "KAFKA_SASL_PASSWORD_FILE" not in env
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert "kafka-password" not in volumes
        assert volumes["kafka-user"]["secret"]["secretName"] == _kafka_user(deployment, container)
    users = by_kind(objects, "KafkaUser")
    assert {u["spec"]["authentication"]["type"] for u in users} == {"tls"}


def test_network_policy_admits_only_http_and_allows_kafka_and_dns(
    production_objects: list[dict[str, Any]],
) -> None:
    policies = by_kind(production_objects, "NetworkPolicy")
    policies = [p for p in policies if "helm.sh/hook" not in p["metadata"].get("annotations", {})]
    assert len(policies) == 5  # one per Deployment (the helm test Pod's: tests/deploy/test_chart_ops.py)
    for policy in policies:
        spec = policy["spec"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        (ingress,) = spec["ingress"]
        assert ingress["ports"] == [{"port": "http", "protocol": "TCP"}]
        namespaces = [
            p["namespaceSelector"]["matchLabels"] for p in ingress["from"] if "namespaceSelector" in p
        ]
        assert namespaces == [{"kubernetes.io/metadata.name": n} for n in ("ingress-nginx", "monitoring")]
        ports = [sorted((p["port"], p["protocol"]) for p in rule["ports"]) for rule in spec["egress"]]
        # Kafka, DNS, the token issuer's JWKS, the OTLP collector.
        assert ports == [[(9093, "TCP")], [(53, "TCP"), (53, "UDP")], [(443, "TCP")], [(4318, "TCP")]]


def _expected_topics(prefix: str, partitions: int, replicas: int, extra: dict[str, str]) -> dict[str, Any]:
    names = Topics(prefix)
    return {
        names.name(spec.name): {
            "partitions": spec.partitions or partitions,
            "replicas": replicas,
            "config": {**extra, **spec.config},
        }
        for spec in TOPIC_SPECS
    }


def _rendered_topics(objects: list[dict[str, Any]]) -> dict[str, Any]:
    topics = by_kind(objects, "KafkaTopic")
    assert all(t["apiVersion"] == "kafka.strimzi.io/v1" for t in topics)
    return {
        t["spec"]["topicName"]: {k: t["spec"][k] for k in ("partitions", "replicas", "config")}
        for t in topics
    }


def test_kafka_topics_equal_the_code_topics(
    default_objects: list[dict[str, Any]], production_objects: list[dict[str, Any]]
) -> None:
    # min.insync.replicas 2 by default with 3 replicas (ADR 0027).
    assert _rendered_topics(default_objects) == _expected_topics("", 6, 3, {"min.insync.replicas": "2"})
    production = _expected_topics("prod.", 12, 3, {"min.insync.replicas": "2"})
    assert _rendered_topics(production_objects) == production


def test_kafka_topics_file_is_generated_from_the_code() -> None:
    script = ROOT / "deploy" / "strimzi" / "generate.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_kafka_topics_are_kept_on_uninstall_by_default(default_objects: list[dict[str, Any]]) -> None:
    for topic in by_kind(default_objects, "KafkaTopic"):
        assert topic["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def _acls(objects: list[dict[str, Any]], component: str) -> dict[tuple[str, str, str], set[str]]:
    (user,) = [u for u in by_kind(objects, "KafkaUser") if u["metadata"]["name"].endswith(f"-{component}")]
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    assert user["spec"]["authorization"]["type"] == "simple"
    out: dict[tuple[str, str, str], set[str]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        out[(resource["type"], resource["name"], resource["patternType"])] = set(acl["operations"])
    return out


def test_kafka_user_acls_equal_the_code_table(production_objects: list[dict[str, Any]]) -> None:
    # services/launcher/principals.py is the one table (the local secure broker gets exactly these
    # ACLs; tests/unit/platform/test_principals.py checks its names against the services' own).
    kafka = KafkaSettings(topic_prefix="prod.")
    table = service_acls(Topics(kafka.topic_prefix), InterviewSettings(), DecisionSettings(kafka=kafka))
    for component in (INTERVIEW, DECISION, AUDIT):
        want = {(a.kind, a.name, a.pattern): set(a.operations) for a in table[component]}
        assert _acls(production_objects, component) == want, component


def test_services_may_create_topics_only_without_kafka_topics(tools: Tools) -> None:
    objects = render(tools, "--set", "strimzi.topics.enabled=false")
    assert not by_kind(objects, "KafkaTopic")
    acls = _acls(objects, "decision")
    assert all("Create" in ops for (kind, _, _), ops in acls.items() if kind == "topic")
    assert all("Create" not in ops for ops in _acls(objects, "audit").values())
    interview = next(c for _, c in _containers(objects) if c["name"] == "interview")
    env = {e["name"]: e.get("value") for e in interview["env"]}
    assert env["INTERVIEW_CREATE_TOPICS"] == "true"
    for _, container in _containers(objects):
        if container["name"] == "decision":
            assert {e["name"]: e.get("value") for e in container["env"]}["DECISION_CREATE_TOPICS"] == "true"


def test_with_kafka_topics_no_service_creates_topics(default_objects: list[dict[str, Any]]) -> None:
    """The Topic Operator owns the topics: the services verify them (DescribeConfigs) and never create."""
    flags = {
        e["name"]: e.get("value")
        for _, container in _containers(default_objects)
        for e in container["env"]
        if e["name"].endswith("_CREATE_TOPICS")
    }
    assert flags == {"INTERVIEW_CREATE_TOPICS": "false", "DECISION_CREATE_TOPICS": "false"}
    for component in ("interview", "decision"):
        for (kind, _, _), ops in _acls(default_objects, component).items():
            assert kind != "topic" or ("DescribeConfigs" in ops and "Create" not in ops)


def test_keda_scales_on_the_lag_of_the_service_consumer_group(
    production_objects: list[dict[str, Any]],
) -> None:
    decision = DecisionSettings(kafka=KafkaSettings(topic_prefix="prod."))
    want = {  # each projector on its own group's lag (ADR 0016); the query service has none
        "decision-projector": (decision.group, "prod.interview.events"),
        "decision-candidacy": (decision.candidacy_group, "prod.decision.candidacy-rounds"),
    }
    scaled = {o["spec"]["scaleTargetRef"]["name"]: o for o in by_kind(production_objects, "ScaledObject")}
    assert {name.split("hiring-pipeline-")[-1] for name in scaled} == set(want)
    for name, found in scaled.items():
        (trigger,) = found["spec"]["triggers"]
        group, topic = want[name.split("hiring-pipeline-")[-1]]
        assert (trigger["metadata"]["consumerGroup"], trigger["metadata"]["topic"]) == (group, topic)
        assert trigger["metadata"]["allowIdleConsumers"] == "false"
        assert found["spec"]["maxReplicaCount"] <= 12
    for auth in by_kind(production_objects, "TriggerAuthentication"):
        assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} == {"password", "ca"}
        password = next(r for r in auth["spec"]["secretTargetRef"] if r["parameter"] == "password")
        assert password["name"] == "hp-hiring-pipeline-decision"  # the roles' one KafkaUser


def test_every_variable_the_chart_sets_is_one_the_services_read(
    production_objects: list[dict[str, Any]],
) -> None:
    # pydantic-settings ignores unknown variables, so a misspelt one would silently change nothing.
    read = {
        f"{settings.model_config['env_prefix']}{name}".upper()
        for settings in (InterviewSettings, DecisionSettings, KafkaSettings, PrivacySettings, AuthSettings)
        for name in settings.model_fields
    }
    for _, container in _containers(production_objects):
        # OTEL_* are the OpenTelemetry SDK's own variables (services/platform/tracing.py reads them).
        names = {e["name"] for e in container["env"] if not e["name"].startswith("OTEL_")}
        assert names - read == set()
        own = {n for n in read if n.startswith(container["name"].upper())}
        assert {f"{container['name'].upper()}_{s}" for s in ("HOST", "PORT", "STATE_DIR")} <= own & names


def _object_schemas(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append((path, node))
        for key, value in node.items():
            found += _object_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _object_schemas(value, f"{path}/{index}")
    return found


def test_values_schema_closes_every_object_it_defines() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    # Kubernetes objects passed through as they are: the API server validates them (strict apply in CI).
    passthrough = {"affinity", "tolerations", "topologySpreadConstraints", "extraEnv", "to", "extraEgress",
                   "extraVolumes", "extraVolumeMounts", "initContainers", "sidecars"}  # fmt: skip
    for path, node in _object_schemas(schema):
        name = path.rstrip("/").split("/")[-1] if not path.endswith("/items") else path.split("/")[-2]
        if name in passthrough:
            continue
        assert "additionalProperties" in node, f"{path} accepts unknown keys"
        if "properties" in node:
            assert node["additionalProperties"] is False, path


def _env(deployment: dict[str, Any]) -> dict[str, str]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_the_notary_key_is_required_and_mounted_in_the_notary_only(tools: Tools) -> None:
    done = helm(tools, "template", "hp", str(CHART), "--no-tlog-values", check=False)
    assert done.returncode != 0
    assert "decision.tlog: set keySecret.name" in done.stderr  # ADR 0026: no silent development key
    objects = {d["metadata"]["name"]: d for d in by_kind(render(tools), "Deployment")}
    notary = objects["hp-hiring-pipeline-decision-notary"]
    assert notary["spec"]["template"]["spec"]["containers"][0]["args"] == ["decision", "notary"]
    assert _env(notary)["DECISION_TLOG_KEY_FILE"] == "/etc/hiring-pipeline/tlog/notary.key"
    volumes = notary["spec"]["template"]["spec"]["volumes"]
    assert "hp-notary" in [v["secret"]["secretName"] for v in volumes if "secret" in v]
    for name, deployment in objects.items():
        env = _env(deployment)
        if name.endswith("decision-query"):  # serves and checks the verifier keys
            assert env["DECISION_TLOG_VERIFIER_KEYS"].startswith("test-notary+")
        if not name.endswith("decision-notary"):
            assert "DECISION_TLOG_KEY_FILE" not in env, name
            volumes = deployment["spec"]["template"]["spec"]["volumes"]
            assert all(v.get("secret", {}).get("secretName") != "hp-notary" for v in volumes), name
    rendered = render(tools, "--no-tlog-values", "--set", "decision.tlog.insecureDevKey=true")
    dev = {d["metadata"]["name"]: d for d in by_kind(rendered, "Deployment")}
    assert _env(dev["hp-hiring-pipeline-decision-notary"])["DECISION_TLOG_INSECURE_DEV_KEY"] == "true"
    assert _env(dev["hp-hiring-pipeline-decision-query"])["DECISION_TLOG_INSECURE_DEV_KEY"] == "true"
    for setting, complaint in (("decision.tlog.insecureDevKey=true", "exclude each other"),
                               ("decision.notary.keda.enabled=true", "decision.notary.keda")):  # fmt: skip
        refused = helm(tools, "template", "hp", str(CHART), "--set", setting, check=False)
        assert complaint in refused.stderr, setting
