"""The image's layout without a Docker engine: the Dockerfile's build-stage install, run into a directory
with the same script from the same build context, then the entry points started from it as the image
would (no pip, nothing written under the install, a broker to talk to)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.platform.api_docs import ASSETS_URL, assets
from services.platform.broker import Broker
from tests.deploy.cluster import ROOT, free_port

DOCKERFILE = ROOT / "deploy" / "Dockerfile"
pytestmark = pytest.mark.slow


def build_stage_copies() -> list[tuple[str, str]]:
    """(source, destination) of each COPY of the build stage (the context the install runs in)."""
    text = DOCKERFILE.read_text()
    build = text.split(" AS build", 1)[1].split("\nFROM ", 1)[0]
    copies = []
    for line in re.findall(r"^COPY (?!--)(.+)$", build, flags=re.MULTILINE):
        *sources, destination = line.split()
        copies += [(source, destination if destination != "./" else source) for source in sources]
    return copies


def image_env(prefix: Path, home: Path) -> dict[str, str]:
    """The runtime image's environment (Dockerfile ENV), on this machine."""
    return {
        "PATH": f"{prefix / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
    }


def snapshot(prefix: Path) -> dict[str, tuple[int, int]]:
    """Every file under the install with its size and mtime: the read-only root must not change."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in prefix.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Dockerfile's build stage, replayed: its COPYs into a context, then its RUN (install.sh)."""
    work = tmp_path_factory.mktemp("image")
    context = work / "src"
    context.mkdir()
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for source, destination in build_stage_copies():
        src, dst = ROOT / source.rstrip("/"), destination
        target = context / dst if not dst.startswith("/") else work / "root" / dst.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=ignored)
        else:
            shutil.copy2(src, target)
    script = work / "root" / "usr" / "local" / "bin" / "install-hiring-pipeline"
    prefix = work / "opt" / "hiring-pipeline"
    done = subprocess.run(["sh", str(script), str(prefix)], cwd=context, capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable}, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return prefix


def test_dockerignore_admits_what_the_dockerfile_copies() -> None:
    admitted = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.startswith("!")}  # fmt: skip
    copies = build_stage_copies()
    assert copies, "no COPY in the build stage?"
    assert {source.rstrip("/") for source, _ in copies} <= admitted


def test_runtime_has_no_installer_and_both_entry_points(installed: Path) -> None:
    bins = {p.name for p in (installed / "bin").iterdir()}
    assert {"hiring-pipeline", "hiring-audit", "python"} <= bins
    assert not {"pip", "pip3"} & bins
    site = next((installed / "lib").glob("python3*/site-packages"))
    assert not list(site.glob("pip")), "pip must not be in the runtime environment"
    assert list(site.glob("services/**/__pycache__/*.pyc")), "byte-compiled at build time (read-only root)"


def test_the_api_pages_assets_are_installed_as_locked(installed: Path) -> None:
    """ADR 0031: the scripts, styles and licences of /docs, /redoc and /asyncapi are in the package."""
    site = next((installed / "lib").glob("python3*/site-packages"))
    base = site / "services" / "platform" / "api_assets"
    lock = json.loads((base / "lock.json").read_text())
    assert len(lock["packages"]) == 3
    for package in lock["packages"]:
        assert "LICENSE" in package["files"]
        for name, digest in package["files"].items():
            assert hashlib.sha256((base / package["dir"] / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["hiring-pipeline", "--help"], "interview"),
        (["hiring-pipeline", "interview", "serve", "--help"], "INTERVIEW_HOST"),
        (["hiring-pipeline", "decision", "serve", "--help"], "DECISION_PORT"),
        (["hiring-audit", "--help"], "Usage"),
        (["hiring-pipeline", "check", "--help"], "CHECK_INTERVIEW_URL"),  # the helm test Pod's command
    ],
)
def test_entry_points_start(installed: Path, tmp_path: Path, command: list[str], expected: str) -> None:
    before = snapshot(installed)
    done = subprocess.run(command, env=image_env(installed, tmp_path), cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout
    assert snapshot(installed) == before


def test_service_without_a_broker_fails_cleanly(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(["hiring-pipeline", "interview", "serve"], env=image_env(installed, tmp_path),
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "KAFKA_BOOTSTRAP_SERVERS is not set" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("component", ["interview", "decision"])
def test_service_without_authentication_settings_refuses_to_start(
    installed: Path, tmp_path: Path, component: str
) -> None:
    env = image_env(installed, tmp_path) | {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    done = subprocess.run(["hiring-pipeline", component, "serve"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "authentication is not configured: set AUTH_JWKS_FILE" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _wait_for(url: str, status: int, process: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        if _get(url) == status:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s")


@pytest.fixture
def serve(installed: Path, tmp_path: Path, kafka: Broker) -> Iterator[list[subprocess.Popen[str]]]:
    """Start services from the install; stop them by pid afterwards, whatever happened."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.kafka
def test_services_from_the_install_serve_probes_and_stop_on_sigterm(
    installed: Path, tmp_path: Path, kafka: Broker, serve: list[subprocess.Popen[str]]
) -> None:
    # As in the pod: HOME does not exist, only /tmp and the state emptyDir are writable.
    home, writable = tmp_path / "nonexistent", tmp_path / "tmp"
    writable.mkdir()
    servers = str(kafka.settings.bootstrap_servers)
    base = {**image_env(installed, writable), "HOME": str(home), "KAFKA_BOOTSTRAP_SERVERS": servers,
            "KAFKA_TOPIC_PREFIX": f"img{uuid.uuid4().hex[:8]}.", "KAFKA_PARTITIONS": "2",
            "PRIVACY_KEK_FILE": str(writable / "kek"), "PRIVACY_DEV_KEK": "true",
            "DECISION_TLOG_INSECURE_DEV_KEY": "true",  # the chart: decision.tlog.insecureDevKey (ADR 0026)
            **{k: v for k, v in os.environ.items() if k.startswith("AUTH_")}}  # fmt: skip
    before = snapshot(installed)
    # As the chart runs them: the interview service, and each decision role its own process (ADR 0016).
    commands = {"interview": "serve", "decision-projector": "projector", "decision-candidacy": "candidacy",
                "decision-query": "query", "decision-notary": "notary"}  # fmt: skip
    for component, command in commands.items():  # interview first: it creates the topics
        service = component.split("-")[0]
        name, port = service.upper(), free_port()
        env = {**base, f"{name}_HOST": "127.0.0.1", f"{name}_PORT": str(port),
               f"{name}_STATE_DIR": str(tmp_path / f"state-{component}")}  # fmt: skip
        with (tmp_path / f"{component}.log").open("w") as log:
            process = subprocess.Popen(["hiring-pipeline", service, command], env=env, cwd=writable,
                                       stdout=log, stderr=subprocess.STDOUT, text=True)  # fmt: skip
        serve.append(process)
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/healthz", 200, process)
        _wait_for(f"{url}/readyz", 200, process)
        # The API pages and their assets on the API fronts only (ADR 0016: projector roles answer probes).
        pages = 200 if component in {"interview", "decision-query"} else 404
        for page in ("/docs", "/redoc", "/asyncapi", f"{ASSETS_URL}/{next(iter(assets()))}"):
            assert _get(url + page) == pages, (component, page)
    for process in serve:
        process.send_signal(signal.SIGTERM)
    for process, component in zip(serve, commands, strict=True):
        assert process.wait(30) == 0, (tmp_path / f"{component}.log").read_text()[-3000:]
    assert not home.exists(), "the services wrote under HOME, which does not exist in the image"
    assert snapshot(installed) == before, "the services wrote into the (read-only) install"
