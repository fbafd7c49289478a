"""The pipeline over SASL_SSL (SCRAM-SHA-512) with one principal per service and least-privilege ACLs.

A broker of its own (module scope, stopped by pid): KRaft with the standard authorizer, SCRAM users
written at format time, a throwaway CA. Commands go in over the Kafka intake as the interview
principal (no HTTP token needed), verdict revisions come out of the decision service, and
``hiring-audit verify`` passes as the read-only audit principal. A principal without the ACL cannot
write ``interview.events``; a wrong password or an unknown CA fails with a clear error; no password
appears in any log.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
from pydantic import SecretStr

from schemas import decode, encode
from schemas.commands import CommandAccepted
from schemas.topics import INTERVIEW_EVENTS, TOPIC_SPECS, WRITER_STATE, Topics
from services.decision.adapters.tlog_records import CheckpointRecord
from services.decision.domain.replay import project
from services.interview.entrypoints.service import TOPICS_USED
from services.interview.entrypoints.settings import InterviewSettings
from services.launcher import secure_kafka
from services.launcher.principals import AUDIT, DECISION, INTERVIEW, interview_transactional_prefix
from services.launcher.run import Service, service, wait_ready
from services.platform import local_kafka
from services.platform.log_reader import read_all
from services.platform.settings import KafkaSecurityError, KafkaSettings
from services.platform.topics import TopicsError, verify_topics
from tests.decision_support import eventually, free_port
from tests.integration.interview.conftest import KafkaIntake, envelope
from tests.integration.interview.script import STORY_FIRST

pytestmark = [pytest.mark.kafka]

MALLORY = "mallory"  # a valid SCRAM user with no ACL at all
PREFIX = "sec."


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_kafka.BrokerInfo]:
    """A SASL_SSL broker with the product's users and mallory; stopped by its pid afterwards."""
    data = tmp_path_factory.mktemp("secure-kafka")
    users = secure_kafka.make_credentials(data, (*secure_kafka.USERS, MALLORY))
    info = local_kafka.start_broker(data, scram_users=users)
    try:
        local_kafka.wait_ready(info, client=secure_kafka.admin_client(info))
        yield info
    finally:
        local_kafka.stop_broker(info)
        shutil.rmtree(data, ignore_errors=True)
    assert not local_kafka.pid_alive(info.pid)


@pytest.fixture(scope="module")
async def topics(secure_broker: local_kafka.BrokerInfo) -> Topics:
    """The product topics under a prefix, and the services' ACLs, created as admin."""
    settings = KafkaSettings(bootstrap_servers=None, topic_prefix=PREFIX, partitions=3)
    created, acls = await secure_kafka.provision(secure_broker, settings)
    assert sorted(created) == sorted(Topics(PREFIX).name(spec.name) for spec in TOPIC_SPECS)
    assert acls > 30
    return Topics(PREFIX)


def client_of(info: local_kafka.BrokerInfo, user: str) -> dict[str, Any]:
    """aiokafka keyword arguments of ``user`` (password read from its file)."""
    return secure_kafka.user_settings(info, user).client_kwargs()


def passwords(info: local_kafka.BrokerInfo) -> list[str]:
    """Every user's password, to look for in logs."""
    folder = secure_kafka.credentials_dir(Path(info.data_dir))
    return [path.read_text().strip() for path in folder.glob("*.password")]


def child_env(info: local_kafka.BrokerInfo, user: str) -> dict[str, str]:
    """The environment of a child process acting as ``user``: the secret as a file, like a mounted Secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTERVIEW_", "DECISION_"))}
    password = secure_kafka.password_file(Path(info.data_dir), user)
    return env | info.client_env(user, password) | {"KAFKA_TOPIC_PREFIX": PREFIX, "KAFKA_PARTITIONS": "3"}


def audit_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``hiring-audit verify`` in a child process with ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "services.audit.entrypoints.cli", "verify", "--no-progress"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_pipeline_runs_over_sasl_ssl_with_a_principal_per_service(
    secure_broker: local_kafka.BrokerInfo, topics: Topics, tmp_path: Path
) -> None:
    info = secure_broker
    ports = free_port(), free_port()
    with ExitStack() as stack:
        interview = stack.enter_context(service(
            "interview", "services.interview",
            child_env(info, INTERVIEW) | {"INTERVIEW_PORT": str(ports[0]), "INTERVIEW_CREATE_TOPICS": "false",
                                          "INTERVIEW_STATE_DIR": str(tmp_path / "state")},
            ports[0], tmp_path,
        ))  # fmt: skip
        roles: list[Service] = []  # each decision role its own process, one principal (ADR 0016)
        for role in ("projector", "candidacy", "query", "notary"):  # the notary's ACLs too (ADR 0026)
            port = ports[1] if role == "query" else free_port()
            roles.append(stack.enter_context(service(
                f"decision-{role}", "services.decision",
                child_env(info, DECISION) | {"DECISION_PORT": str(port),
                                             "DECISION_STATE_DIR": str(tmp_path / "state")},
                port, tmp_path, (role,),
            )))  # fmt: skip
        await wait_ready(interview)
        for role_service in roles:
            await wait_ready(role_service)
        # Commands in over the Kafka intake, as the interview principal (its HTTP front does the same).
        intake = KafkaIntake(client_of(info, INTERVIEW), topics)
        await intake.producer.start()
        try:
            commands = [envelope("iv-sec", v, actor, body) for v, (actor, body) in enumerate(STORY_FIRST)]
            for command in commands:
                await intake.send(command)
            results = await intake.results(len(commands))
        finally:
            await intake.producer.stop()
        assert all(isinstance(results[c.command_id], CommandAccepted) for c in commands), results
        # Verdict revisions out, read as the audit principal (read-only).
        audit = client_of(info, AUDIT)
        history = [decode(r.value, r.headers, r.key) for r in await read_all(audit, topics.interview_events)]
        assert len(history) == len(STORY_FIRST)
        expected = project(history)

        async def published() -> bool:
            return len(await read_all(audit, topics.decision_events)) >= len(expected)

        assert await eventually(published, timeout=60)
        revisions = await read_all(audit, topics.decision_events)
        assert [r.value for r in revisions] == [r.value for r in map(encode, expected)]
        verify = await asyncio.to_thread(audit_verify, child_env(info, AUDIT))
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "ok" in verify.stdout.lower()

        async def checkpointed() -> bool:  # the notary wrote with its ACLs; the audit principal reads it
            found = [CheckpointRecord.decode(r.value) for r in await read_all(audit, topics.checkpoints)]
            return any(c.topic == "interview.events" and c.size == len(history) for c in found)

        assert await eventually(checkpointed, timeout=60)
    logs = "".join(path.read_text(errors="replace") for path in sorted(tmp_path.glob("*.log")))  # noqa: ASYNC240
    assert "interview" in logs  # the services did log
    for secret in passwords(info):
        assert secret not in logs
        assert secret not in verify.stdout + verify.stderr


@pytest.mark.parametrize("user", [DECISION, AUDIT, MALLORY])
async def test_a_principal_without_the_acl_cannot_write_interview_events(
    secure_broker: local_kafka.BrokerInfo, topics: Topics, user: str
) -> None:
    producer = AIOKafkaProducer(acks="all", **client_of(secure_broker, user))
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topics.interview_events, b"forged", key=b"iv-sec")
    finally:
        await producer.stop()


async def test_a_principal_cannot_use_another_services_transactional_ids_or_group(
    secure_broker: local_kafka.BrokerInfo, topics: Topics
) -> None:
    # The interview writers' transactional ids, claimed by the decision principal.
    producer = AIOKafkaProducer(
        transactional_id=f"{interview_transactional_prefix(InterviewSettings(), topics)}0",
        **client_of(secure_broker, DECISION),
    )
    with pytest.raises(TransactionalIdAuthorizationFailed):
        await producer.start()
    await producer.stop()
    # The decision service's consumer group, joined by the audit principal (it may read the topic).
    consumer = AIOKafkaConsumer(
        topics.interview_events, group_id=f"{PREFIX}decision-service", **client_of(secure_broker, AUDIT)
    )

    async def join() -> None:
        await consumer.start()
        await consumer.getmany(timeout_ms=5000)

    try:
        with pytest.raises(GroupAuthorizationFailedError):
            await asyncio.wait_for(join(), 30)
    finally:
        await consumer.stop()


async def test_mallory_reads_nothing(secure_broker: local_kafka.BrokerInfo, topics: Topics) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await read_all(client_of(secure_broker, MALLORY), topics.interview_events)
    # The decision principal may describe interview.commands (it checks the topics exist) but not read it.
    producer = AIOKafkaProducer(acks="all", **client_of(secure_broker, INTERVIEW))
    await producer.start()
    try:
        await producer.send_and_wait(topics.commands, b"{}", key=b"iv-read")
    finally:
        await producer.stop()
    with pytest.raises(TopicAuthorizationFailedError):
        await read_all(client_of(secure_broker, DECISION), topics.commands)
    done = await asyncio.to_thread(audit_verify, child_env(secure_broker, MALLORY))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "may not see it" in done.stdout + done.stderr


def test_a_wrong_password_fails_authentication_with_a_clear_error(
    secure_broker: local_kafka.BrokerInfo, topics: Topics, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-audit-password-4711\n")
    env = child_env(secure_broker, AUDIT) | {"KAFKA_SASL_PASSWORD_FILE": str(wrong)}
    done = audit_verify(env)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "cannot read from Kafka" in output
    assert "SaslAuthenticationFailed" in output
    assert "invalid credentials" in output
    assert "not-the-audit-password-4711" not in output
    # A service with a wrong password logs the cause and exits 1, without a traceback or the password.
    env = child_env(secure_broker, INTERVIEW) | {
        "KAFKA_SASL_PASSWORD_FILE": str(wrong), "INTERVIEW_PORT": str(free_port()),
        "INTERVIEW_CREATE_TOPICS": "false", "INTERVIEW_STATE_DIR": str(tmp_path / "state"),
    }  # fmt: skip
    started = subprocess.run([sys.executable, "-m", "services.interview"], env=env, capture_output=True,
                             text=True, timeout=120, check=False)  # fmt: skip
    log = started.stdout + started.stderr
    assert started.returncode == 1, log
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in log
    assert "kafka unreachable at start" in log
    assert "Traceback" not in log
    assert "not-the-audit-password-4711" not in log


async def test_an_unknown_ca_fails_the_tls_handshake(secure_broker: local_kafka.BrokerInfo) -> None:
    settings = secure_kafka.user_settings(secure_broker, AUDIT).model_copy(update={"ssl_cafile": None})
    producer = AIOKafkaProducer(request_timeout_ms=5000, **settings.client_kwargs())
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()


def test_settings_never_show_the_password(tmp_path: Path) -> None:
    secret = "s3cret-in-env-value"
    settings = KafkaSettings(
        bootstrap_servers="127.0.0.1:9", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
        sasl_username="interview", sasl_password=SecretStr(secret),
    )  # fmt: skip
    assert secret not in repr(settings)
    assert secret not in str(settings.model_dump())
    assert settings.client_kwargs()["sasl_plain_password"] == secret
    missing = settings.model_copy(update={"sasl_password": None, "sasl_password_file": tmp_path / "absent"})
    with pytest.raises(KafkaSecurityError, match=r"KAFKA_SASL_PASSWORD_FILE=.*absent cannot be read"):
        missing.client_kwargs()
    with pytest.raises(ValueError, match="needs KAFKA_SASL_MECHANISM") as refused:
        KafkaSettings(security_protocol="SASL_SSL", sasl_username="x", sasl_password=secret)  # type: ignore[arg-type]
    assert secret not in str(refused.value)


def test_cli_up_secure_env_status_down(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "services.launcher.cli", "kafka"]
    data = ["--data-dir", str(tmp_path / "kafka")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args, *data], env=env, capture_output=True, text=True, timeout=120,
                              check=False)  # fmt: skip

    up = run("up", "--secure")
    info = local_kafka.BrokerInfo.load(tmp_path / "kafka")
    assert info is not None, up.stdout + up.stderr
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert info.secure
        assert "SASL_SSL, SCRAM-SHA-512" in up.stdout
        exported = run("env", "--user", "decision").stdout
        assert "export KAFKA_SASL_USERNAME=decision" in exported
        assert f"export KAFKA_SASL_PASSWORD_FILE={tmp_path}/kafka/credentials/decision.password" in exported
        secret = secure_kafka.password_file(tmp_path / "kafka", "decision").read_text()
        assert oct(secure_kafka.password_file(tmp_path / "kafka", "decision").stat().st_mode)[-3:] == "600"
        assert secret not in up.stdout + exported
        status = run("status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "SASL_SSL" in status.stdout
        assert "decision.verdicts" in status.stdout
        rerun = run("up", "--secure")  # already running: says so, starts nothing
        assert "already running" in rerun.stdout
    finally:
        down = run("down")
        local_kafka.stop_broker(info)
    assert f"stopped pid {info.pid}" in down.stdout
    # --fresh wipes the secure cluster: without --secure the new one is plain.
    fresh = run("up", "--fresh")
    fresh_info = local_kafka.BrokerInfo.load(tmp_path / "kafka")
    assert fresh_info is not None, fresh.stdout + fresh.stderr
    local_kafka.stop_broker(fresh_info)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert not fresh_info.secure
    assert not secure_kafka.credentials_dir(tmp_path / "kafka").exists()
    # A data directory formatted without --secure is refused (SCRAM users exist only from format time).
    plain_dir = tmp_path / "plain"
    first = subprocess.run([*cli, "up", "--data-dir", str(plain_dir)], env=env, capture_output=True,
                           text=True, timeout=120, check=False)  # fmt: skip
    plain_info = local_kafka.BrokerInfo.load(plain_dir)
    assert plain_info is not None, first.stdout + first.stderr
    local_kafka.stop_broker(plain_info)
    again = subprocess.run([*cli, "up", "--secure", "--data-dir", str(plain_dir)], env=env,
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert again.returncode == 2
    assert "formatted without --secure" in again.stderr  # errors go to stderr


@pytest.mark.slow
def test_main_run_secure_feeds_the_samples_with_a_principal_per_service(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "INTERVIEW_", "DECISION_"))}
    env |= {"COLUMNS": "250", "INTERVIEW_PORT": str(free_port()), "DECISION_PORT": str(free_port()),
            "TMPDIR": str(tmp_path)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "services.launcher.cli", "run", "--secure", "--exit-after-sample"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "mutual_fit" in out
    assert "undecided, leaning decline" in out  # the checklist sample under policy v2 (ADR 0023)
    assert "KAFKA_SECURITY_PROTOCOL=SASL_SSL" in out
    assert "KAFKA_SASL_USERNAME=audit" in out
    assert "stopped cleanly" in out
    (logs,) = tmp_path.glob("hiring-run-*")
    assert not (logs / "kafka").exists()  # the run's broker, its CA and credentials are gone
    names = ["interview", *(f"decision-{role}" for role in ("projector", "candidacy", "query", "notary"))]
    service_logs = "".join((logs / f"{name}.log").read_text() for name in names)
    assert "SaslAuthenticationFailed" not in service_logs
    assert "AuthorizationFailed" not in service_logs


async def test_the_services_may_verify_their_topics_and_a_user_without_the_acls_is_told_which(
    secure_broker: local_kafka.BrokerInfo, topics: Topics
) -> None:
    # The ACL table grants Describe and DescribeConfigs for the start-up check (createTopics off).
    await verify_topics(client_of(secure_broker, INTERVIEW), topics, None, list(TOPICS_USED))
    await verify_topics(client_of(secure_broker, DECISION), topics, None)
    # The audit user reads interview.events but may not read its settings, nor see the writer's changelog.
    with pytest.raises(TopicsError) as found:
        await verify_topics(client_of(secure_broker, AUDIT), topics, None, [INTERVIEW_EVENTS, WRITER_STATE])
    assert found.value.missing == []
    assert sorted(found.value.wrong) == [
        f"{topics.interview_events}: its settings cannot be read (a DescribeConfigs ACL missing?)",
        f"{topics.writer_state} cannot be described (error 29: a Describe ACL missing?)",
    ]
