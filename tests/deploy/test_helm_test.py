"""`helm test`: the check its Pod runs, for real, against both services on the real broker; and the Pod
itself on the real API server with fake nodes.

Fake nodes run no container. So the API-server test plays the kubelet's part honestly: it takes the Pod
the API server admitted (in a ns that enforces the `restricted` Pod Security standard), runs that
Pod's command with that Pod's environment on this machine, resolving the Service URLs to the local
services (kube-proxy's part) and mounting the Secret the Pod names as files (read back from the API
server), and reports the command's real exit code as the Pod's phase. `helm test` passes or fails on that.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from schemas.topics import Topics
from services.launcher.run import Service, service
from services.platform.broker import Broker
from testkit.auth import token
from tests.decision_support import free_port
from tests.deploy.cluster import CHART, Cluster
from tests.deploy.test_cluster import RELEASE, _rollout, _secret

pytestmark = [pytest.mark.k8s, pytest.mark.kafka, pytest.mark.slow]

CHECK = [str(Path(sys.executable).parent / "hiring-pipeline"), "check"]


@pytest.fixture(scope="module")
def stack(kafka: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Service]]:
    """The interview service and the three decision roles as processes (as the chart runs them), by
    component name; stopped by pid afterwards."""
    logs = tmp_path_factory.mktemp("services")
    topics = Topics(f"ht{uuid.uuid4().hex[:6]}.")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTERVIEW_", "DECISION_"))}
    env |= {"KAFKA_BOOTSTRAP_SERVERS": str(kafka.settings.bootstrap_servers),
            "KAFKA_TOPIC_PREFIX": topics.prefix, "KAFKA_PARTITIONS": "3"}  # fmt: skip
    with ExitStack() as stack:
        port = free_port()
        found = {"interview": stack.enter_context(
            service("interview", "services.interview", env | {"INTERVIEW_PORT": str(port)}, port, logs)
        )}  # fmt: skip
        for role in ("projector", "candidacy", "query"):
            port = free_port()
            own = env | {"DECISION_PORT": str(port), "DECISION_STATE_DIR": str(logs / "state")}
            found[f"decision-{role}"] = stack.enter_context(
                service(f"decision-{role}", "services.decision", own, port, logs, (role,))
            )
        yield found


def _check(env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHECK_")}
    return subprocess.run(
        CHECK, env=clean | env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_check_passes_against_the_running_services_and_fails_when_it_should(
    stack: dict[str, Service], tmp_path: Path
) -> None:
    good, candidate = tmp_path / "service-token", tmp_path / "candidate-token"
    good.write_text(token("service", "helm-test"))
    candidate.write_text(token("candidate", "cand-1"))
    env = {"CHECK_INTERVIEW_URL": stack["interview"].url, "CHECK_DECISION_URL": stack["decision-query"].url,
           "CHECK_TOKEN_FILE": str(good), "CHECK_INTERVIEW_ID": f"helm-test-{uuid.uuid4().hex[:6]}",
           "CHECK_TIMEOUT_S": "150"}  # fmt: skip
    first = _check(env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "ok: verdict readable with the service token" in first.stdout
    again = _check(env)  # the canary exists now: 409 already_opened, and its verdict is read again
    assert again.returncode == 0, again.stdout + again.stderr

    refused = _check(env | {"CHECK_TOKEN_FILE": str(candidate)})
    assert refused.returncode == 1
    assert "the token was refused: 403" in refused.stderr
    anonymous = _check({k: v for k, v in env.items() if k != "CHECK_TOKEN_FILE"})
    assert anonymous.returncode == 1
    assert "the token was refused: 401" in anonymous.stderr
    absent = _check(env | {"CHECK_DECISION_URL": f"http://127.0.0.1:{free_port()}", "CHECK_TIMEOUT_S": "5"})
    assert absent.returncode == 1
    assert "decision service ready: not after 5 s" in absent.stderr
    unknown = _check(
        env | {"CHECK_OPEN": "false", "CHECK_INTERVIEW_ID": "never-opened", "CHECK_TIMEOUT_S": "5"}
    )
    assert unknown.returncode == 1
    assert (
        "verdict readable with the service token: not after 5 s; last: 404 verdict_not_found"
        in unknown.stderr
    )


# ---- on the API server -----------------------------------------------------------------------------------


@pytest.fixture
def ns(cluster: Cluster) -> Iterator[str]:
    """A fresh namespace enforcing the restricted Pod Security standard, with the Secrets Strimzi would
    have written; deleted afterwards."""
    name = f"hp-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted",
                    "pod-security.kubernetes.io/enforce-version=latest")  # fmt: skip
    secrets = [_secret("my-cluster-cluster-ca-cert", {"ca.crt": "not a real CA"})]
    secrets += [
        _secret(f"{RELEASE}-{c}", {"password": "not a real password"}) for c in ("interview", "decision")
    ]
    cluster.apply_objects(secrets, "-n", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false")


SERVICE_URL = re.compile(r"^http://(?P<name>[a-z0-9-]+)\.(?P<ns>[a-z0-9-]+)\.svc:(?P<port>\d+)$")


def _wait_for(what: str, probe: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout} s")


def _admitted_pod(cluster: Cluster, ns: str, name: str) -> dict[str, Any] | None:
    done = cluster.kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
    if done.returncode != 0:
        return None
    pod: dict[str, Any] = json.loads(done.stdout)
    running = pod["spec"].get("nodeName") and pod["status"].get("phase") == "Running"
    return pod if running else None


def _resolve(cluster: Cluster, ns: str, url: str, stack: dict[str, Service]) -> str:
    """A Service URL of the Pod's environment to the local process behind it (what kube-proxy does)."""
    match = SERVICE_URL.match(url)
    assert match is not None, url
    assert match["ns"] == ns
    svc = cluster.get_json("service", match["name"], "-n", ns)
    assert svc["spec"]["ports"][0]["port"] == int(match["port"])  # the port the Pod dials is served
    return stack[svc["spec"]["selector"]["app.kubernetes.io/component"]].url


def _run_as_kubelet(
    cluster: Cluster, ns: str, pod: dict[str, Any], stack: dict[str, Service], work: Path
) -> int:
    """Run the admitted Pod's container on this machine; return its exit code."""
    (container,) = pod["spec"]["containers"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    mounts: dict[str, Path] = {}
    for mount in container["volumeMounts"]:
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        data = cluster.get_json("secret", secret["secretName"], "-n", ns)["data"]
        folder = work / mount["name"]
        folder.mkdir()
        for key, value in data.items():
            (folder / key).write_bytes(base64.b64decode(value))
        mounts[mount["mountPath"]] = folder
    env = {}
    for item in container["env"]:
        value = item["value"]
        if SERVICE_URL.match(value):
            value = _resolve(cluster, ns, value, stack)
        for path, folder in mounts.items():
            value = value.replace(path, str(folder)) if value.startswith(path + "/") else value
        env[item["name"]] = value
    assert container["args"] == ["check"]  # the image's entrypoint is hiring-pipeline
    done = _check(env)
    (work / "check.log").write_text(done.stdout + done.stderr)
    return done.returncode


def _report(cluster: Cluster, ns: str, pod: dict[str, Any], code: int) -> None:
    """Write the exit code into the Pod's status, as a kubelet does."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    name = pod["spec"]["containers"][0]["name"]
    state = {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                            "startedAt": now, "finishedAt": now}}  # fmt: skip
    status = {"status": {"phase": "Succeeded" if code == 0 else "Failed", "containerStatuses": [
        {"name": name, "image": pod["spec"]["containers"][0]["image"], "imageID": "", "ready": False,
         "restartCount": 0, "state": state}]}}  # fmt: skip
    cluster.kubectl("patch", "pod", pod["metadata"]["name"], "-n", ns, "--subresource=status",
                    "--type=merge", "-p", json.dumps(status))  # fmt: skip


def _helm_test(cluster: Cluster, ns: str, stack: dict[str, Service], work: Path) -> tuple[int, str]:
    """`helm test`, its Pod run by this test as the kubelet would; helm's exit code and output."""
    helm = subprocess.Popen(
        [str(cluster.tools.bin("helm")), "test", RELEASE, "-n", ns, "--timeout", "4m"],
        env=cluster.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        pod = _wait_for("the test Pod admitted and scheduled",
                        lambda: _admitted_pod(cluster, ns, f"{RELEASE}-test"))  # fmt: skip
        _report(cluster, ns, pod, _run_as_kubelet(cluster, ns, pod, stack, work))
        out, _ = helm.communicate(timeout=120)
    finally:
        if helm.poll() is None:
            helm.kill()
            helm.wait()
    return helm.returncode, out


def test_helm_test_passes_on_fake_nodes_in_a_restricted_namespace(
    cluster: Cluster,
    ns: str,
    stack: dict[str, Service],
    tmp_path: Path,
) -> None:
    cluster.apply_objects([_secret("hp-check-token", {"token": token("service", "helm-test")})], "-n", ns)
    monitoring = "metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true"
    cluster.helm("install", RELEASE, str(CHART), "--namespace", ns, "--wait", "--timeout", "3m",
                 "--set", "tests.tokenSecret.name=hp-check-token,tests.timeoutSeconds=150",
                 "--set", monitoring)  # fmt: skip
    _rollout(cluster, ns)  # every Deployment's pods were admitted under "restricted"
    (rule,) = cluster.get_json("prometheusrules", "-n", ns)["items"]
    assert len(rule["spec"]["groups"][0]["rules"]) == 6

    (tmp_path / "pass").mkdir()
    code, out = _helm_test(cluster, ns, stack, tmp_path / "pass")
    assert code == 0, out + (tmp_path / "pass" / "check.log").read_text()
    assert re.search(r"TEST SUITE:\s+hiring-pipeline-test", out), out
    assert re.search(r"Phase:\s+Succeeded", out), out
    assert "ok: verdict readable" in (tmp_path / "pass" / "check.log").read_text()

    # The same with a token the services refuse: the check fails, and so does helm test.
    cluster.apply_objects([_secret("hp-check-token", {"token": token("candidate", "cand-1")})], "-n", ns)
    (tmp_path / "fail").mkdir()
    code, out = _helm_test(cluster, ns, stack, tmp_path / "fail")
    assert code != 0, out
    assert re.search(r"Phase:\s+Failed", out) or "failed" in out.lower(), out
    assert "the token was refused: 403" in (tmp_path / "fail" / "check.log").read_text()


def test_restricted_namespace_refuses_a_pod_that_breaks_the_standard(
    cluster: Cluster,
    ns: str,
) -> None:
    # Proof that the admission above means something: the same namespace refuses a pod that
    # passes only the baseline standard (it would run as root, may escalate, keeps its capabilities).
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "careless"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},  # baseline, not restricted
    }
    done = cluster.run("kubectl", "apply", "-n", ns, "--dry-run=server", "-f", "-",
                       stdin=json.dumps(pod), check=False)  # fmt: skip
    assert done.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in done.stderr
