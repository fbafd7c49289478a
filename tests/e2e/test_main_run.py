"""The README's main run: broker, both services (the decision roles as separate processes), the sample
interviews, verdicts printed, clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.launcher.calibration_sample import OFFSET_INTERVIEWER
from services.platform.broker import Broker
from services.platform.local_kafka import pid_alive

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
RUN = [sys.executable, "-m", "services.launcher.cli", "run"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTERVIEW_", "DECISION_"))}
    return env | {"COLUMNS": "200"} | extra


def test_run_prints_the_verdicts_and_signals_and_the_audit_proves_them(kafka: Broker, tmp_path: Path) -> None:
    env = _env(
        KAFKA_BOOTSTRAP_SERVERS=str(kafka.settings.bootstrap_servers),
        KAFKA_TOPIC_PREFIX=f"run{uuid.uuid4().hex[:6]}.",
        KAFKA_PARTITIONS="3",
    )
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*RUN, "--exit-after-sample"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        code = process.wait(timeout=240)
    finally:
        _stop_everything(process, log.read_text())
    out = log.read_text()
    assert code == 0, out
    story, checklist = out.split("fed iv-checklist-")
    # Both headline samples open under policy v2 (ADR 0023): each side with its confidence and reasons.
    assert "(policy v2, final=True)" in story
    assert "mutual_fit" in story
    assert "proceed" in story
    assert story.count("confidence high") == 2, story  # both sides
    assert "story_explored" in story
    for code in ("story_not_invited", "checklist_interview", "no_story", "no_candidate_questions"):
        assert code in checklist, code
    checklist, candidacy = checklist.split("fed candidacy ")
    # Checklist, no story: the company's decline is held (low confidence), another round is needed.
    assert "(policy v2, final=True)" in checklist
    assert "undecided, leaning decline" in checklist
    assert "confidence low" in checklist
    assert "x no_story: no story was told" in checklist
    assert "another round needed" in checklist
    assert "no_fit" not in checklist
    # The three-round candidacy (ADR 0012): its verdict cites its rounds, and the dissenting round.
    cited = ("cy-demo-", "iv-screen-", "iv-technical-", "iv-final-", "mutual_fit", "declined in technical")
    candidacy, calibration = candidacy.split("fed the calibration panel: ")
    for text in cited:
        assert text in candidacy, text
    # The calibration panel (ADR 0013): the offset interviewer is flagged, and no one else.
    flagged = {
        line.split()[1].rstrip(":")
        for line in calibration.splitlines()
        if line.strip().startswith("flagged ")
    }
    assert flagged == {OFFSET_INTERVIEWER}, calibration
    assert "not flagged: " in calibration
    assert OFFSET_INTERVIEWER not in calibration.split("not flagged: ")[1].splitlines()[0]
    assert "stopped cleanly" in out
    assert "hiring-audit verify" in out
    for role in ("projector", "candidacy", "query", "notary"):  # each its own process (ADR 0016, 0026)
        assert re.search(rf"decision-{role}\s+http://\S+\s+\(pid \d+\)", out), role
    # The checkpoints' verifier key, printed whole: the local development key, loudly named (ADR 0026).
    dev_key = r"transparency log verifier key: hiring-pipeline-DEVELOPMENT-ONLY-notary\+[0-9a-f]{8}\+\S+"
    assert re.search(dev_key, out)

    report = tmp_path / "audit.html"
    audit = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.audit.entrypoints.cli",
            "verify",
            "--no-progress",
            "--json",
            "--html",
            str(report),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    verified = json.loads(audit.stdout)
    assert verified["ok"] is True
    assert verified["counts"]["candidacy_revisions_matched"] == verified["counts"]["candidacy_events"] > 0
    html = report.read_text()
    assert "iv-story-first-" in html
    assert "iv-checklist-" in html
    assert "candidacy cy-demo-" in html
    # v2 runs in shadow beside the v1 samples (ADR 0024): verify proved its revisions with the rest, the
    # report shows their confidence, and what-if shows what v2 would change: the checklist under v1.
    assert "data-policy='v2'" in html
    assert "latest-confidence" in html
    whatif = subprocess.run(
        [sys.executable, "-m", "services.audit.entrypoints.cli", "what-if", "--policy", "v2", "--json",
         "--no-progress"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert whatif.returncode == 0, whatif.stdout + whatif.stderr
    changes = json.loads(whatif.stdout)
    (before,) = [c for c in changes["changed"] if c["interview"].startswith("iv-before-v2-")]
    company = next(p for p in before["parts"] if p["part"] == "company")
    assert (company["before"], company["after"]) == ("decline", "undecided")
    assert changes["transitions"]["company"]["decline → undecided"] >= 1


def _pids(output: str) -> list[int]:
    """The broker's and services' pids, as the run prints them."""
    return [int(p) for p in re.findall(r"pid (\d+)", output)]


def _stop_everything(process: subprocess.Popen[Any], output: str) -> None:
    """Whatever happened, stop the run and every child it printed, by pid (they run in own sessions)."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in _pids(output):
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def _wait_for_line(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        if marker in line:
            return seen
    raise AssertionError(f"{marker!r} not printed within {timeout}s:\n{seen}")


def test_ctrl_c_stops_services_and_embedded_broker(tmp_path: Path) -> None:
    process = subprocess.Popen(
        RUN,
        env=_env(XDG_STATE_HOME=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = rest = ""
    try:
        seen = _wait_for_line(process, "Serving.", timeout=240)
        pids = _pids(seen)
        assert len(pids) == 6, seen  # broker, interview service, the four decision roles (ADR 0016, 0026)
        assert all(f"decision-{role}" in seen for role in ("projector", "candidacy", "query", "notary")), seen
        assert all(pid_alive(pid) for pid in pids)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        _stop_everything(process, seen + rest)
    assert process.returncode == 0, seen + rest
    assert "stopped cleanly" in rest
    assert not [pid for pid in pids if pid_alive(pid)]
