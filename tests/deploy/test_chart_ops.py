"""What platform teams expect of the chart, without a cluster: extension points on every Deployment, the
PrometheusRule (metric names the code registers, runbook sections that exist), the generated README, and
the `helm test` Pod."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import services.interview.adapters.metrics  # noqa: F401  (registers the interview metrics)
from services.decision.adapters.metrics import CandidacyMetrics, DecisionMetrics, QueryMetrics
from tests.deploy.cluster import CHART, ROOT, Tools
from tests.deploy.conftest import by_kind, helm, render

pytestmark = pytest.mark.k8s

EXTENSIONS = {
    "image": {"registry": "registry.example.com/platform/"},
    "interview": {"service": {"annotations": {"example.com/lb": "internal"}}},
    "decision": {"query": {"service": {"annotations": {"example.com/lb": "internal"}}}},
    "extraVolumes": [{"name": "vault", "emptyDir": {"medium": "Memory"}}],
    "extraVolumeMounts": [{"name": "vault", "mountPath": "/vault/secrets", "readOnly": True}],
    "extraEnvFrom": [{"configMapRef": {"name": "otel"}}, {"secretRef": {"name": "extra", "optional": True}}],
    "initContainers": [{"name": "wait", "image": "busybox:1.37", "command": ["true"]}],
    "sidecars": [{"name": "shipper", "image": "fluent-bit:4", "args": ["-c", "/etc/fb.conf"]}],
}


def _values(tmp_path: Path, values: dict[str, Any]) -> list[str]:
    path = tmp_path / "values.yaml"
    path.write_text(yaml.safe_dump(values))
    return ["-f", str(path)]


def test_extension_points_reach_every_deployment(tools: Tools, tmp_path: Path) -> None:
    objects = render(tools, *_values(tmp_path, EXTENSIONS))
    deployments = by_kind(objects, "Deployment")
    assert len(deployments) == 5  # the interview service and the four decision roles (ADR 0016, 0026)
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        main, *others = pod["containers"]
        assert main["image"] == "registry.example.com/platform/hiring-pipeline:0.1.0"
        assert others == EXTENSIONS["sidecars"]
        assert pod["initContainers"] == EXTENSIONS["initContainers"]
        assert main["envFrom"] == EXTENSIONS["extraEnvFrom"]
        assert main["volumeMounts"][-1] == EXTENSIONS["extraVolumeMounts"][0]
        assert {"tmp", "state"} <= {m["name"] for m in main["volumeMounts"]}  # the chart's own stay
        assert pod["volumes"][-1] == EXTENSIONS["extraVolumes"][0]
    annotated = {s["metadata"]["name"]: s["metadata"].get("annotations") for s in by_kind(objects, "Service")}
    assert annotated == {
        "hp-hiring-pipeline-interview": {"example.com/lb": "internal"},
        "hp-hiring-pipeline-decision-projector": None,
        "hp-hiring-pipeline-decision-candidacy": None,
        "hp-hiring-pipeline-decision-notary": None,
        "hp-hiring-pipeline-decision-query": {"example.com/lb": "internal"},
    }
    (test_pod,) = by_kind(objects, "Pod")
    assert test_pod["spec"]["containers"][0]["image"].startswith("registry.example.com/platform/")


def test_default_values_add_no_extension(default_objects: list[dict[str, Any]]) -> None:
    for deployment in by_kind(default_objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert "initContainers" not in pod
        assert len(pod["containers"]) == 1
        assert "envFrom" not in pod["containers"][0]
        assert pod["containers"][0]["image"] == "hiring-pipeline:0.1.0"
    assert all("annotations" not in s["metadata"] for s in by_kind(default_objects, "Service"))


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"extraVolumeMounts": [{"name": "x"}]}, "mountPath"),
        ({"extraEnvFrom": [{"secret": {"name": "x"}}]}, "additional properties 'secret' not allowed"),
        ({"sidecars": [{"name": "x"}]}, "image"),
        ({"initContainers": [{"image": "busybox"}]}, "name"),
        ({"extraVolumes": [{"emptyDir": {}}]}, "name"),
        ({"image": {"registry": "https://registry.example.com"}}, "registry"),
        ({"interview": {"service": {"annotations": {"a": 1}}}}, "annotations"),
        ({"tests": {"timeoutSeconds": 1}}, "timeoutSeconds"),
        ({"tests": {"interviewId": "a" * 101}}, "interviewId"),
        ({"metrics": {"prometheusRule": {"consumerLag": {"for": "ten minutes"}}}}, "for"),
    ],
    ids=[
        "mount-path",
        "env-from",
        "sidecar-image",
        "init-name",
        "volume-name",
        "registry",
        "annotation",
        "test-timeout",
        "canary-id",
        "alert-duration",
    ],
)
def test_schema_closes_the_extension_points(
    tools: Tools, tmp_path: Path, values: dict[str, Any], complaint: str
) -> None:
    done = helm(tools, "template", "hp", str(CHART), *_values(tmp_path, values), check=False)
    assert done.returncode != 0, done.stdout[:300]
    assert "values don't meet the specifications of the schema" in done.stderr
    assert complaint in done.stderr


# ---- the PrometheusRule ----------------------------------------------------------------------------------

EXTERNAL = {
    "up": "Prometheus, per scrape target",
    "kube_deployment_status_replicas_ready": "kube-state-metrics",
    "kube_deployment_spec_replicas": "kube-state-metrics",
}
"""Metrics an alert may use that the services do not register: each with where it comes from."""
ALERTS = {
    "HiringPipelineConsumerLag": "decision_consumer_lag",
    "HiringPipelineParkedInterviews": "decision_parked_interviews",
    "HiringPipelineDLQGrowth": "decision_dlq_records_total",
    "HiringPipelineTransactionAborts": "interview_transactions_aborted_total",
    "HiringPipelineNotReady": "kube_deployment_status_replicas_ready",
    "HiringPipelineTargetDown": "up",
}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                "and", "or", "unless"}  # fmt: skip


def registered_metric_names() -> set[str]:
    """Every series name the services expose: the default registry (interview) and each decision role's."""
    registries = [REGISTRY, DecisionMetrics().registry, CandidacyMetrics().registry, QueryMetrics().registry]
    names: set[str] = set()
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
    for registry in registries:
        for metric in registry.collect():
            names |= {metric.name + s for s in suffixes.get(metric.type, [""])}
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (strings, label matchers, ranges and groupings out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    words = re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*+(?!\s*\()", text)  # possessive: no "ma" of "max("
    return {w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]", w)}


@pytest.fixture(scope="module")
def rule(tools: Tools) -> dict[str, Any]:
    """The PrometheusRule with alert labels."""
    objects = render(tools, "--set", "metrics.prometheusRule.enabled=true",
                     "--set", "metrics.prometheusRule.alertLabels.team=hiring")  # fmt: skip
    (found,) = by_kind(objects, "PrometheusRule")
    return found


def test_alerts_use_only_metrics_the_services_register(rule: dict[str, Any]) -> None:
    registered = registered_metric_names()
    assert {"interview_transactions_aborted_total", "decision_transactions_aborted_total"} <= registered
    rules = rule["spec"]["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == set(ALERTS)
    for r in rules:
        used = metric_names(r["expr"])
        assert ALERTS[r["alert"]] in used, (r["alert"], used)
        assert used - registered - set(EXTERNAL) == set(), f"{r['alert']} uses unregistered {used}"
        assert r["labels"] == {"severity": "warning", "team": "hiring"}


def test_the_metric_name_check_can_fail() -> None:
    assert metric_names('sum by (pod) (rate(decision_dlq_record_total{a="b"}[5m])) > 0') == {
        "decision_dlq_record_total"
    }  # a misspelt name is found, and it is not registered:
    assert "decision_dlq_record_total" not in registered_metric_names()


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+)$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_alert_links_a_runbook_section_of_operations_md(rule: dict[str, Any]) -> None:
    anchors = _anchors((ROOT / "docs" / "operations.md").read_text())
    for r in rule["spec"]["groups"][0]["rules"]:
        base, _, anchor = r["annotations"]["runbook_url"].partition("#")
        assert base == "docs/operations.md"
        assert anchor in anchors, (r["alert"], anchor)
        assert r["annotations"]["summary"]


def test_alerts_select_this_release_only(rule: dict[str, Any]) -> None:
    for r in rule["spec"]["groups"][0]["rules"]:
        assert 'namespace="hiring"' in r["expr"], r["alert"]
        assert "hp-hiring-pipeline-" in r["expr"], r["alert"]


# ---- the README ------------------------------------------------------------------------------------------


def _readme_module() -> Any:
    spec = importlib.util.spec_from_file_location("chart_readme", ROOT / "deploy" / "helm" / "readme.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _leaves(node: Any, path: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaves(value, f"{path}.{key}".lstrip("."))]
    return [path]


def test_chart_readme_is_generated_from_the_current_values(
    tools: Tools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELM_DOCS", str(tools.bin("helm-docs")))
    committed = (CHART / "README.md").read_text()
    assert committed == _readme_module().render(), "README.md is stale: run python3 deploy/helm/readme.py"
    assert helm(tools, "show", "readme", str(CHART)).stdout.strip() == committed.strip()


def test_chart_readme_lists_every_parameter() -> None:
    readme = (CHART / "README.md").read_text()
    # An undocumented list is listed item by item (drop[0]): its key is listed.
    rows = {re.sub(r"\[\d+\]$", "", r) for r in re.findall(r"^\| (\S+) \| \w+ \| ", readme, flags=re.M)}
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for leaf in _leaves(values):
        parts = leaf.split(".")
        # A documented map is one row (its default shows its keys); any other value is a row of its own.
        assert any(".".join(parts[:n]) in rows for n in range(len(parts), 0, -1)), leaf
    assert "tests.tokenSecret.name" in rows
    assert "extraVolumes" in rows


def test_readme_descriptions_come_from_the_values_comments() -> None:
    described = _readme_module().described(
        "# The parent.\nparent:\n  # Own words.\n  own: 1\n  inherits: 2\n  child:\n    deep: 3\nplain: 4\n"
    )
    assert described == (
        "parent:\n  # -- Own words.\n  own: 1\n  # -- The parent.\n  inherits: 2\n"
        "  child:\n    deep: 3\nplain: 4\n"
    )


# ---- the helm test Pod -----------------------------------------------------------------------------------


def test_helm_test_pod_checks_the_rendered_services_with_a_service_token(tools: Tools) -> None:
    objects = render(tools, "--set", "tests.tokenSecret.name=hp-check-token")
    (pod,) = by_kind(objects, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    assert container["args"] == ["check"]
    env = {e["name"]: e["value"] for e in container["env"]}
    ports = {s["metadata"]["name"]: s["spec"]["ports"][0]["port"] for s in by_kind(objects, "Service")}
    assert (
        env["CHECK_INTERVIEW_URL"]
        == f"http://hp-hiring-pipeline-interview.hiring.svc:{ports['hp-hiring-pipeline-interview']}"
    )
    query = "hp-hiring-pipeline-decision-query"
    assert env["CHECK_DECISION_URL"] == f"http://{query}.hiring.svc:{ports[query]}"
    assert env["CHECK_INTERVIEW_ID"] == "helm-test-hp-hiring-pipeline"
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == "test-token"]
    assert env["CHECK_TOKEN_FILE"] == f"{mount['mountPath']}/token"
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "test-token"]
    assert volume["secret"]["secretName"] == "hp-check-token"
    # The restricted Pod Security standard (the API-server test enforces it for real).
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["spec"]["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"


def test_helm_test_pod_may_reach_the_two_apis_and_dns_only(default_objects: list[dict[str, Any]]) -> None:
    (policy,) = [
        p
        for p in by_kind(default_objects, "NetworkPolicy")
        if "helm.sh/hook" in p["metadata"].get("annotations", {})
    ]
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "test"
    assert policy["spec"]["ingress"] == []
    to = [r["to"][0].get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component")
          for r in policy["spec"]["egress"]]  # fmt: skip
    assert to == ["interview", "decision-query", None]  # and DNS
    assert policy["metadata"]["annotations"]["helm.sh/hook-weight"] == "-1"  # before the Pod


def test_every_check_variable_is_one_the_check_reads(tools: Tools) -> None:
    from services.launcher.check import check

    read = {p.envvar for p in _typer_params(check)}
    (pod,) = by_kind(render(tools, "--set", "tests.tokenSecret.name=t"), "Pod")
    assert {e["name"] for e in pod["spec"]["containers"][0]["env"]} <= read


def _typer_params(command: Any) -> list[Any]:
    import typer

    app = typer.Typer()
    app.command()(command)
    return list(typer.main.get_command(app).params)


def test_tests_can_be_turned_off(tools: Tools) -> None:
    assert by_kind(render(tools, "--set", "tests.enabled=false"), "Pod") == []
