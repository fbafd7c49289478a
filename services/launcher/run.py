"""The main run: a real broker, the topics, both services, sample interviews, until Ctrl-C.

The decision service runs as its four roles (ADR 0016, 0026), each its own child process, as deployed: the
verdict projector, the candidacy projector, the notary (signed transparency-log checkpoints) and the query
service (whose API the samples read).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from schemas.topics import Topics
from services.launcher import secure_kafka
from services.launcher.calibration_sample import feed_calibration_sample, final_calibration, print_calibration
from services.launcher.candidacy_sample import feed_candidacy, final_candidacy, print_candidacy
from services.launcher.principals import AUDIT, DECISION, INTERVIEW
from services.launcher.report import print_verdict
from services.launcher.samples import CHECKLIST, STORY_FIRST, Step, feed
from services.platform.broker import Broker, kafka_broker
from services.platform.cli_habits import stdout_console
from services.platform.devkeys import DevIssuer, dev_issuer
from services.platform.local_kafka import pid_alive, port_or_free
from services.platform.topics import ensure_topics

console = stdout_console()


@dataclass
class Service:
    """A service child process, its HTTP base URL and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path


DECISION_ROLES = {"projector": 8083, "candidacy": 8084, "query": 8082, "notary": 8085}
"""The decision roles the run starts, each with its preferred port (a free one if taken)."""


@contextmanager
def service(
    name: str, module: str, env: dict[str, str], port: int, logs: Path, args: Sequence[str] = ()
) -> Iterator[Service]:
    """Start ``python -m module *args``; on exit SIGTERM it by pid (SIGKILL after 15 s)."""
    log = logs / f"{name}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield Service(name, process, f"http://127.0.0.1:{port}", log)
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM a child by its pid, wait, then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_ready(svc: Service, timeout: float = 90.0) -> None:
    """Poll ``/readyz`` until 200; fail early if the process died."""
    async with httpx.AsyncClient(base_url=svc.url, timeout=2) as http:
        for _ in range(int(timeout / 0.25)):
            if svc.process.poll() is not None:
                raise RuntimeError(f"{svc.name} exited (code {svc.process.returncode}); see {svc.log}")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError(f"{svc.name} not ready after {timeout:.0f}s; see {svc.log}")


async def final_verdict(
    decision: Service, interview_id: str, token: str, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll the decision API (with ``token``, e.g. an auditor's) until the interview's verdict is final."""
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=decision.url, timeout=5, headers=auth) as http:
        for _ in range(int(timeout / 0.25)):
            response = await http.get(f"/interviews/{interview_id}/verdict")
            if response.status_code == 200 and response.json()["verdict"]["final"]:
                return dict(response.json())
            await asyncio.sleep(0.25)
    raise RuntimeError(f"no final verdict for {interview_id} after {timeout:.0f}s")


def _under_v1(steps: list[Step], run_id: str) -> list[Step]:
    """The steps with an open command that names no policy (v1 by default), in a candidacy of its own."""

    def opened(body: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in body.items() if k != "policy_version"}
        return kept | {"candidacy_id": f"cy-before-v2-{run_id}"}

    return [(route, actor, opened(body) if route == "open" else body) for route, actor, body in steps]


@contextmanager
def _interrupts() -> Iterator[asyncio.Event]:
    """An event set by SIGINT/SIGTERM, so Ctrl-C stops everything in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _samples(interview: Service, decision: Service, issuer: DevIssuer) -> None:
    run_id = uuid.uuid4().hex[:6]

    def tokens(role: str, sub: str) -> str:  # each participant acts with their own token
        return issuer.issue(role, sub, ttl_s=600)

    async with httpx.AsyncClient(base_url=interview.url, timeout=30) as http:
        for name, steps in (("story-first", STORY_FIRST), ("checklist", CHECKLIST)):
            fed = await feed(http, f"iv-{name}-{run_id}", steps, tokens)
            console.print(
                f"fed [bold]{fed.interview_id}[/bold]: {len(fed.event_ids)} events, version {fed.version}"
            )
            auditor = issuer.issue("auditor", "run-auditor", ttl_s=600)
            print_verdict(console, await final_verdict(decision, fed.interview_id, auditor))
        # The checklist once more under v1, as interviews open by default: v2 runs beside it in shadow
        # (ADR 0024) and `hiring-audit what-if --policy v2` shows what v2 would change for it.
        before = await feed(http, f"iv-before-v2-{run_id}", _under_v1(CHECKLIST, run_id), tokens)
        await final_verdict(decision, before.interview_id, auditor)  # its shadow is in the same transaction
        console.print(f"fed [bold]{before.interview_id}[/bold]: the checklist interview again under v1 (the "
                      "default), v2 beside it in shadow on decision.shadow", soft_wrap=True)  # fmt: skip
    # The feeder is a service acting for each participant; the reader an auditor.
    feeder, reader = ({"Authorization": f"Bearer {issuer.issue(role, f'run-{role}', ttl_s=600)}"}
                      for role in ("service", "auditor"))  # fmt: skip
    async with (
        httpx.AsyncClient(base_url=interview.url, timeout=30, headers=feeder) as interviews,
        httpx.AsyncClient(base_url=decision.url, timeout=5, headers=reader) as decisions,
    ):
        # Three rounds of one candidacy, then the candidacy verdict citing them (ADR 0012).
        candidacy_id = f"cy-demo-{run_id}"
        ids = await feed_candidacy(interviews, candidacy_id, run_id)
        console.print(f"fed candidacy [bold]{candidacy_id}[/bold]: rounds {', '.join(ids)}")
        print_candidacy(console, await final_candidacy(decisions, candidacy_id, len(ids)))
        # A panel with one interviewer who rates everyone low, then the calibration (ADR 0013).
        panel = await feed_calibration_sample(interviews, run_id)
        console.print(f"fed the calibration panel: {len(panel)} interviews")
        print_calibration(console, await final_calibration(decisions, [f.interview_id for f in panel]))


async def _print_transparency(decision: Service) -> None:
    """The checkpoints' verifier key (a whole line: an auditor copies it) and where checkpoints are."""
    async with httpx.AsyncClient(base_url=decision.url, timeout=5) as http:
        keys = (await http.get("/transparency/key")).json()["keys"]
    for key in keys:
        console.print(f"transparency log verifier key: {key}", soft_wrap=True)
    console.print(f"signed checkpoints: {decision.url}/transparency/checkpoints (ADR 0026)", soft_wrap=True)


async def _main(broker: Broker, logs: Path, exit_after_sample: bool) -> None:
    topics = Topics(broker.settings.topic_prefix)
    secure = broker.local is not None and broker.local.secure
    if secure:  # topics and the services' ACLs, as the super user; each service runs as its own user
        assert broker.local is not None
        await secure_kafka.provision(broker.local, broker.settings)
    else:
        await ensure_topics(
            broker.client(), topics, broker.settings.partitions, broker.settings.replication_factor
        )
    # A run's broker is new each time unless KAFKA_BOOTSTRAP_SERVERS names one: keep the services'
    # local stores with it, beside the logs, rather than in the state directory of long-lived installs.
    # Both services trust the local development issuer (hiring-pipeline token issue signs with it).
    issuer = dev_issuer()
    env = issuer.env() | {
        "KAFKA_BOOTSTRAP_SERVERS": str(broker.settings.bootstrap_servers),
        "INTERVIEW_STATE_DIR": os.environ.get("INTERVIEW_STATE_DIR") or str(logs / "state"),
        "DECISION_STATE_DIR": os.environ.get("DECISION_STATE_DIR") or str(logs / "state"),
        # Policy v2 runs in shadow beside each v1 interview's own policy (ADR 0024); empty: no shadow.
        "DECISION_SHADOW_POLICY": os.environ.get("DECISION_SHADOW_POLICY", "v2"),
    }
    # On a secure broker each service is its own Kafka user; topics exist already (the admin made them).
    own = {name: secure_kafka.service_env(broker, name) for name in (INTERVIEW, DECISION)}
    if secure:  # as under Kubernetes: the services verify the topics (Describe, DescribeConfigs)
        own[INTERVIEW]["INTERVIEW_CREATE_TOPICS"] = "false"
        own[DECISION]["DECISION_CREATE_TOPICS"] = "false"
    ports = {
        "interview": int(os.environ.get("INTERVIEW_PORT") or port_or_free(8080)),
        "query": int(os.environ.get("DECISION_PORT") or port_or_free(DECISION_ROLES["query"])),
    }
    for role in ("projector", "candidacy", "notary"):
        ports[role] = port_or_free(DECISION_ROLES[role])
    with _interrupts() as stop, ExitStack() as stack:
        interview = stack.enter_context(
            service(
                "interview",
                "services.interview",
                env | own[INTERVIEW] | {"INTERVIEW_PORT": str(ports["interview"])},
                ports["interview"],
                logs,
            )
        )
        roles = {
            role: stack.enter_context(
                service(
                    f"decision-{role}",
                    "services.decision",
                    env | own[DECISION] | {"DECISION_PORT": str(ports[role])},
                    ports[role],
                    logs,
                    (role,),
                )
            )
            for role in DECISION_ROLES
        }
        decision = roles["query"]
        await asyncio.gather(wait_ready(interview), *(wait_ready(r) for r in roles.values()))
        started = ", ".join(f"{r.name} {r.url} (pid {r.process.pid})" for r in roles.values())
        console.print(
            f"interview service {interview.url}/docs (pid {interview.process.pid}), {started}; "
            f"query API {decision.url}/docs; logs in {logs}",
            soft_wrap=True,
        )
        await _samples(interview, decision, issuer)
        bin_dir = Path(sys.executable).parent
        await _print_transparency(decision)

        def env_of(user: str) -> str:  # the variables a command needs (on a secure broker: the user's)
            found = f"KAFKA_BOOTSTRAP_SERVERS={broker.settings.bootstrap_servers}"
            if secure:
                found = " ".join(f"{k}={v}" for k, v in secure_kafka.service_env(broker, user).items())
            if broker.settings.topic_prefix:
                found += f" KAFKA_TOPIC_PREFIX={broker.settings.topic_prefix}"
            return found

        # Whole lines, never wrapped: they are commands to copy.
        console.print(
            f"audit it: {env_of(AUDIT)} {bin_dir / 'hiring-audit'} verify --html audit.html", soft_wrap=True
        )
        console.print(
            f"what v2 would change: {env_of(AUDIT)} {bin_dir / 'hiring-audit'} what-if --policy v2 "
            "--html whatif.html",
            soft_wrap=True,
        )
        console.print(
            f"erase the sample candidate: {env_of(INTERVIEW)} {bin_dir / 'hiring-pipeline'} privacy erase "
            "--candidate cand-7",
            soft_wrap=True,
        )
        console.print(
            f"call them: TOKEN=$({bin_dir / 'hiring-pipeline'} token issue --role auditor --sub you); "
            f'curl -H "Authorization: Bearer $TOKEN" {decision.url}/interviews/<id>/verdict',
            soft_wrap=True,
        )
        if not exit_after_sample:
            console.print("[bold]Serving.[/bold] Press Ctrl-C to stop everything.")
            await stop.wait()
        console.print("stopping services ...")


def run(exit_after_sample: bool = False, secure: bool = False) -> None:
    """Start (or connect to) Kafka and both services, feed the samples, serve until Ctrl-C.

    ``secure``: a local broker with SASL_SSL, SCRAM-SHA-512 and ACLs, each service as its own user.
    """
    logs = Path(tempfile.mkdtemp(prefix="hiring-run-"))
    port = port_or_free(9092)
    chosen = secure_kafka.local_secure_broker(logs / "kafka", port) if secure else kafka_broker(port=port)
    with chosen as broker:
        pid = f", pid {broker.local.pid}" if broker.local else ""
        ready = f", ready in {broker.started_in:.1f}s" if broker.kind == "local" else ""
        console.print(f"Kafka ({broker.kind}) at {broker.settings.bootstrap_servers}{pid}{ready}")
        asyncio.run(_main(broker, logs, exit_after_sample))
        console.print("stopping Kafka ...")
    if broker.local and pid_alive(broker.local.pid):
        raise RuntimeError(f"broker pid {broker.local.pid} still running")
    console.print("stopped cleanly")
