"""Both services as child processes, the way they run in production (tests and benchmarks)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.platform.local_kafka import free_port
from testkit.auth import auth_env

COMMANDS = {
    "interview": [sys.executable, "-m", "services.interview"],
    "decision": [sys.executable, "-m", "services.decision", "serve"],  # all roles in one process
    "decision-projector": [sys.executable, "-m", "services.decision", "projector"],
    "decision-candidacy": [sys.executable, "-m", "services.decision", "candidacy"],
    "decision-query": [sys.executable, "-m", "services.decision", "query"],
}
ROLES = ("projector", "candidacy", "query")
"""The decision roles (ADR 0016), each its own process in production."""


@dataclass
class Child:
    """One service process, its port and its log; stopped by its process id."""

    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    started: float = field(default=0.0)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Child:
        """Start the process (its log appended to ``log``)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                COMMANDS[self.name],
                env={**os.environ, **auth_env(), **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started = time.monotonic()
        return self

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then SIGKILL if it has not exited after ``timeout``; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait(timeout=10)

    def ready(self) -> bool:
        """``/readyz`` answers 200."""
        try:
            return httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float) -> float:
        """Seconds from start until ready; raises if the process died or the time ran out."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s; see {self.log}")
            time.sleep(0.1)
        return time.monotonic() - self.started

    def rss_mb(self) -> float:
        """Resident memory of the process now."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def metric(self, name: str) -> float:
        """Sum of a Prometheus metric's samples (all labels)."""
        text = httpx.get(f"{self.base}/metrics", timeout=5).text
        values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name)]
        return sum(values)


def services(
    bootstrap: str, prefix: str, partitions: int, state: Path, logs: Path, *, split: bool = False
) -> dict[str, Child]:
    """An interview and a decision service on ``bootstrap`` under ``prefix``, state kept in ``state``.

    ``split``: the decision roles as separate processes, the way they are deployed (ADR 0016): the query
    service under ``decision`` (its API), the projectors under ``projector`` and ``candidacy``;
    otherwise ``decision`` is all of them in one process (``decision serve``).
    """
    kafka = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC_PREFIX": prefix,
             "KAFKA_PARTITIONS": str(partitions)}  # fmt: skip
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    interview = {**kafka, "INTERVIEW_PORT": str(port), "INTERVIEW_STATE_DIR": str(state)}
    kids = {"interview": Child("interview", port, interview, logs / "interview.log")}
    if not split:
        return kids | {"decision": decision_child("decision", kafka, state, logs)}
    return kids | {
        "decision": decision_child("decision-query", kafka, state, logs),
        "projector": decision_child("decision-projector", kafka, state, logs),
        "candidacy": decision_child("decision-candidacy", kafka, state, logs),
    }


def decision_child(name: str, env: dict[str, str], state: Path, logs: Path) -> Child:
    """A decision process (``name`` a key of ``COMMANDS``) on a free port, its state in ``state``."""
    port = free_port()
    own = {**env, "DECISION_PORT": str(port), "DECISION_STATE_DIR": str(state)}
    return Child(name, port, own, logs / f"{name}.log")
