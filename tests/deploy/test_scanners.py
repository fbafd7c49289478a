"""kube-score and checkov on the rendered chart, checkov and BuildKit's linter on the Dockerfile.

A finding either goes away or is explained in deploy/README.md ("Scanner findings we accept"): these tests
fail on a new finding that is not explained, and on an explanation whose finding no longer occurs.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.cluster import ROOT, Tools
from tests.deploy.conftest import write_manifest

pytestmark = pytest.mark.k8s

README = ROOT / "deploy" / "README.md"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def explained(tool: str) -> set[str]:
    """Check ids listed for ``tool`` in the README's table of accepted findings."""
    section = README.read_text().split("## Scanner findings we accept", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*" + re.escape(tool) + r"\s*\|\s*`([^`]+)`", section, flags=re.MULTILINE)
    return set(rows)


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=300, **kwargs)


def kube_score(tools: Tools, manifest: Path) -> set[str]:
    """Ids of kube-score checks graded below OK on any object."""
    done = _run([str(tools.bin("kube-score")), "score", "--output-format", "json", str(manifest)])
    assert done.stdout.strip().startswith("["), done.stderr
    found = set()
    for item in json.loads(done.stdout):
        for check in item["checks"]:
            if not check["skipped"] and check["grade"] < 10:
                found.add(check["check"]["id"])
    return found


def checkov(tools: Tools, *args: str) -> set[str]:
    """Ids of failed checkov checks (offline: no policy download, no platform)."""
    done = _run(
        [str(tools.bin("checkov")), *args, "--skip-download", "--output", "json", "--quiet", "--compact"]
    )
    assert done.stdout.strip(), done.stderr
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {c["check_id"] for r in reports for c in r.get("results", {}).get("failed_checks", [])}


@pytest.fixture(scope="module")
def rendered(
    tmp_path_factory: pytest.TempPathFactory,
    default_objects: list[dict[str, Any]],
    production_objects: list[dict[str, Any]],
) -> Path:
    """Both renders, each in its own file of one directory."""
    folder = tmp_path_factory.mktemp("rendered")
    write_manifest(folder / "default.yaml", default_objects)
    write_manifest(folder / "production.yaml", production_objects)
    return folder


def test_kube_score_findings_are_all_explained(tools: Tools, rendered: Path) -> None:
    found = kube_score(tools, rendered / "default.yaml") | kube_score(tools, rendered / "production.yaml")
    assert found == explained("kube-score")


def test_checkov_kubernetes_findings_are_all_explained(tools: Tools, rendered: Path) -> None:
    found = checkov(tools, "--directory", str(rendered), "--framework", "kubernetes")
    assert found == explained("checkov-kubernetes")


def test_checkov_dockerfile_findings_are_all_explained(tools: Tools) -> None:
    found = checkov(tools, "--file", str(DOCKERFILE), "--framework", "dockerfile")
    assert found == explained("checkov-dockerfile")


def test_scanners_do_fail_on_a_careless_deployment(tools: Tools, tmp_path: Path) -> None:
    careless = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "careless"},
        "spec": {
            "selector": {"matchLabels": {"app": "careless"}},
            "template": {
                "metadata": {"labels": {"app": "careless"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "app:latest", "securityContext": {"privileged": True}}
                    ]
                },
            },
        },
    }
    manifest = write_manifest(tmp_path / "careless.yaml", [careless])
    assert "container-security-context-privileged" in kube_score(tools, manifest)
    assert "CKV_K8S_16" in checkov(tools, "--file", str(manifest), "--framework", "kubernetes")  # privileged


def test_dockerfile_passes_buildkit_checks(tools: Tools) -> None:
    done = _run([str(tools.bin("dockerfile-lint")), str(DOCKERFILE)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no findings" in done.stdout


def test_dockerfile_linter_reports_bad_practice(tools: Tools, tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "# check=experimental=all\nfrom python:3.11 as Build\nENV password=hunter2\nCMD python -m app\n"
    )
    done = _run([str(tools.bin("dockerfile-lint")), str(bad)])
    assert done.returncode == 1
    for rule in (
        "ConsistentInstructionCasing",
        "StageNameCasing",
        "SecretsUsedInArgOrEnv",
        "JSONArgsRecommended",
    ):
        assert rule in done.stdout
