"""Fixtures of the deploy tests: the tools of deploy/k8s/tools.sh, rendered charts, a local API server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.cluster import CHART, ROOT, Cluster, Tools

PRODUCTION_VALUES = ROOT / "deploy" / "helm" / "production-values.yaml"
TLOG_VALUES = Path(__file__).parent / "tlog-values.yaml"
"""The notary's key Secret and verifier key (ADR 0026), which the chart requires: first, so tests override."""


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The built tools; without them: skip locally, fail in CI (CI must have run tools.sh)."""
    found = Tools.locate()
    missing = found.missing()
    if missing:
        message = f"deploy tools missing in {found.root}: {', '.join(missing)}; run bash deploy/k8s/tools.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def helm(tools: Tools, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run helm without a cluster (lint, template); raise with its output on failure if ``check``."""
    if args and args[0] in ("template", "lint") and "--no-tlog-values" not in args:
        args = (args[0], "-f", str(TLOG_VALUES), *args[1:])
    args = tuple(a for a in args if a != "--no-tlog-values")
    done = subprocess.run([str(tools.bin("helm")), *args], capture_output=True, text=True, check=False,
                          timeout=120)  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def render(tools: Tools, *args: str, release: str = "hp", namespace: str = "hiring") -> list[dict[str, Any]]:
    """``helm template`` of the chart, parsed (empty documents dropped)."""
    out = helm(tools, "template", release, str(CHART), "--namespace", namespace, *args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="session")
def default_objects(tools: Tools) -> list[dict[str, Any]]:
    """The chart rendered with its default values."""
    return render(tools)


@pytest.fixture(scope="session")
def production_objects(tools: Tools) -> list[dict[str, Any]]:
    """The chart rendered with the production-like example values."""
    return render(tools, "-f", str(PRODUCTION_VALUES))


# Module scope: the control plane (~0.5 GB, a little CPU) must not run on beside the rest of the suite.
@pytest.fixture(scope="module")
def cluster(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A local control plane with fake nodes and the Strimzi, KEDA and ServiceMonitor CRDs; every process
    stopped afterwards."""
    running = Cluster(tools, tmp_path_factory.mktemp("k8s"))
    try:
        running.start()
        running.install_crds([*tools.strimzi_crds, *tools.operator_crds])
        yield running
    finally:
        running.stop()


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The objects of one kind."""
    return [o for o in objects if o["kind"] == kind]


def write_manifest(path: Path, objects: list[dict[str, Any]]) -> Path:
    """Objects as one multi-document YAML file."""
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return path
