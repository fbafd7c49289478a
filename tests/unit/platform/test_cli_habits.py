"""CLI habits: ``-h`` and ``--version`` everywhere; a misconfiguration is one line and exit 2, before Kafka.

The processes are the real ones (``python -m services.*``): Kafka points at a port nobody listens on with a
30 s start-up bound, so a check made after connecting would take 30 s and fail the time bound.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from schemas.dlq import DlqEntry
from services.audit.entrypoints.cli import app as audit_app
from services.launcher.cli import app as launcher_app
from services.platform.auth import AuthSettings, Verifier
from services.platform.cli_habits import listen
from services.platform.devkeys import dev_issuer

ROOT = Path(__file__).resolve().parents[3]
VERSION = version("hiring-pipeline")
BOUND_S = 8.0
"""Generous for a shared, loaded machine: the process itself decides in well under a second (its Python
imports included, ~0.8 s here); what this rules out is the 30 s Kafka start-up bound."""


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another socket listens on."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield holder.getsockname()[1]


def _start(args: list[str], **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    ours = ("KAFKA_", "INTERVIEW_", "DECISION_", "AUTH_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    base |= {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "KAFKA_STARTUP_WAIT_S": "30",
             "AUTH_INSECURE_DEV_NO_AUTH": "true"} | env  # fmt: skip
    began = time.monotonic()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    return done, time.monotonic() - began


def _one_error_line(done: subprocess.CompletedProcess[str], took: float, *words: str) -> str:
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]
    assert took < BOUND_S
    return lines[0]


@pytest.mark.parametrize(
    ("args", "port_env"),
    [
        (["-m", "services.interview"], "INTERVIEW_PORT"),
        (["-m", "services.decision", "projector"], "DECISION_PORT"),
        (["-m", "services.decision", "query"], "DECISION_PORT"),
    ],
)
def test_a_taken_port_is_one_line_and_exit_2_before_kafka(
    args: list[str], port_env: str, taken_port: int
) -> None:
    done, took = _start(args, **{port_env: str(taken_port)})
    line = _one_error_line(done, took, f"127.0.0.1:{taken_port}", port_env, "Address already in use")
    assert "Traceback" not in line


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["-m", "services.interview"], {"INTERVIEW_PORT": "99999"}, ["INTERVIEW_PORT=99999", "65535"]),
        (["-m", "services.decision", "query"], {"DECISION_PORT": "abc"}, ["DECISION_PORT=abc", "integer"]),
        (["-m", "services.interview"], {"INTERVIEW_LOG_LEVEL": "LOUD"}, ["_LOG_LEVEL=LOUD", "'INFO'"]),
        (["-m", "services.interview"], {"KAFKA_PARTITIONS": "zero"}, ["KAFKA_PARTITIONS=zero"]),
        (["-m", "services.decision", "projector"], {"KAFKA_BOOTSTRAP_SERVERS": ""}, ["_BOOTSTRAP_SERVERS"]),
        (["-m", "services.interview"], {"KAFKA_BOOTSTRAP_SERVERS": ""}, ["KAFKA_BOOTSTRAP_SERVERS"]),
        (["-m", "services.interview"], {"AUTH_ISSUER": "x"}, ["AUTH_* settings", "choose one"]),
    ],
)
def test_a_bad_or_missing_setting_is_one_line_naming_it(
    args: list[str], env: dict[str, str], words: list[str]
) -> None:
    done, took = _start(args, **env)
    _one_error_line(done, took, *words)


def test_the_bound_socket_serves_the_port_it_names() -> None:
    with listen("127.0.0.1", 0, "X_PORT") as sock:
        port = sock.getsockname()[1]
        with pytest.raises(Exception, match=f"127.0.0.1:{port} \\(X_PORT\\): Address already in use"):
            listen("127.0.0.1", port, "X_PORT")


@pytest.mark.parametrize(
    ("app", "args"),
    [
        (launcher_app, []),
        (launcher_app, ["decision"]),
        (launcher_app, ["interview"]),
        (launcher_app, ["kafka"]),
        (launcher_app, ["token"]),
        (audit_app, []),
        (audit_app, ["checkpoint"]),
    ],
)
def test_every_group_has_version_and_short_help(app: object, args: list[str]) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, [*args, "--version"])  # type: ignore[arg-type]
    assert shown.exit_code == 0
    assert shown.stdout.strip() == f"hiring-pipeline {VERSION}"
    helped = runner.invoke(app, [*args, "-h"])  # type: ignore[arg-type]
    assert helped.exit_code == 0
    assert "Usage:" in helped.stdout


@pytest.mark.parametrize("args", [["kafka", "up", "-h"], ["decision", "parked", "-h"], ["run", "-h"]])
def test_commands_inherit_short_help(args: list[str]) -> None:
    helped = CliRunner().invoke(launcher_app, args)
    assert helped.exit_code == 0
    assert "Usage:" in helped.stdout


def test_the_service_modules_answer_version() -> None:
    for module in ("services.interview", "services.decision"):
        done = subprocess.run([sys.executable, "-m", module, "--version"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert (done.returncode, done.stdout.strip()) == (0, f"hiring-pipeline {VERSION}")


PARKED = DlqEntry("poison", "unknown_policy", "no v9", "interview.events", 2, 41, "i-1")


@pytest.mark.parametrize("found", [[], [PARKED]])
def test_decision_parked_says_none_or_lists_and_has_json(
    found: list[DlqEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def entries(client: object, topics: object) -> list[DlqEntry]:
        return found

    monkeypatch.setattr("services.decision.entrypoints.cli.parked_entries", entries)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    runner = CliRunner()
    text = runner.invoke(launcher_app, ["decision", "parked"])
    as_json = runner.invoke(launcher_app, ["decision", "parked", "--json"])
    assert (text.exit_code, as_json.exit_code) == (0, 0)
    if not found:
        assert text.stdout == "none\n"
        assert json.loads(as_json.stdout) == []
    else:
        assert text.stdout == "i-1\tp2@41\tunknown_policy\tno v9\n"
        assert json.loads(as_json.stdout) == [
            {"kind": "poison", "code": "unknown_policy", "reason": "no v9", "topic": "interview.events",
             "partition": 2, "offset": 41, "interview_id": "i-1", "dlq_offset": -1}
        ]  # fmt: skip


def test_piped_tables_are_not_cut_at_80_columns() -> None:
    script = (
        "from rich.table import Table\n"
        "from services.platform.cli_habits import stdout_console\n"
        "table = Table('interview', 'reasons')\n"
        "table.add_row('i-' + 'x' * 150, 'shallow_exploration ' * 8)\n"
        "stdout_console().print(table)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "i-" + "x" * 150 in done.stdout
    assert "shallow_exploration " * 7 + "shallow_exploration" in done.stdout
    assert "…" not in done.stdout


def test_sample_calibration_sends_a_service_token_the_services_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []

    async def feed(http: httpx.AsyncClient, run_id: str, interviews: int, *, seed: int) -> list[object]:
        sent.append(http.headers.get("Authorization", ""))
        return []

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setattr("services.launcher.cli.feed_calibration_sample", feed)
    done = CliRunner().invoke(launcher_app, ["sample-calibration", "--interview-url", "http://127.0.0.1:9"])
    assert done.exit_code == 0, done.output
    assert len(sent) == 1
    assert sent[0].startswith("Bearer ")
    env = dev_issuer(tmp_path / "hiring-pipeline" / "auth").env()  # what `token env` makes services trust
    trusted = AuthSettings(**{k.removeprefix("AUTH_").lower(): v for k, v in env.items()})
    principal = Verifier(trusted).verify(sent[0].removeprefix("Bearer "))
    assert "service" in principal.roles


def test_kafka_up_prints_one_fact_per_line_without_dangling_commas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = SimpleNamespace(version="4.4.0", pid=4242, bootstrap_servers="127.0.0.1:55095", data_dir=tmp_path,
                           secure=False)  # fmt: skip
    topics = ["interview.commands", "interview.command-results", "interview.events", "decision.events"]

    async def provision(bootstrap: str) -> list[str]:
        return topics

    monkeypatch.setattr("services.launcher.cli.local_kafka.start_broker", lambda *a, **k: info)
    monkeypatch.setattr("services.launcher.cli.local_kafka.wait_ready", lambda *a, **k: 5.1)
    monkeypatch.setattr("services.launcher.cli._provision", provision)
    monkeypatch.setattr("services.launcher.cli.console", Console(width=40))  # a narrow terminal
    done = CliRunner().invoke(launcher_app, ["kafka", "up", "--data-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "Apache Kafka 4.4.0 ready in 5.1s (pid 4242)"
    assert lines[1] == "  KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:55095"
    listed = [line.strip() for line in lines[-len(topics) - 1 :]]
    assert listed == [f"topics created ({len(topics)}):", *topics]
    assert not [line for line in lines if line.rstrip().endswith(",")]
