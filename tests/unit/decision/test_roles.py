"""The decision roles' entrypoints without a broker: commands, ports, probes, role-labelled metrics."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.decision.adapters.metrics import CandidacyMetrics, DecisionMetrics
from services.decision.entrypoints.cli import app
from services.decision.entrypoints.probes import Health, Probes, probe_app
from services.decision.entrypoints.runtime import (
    CandidacyRuntime,
    DecisionRuntime,
    ProjectorRuntime,
    QueryRuntime,
)
from services.decision.entrypoints.service import build_role
from services.decision.entrypoints.settings import DecisionSettings, Role
from services.platform.settings import KafkaSettings


def test_each_role_is_a_command() -> None:
    listed = CliRunner().invoke(app, ["--help"]).output
    commands = ("projector", "candidacy", "query", "notary", "serve", "parked", "retry-parked", "tlog-key")
    for command in commands:
        assert command in listed


def test_each_role_has_its_own_default_port_and_decision_port_overrides_it() -> None:
    settings = DecisionSettings()
    ports = {role: settings.port_of(role) for role in Role}
    assert ports == {Role.QUERY: 8082, Role.SERVE: 8082, Role.PROJECTOR: 8083, Role.CANDIDACY: 8084,
                     Role.NOTARY: 8085}  # fmt: skip
    assert DecisionSettings(port=9000).port_of(Role.PROJECTOR) == 9000


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (Role.PROJECTOR, ProjectorRuntime),
        (Role.CANDIDACY, CandidacyRuntime),
        (Role.QUERY, QueryRuntime),
        (Role.SERVE, DecisionRuntime),
    ],
)
def test_build_role_wires_only_that_role(role: Role, kind: type, tmp_path: Path) -> None:
    settings = DecisionSettings(state_dir=tmp_path, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"))
    assert isinstance(build_role(settings, role), kind)


def test_every_sample_names_its_role() -> None:
    projector, candidacy = DecisionMetrics(), CandidacyMetrics()
    projector.lag.labels("0").set(3)
    candidacy.projected.inc(2)
    assert 'decision_consumer_lag{partition="0",role="projector"} 3.0' in projector.render().decode()
    assert 'decision_candidacy_rounds_projected_total{role="candidacy"} 2.0' in candidacy.render().decode()


class Answering:
    """A broker probe that always hears an answer."""

    async def healthy(self) -> bool:
        return True


async def test_a_projector_answers_its_own_readiness_and_metrics() -> None:
    ready = False
    metrics = CandidacyMetrics()
    probes = Probes(
        "candidacy", lambda: ready, "claiming partitions",
        lambda: Health(status="ready", role="candidacy", partitions=[1, 2]), metrics.render,
    )  # fmt: skip
    app_ = probe_app(probes, Answering(), 1024)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app_)
    async with httpx.AsyncClient(transport=transport, base_url="http://role") as http:
        assert (await http.get("/healthz")).json()["role"] == "candidacy"
        waiting = await http.get("/readyz")
        assert (waiting.status_code, waiting.json()["detail"]) == (503, "claiming partitions")
        ready = True
        answer = await http.get("/readyz")
        assert (answer.status_code, answer.json()["partitions"]) == (200, [1, 2])
        assert 'role="candidacy"' in (await http.get("/metrics")).text
        assert (await http.get("/interviews/x/verdict")).status_code == 404  # no API on a projector
