"""The local broker in secure mode: SCRAM users with their password files, topics and ACLs.

``hiring-pipeline kafka up --secure`` and the secure integration test start the local broker with
``local_kafka.start_broker(scram_users=...)``; this module makes the users' passwords (random, written
to files of mode 0600 under ``<data dir>/credentials``, never printed), gives each principal its
``KafkaSettings`` (the password read from its file) and provisions topics and ACLs as ``admin``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from schemas.topics import Topics
from services.launcher.principals import AUDIT, DECISION, INTERVIEW, service_acls
from services.platform import local_kafka
from services.platform.acls import Acl, create_acls
from services.platform.broker import Broker
from services.platform.settings import KafkaSettings
from services.platform.topics import ensure_topics

USERS = (local_kafka.ADMIN_USER, INTERVIEW, DECISION, AUDIT)


def credentials_dir(data_dir: Path) -> Path:
    """Where the password files of a secure broker's users are."""
    return Path(data_dir) / "credentials"


def password_file(data_dir: Path, user: str) -> Path:
    """The file holding ``user``'s password."""
    return credentials_dir(data_dir) / f"{user}.password"


def make_credentials(data_dir: Path, users: Iterable[str] = USERS) -> dict[str, str]:
    """A random password per user (kept when its file exists), written to 0600 files; name -> password."""
    folder = credentials_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    out = {}
    for user in users:
        path = password_file(data_dir, user)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(24))
        out[user] = path.read_text(encoding="utf-8").strip()
    return out


def user_settings(
    info: local_kafka.BrokerInfo, user: str, base: KafkaSettings | None = None
) -> KafkaSettings:
    """``KafkaSettings`` of ``user`` on a secure local broker (password read from its file)."""
    env = info.client_env(user, password_file(Path(info.data_dir), user))
    return (base or KafkaSettings()).model_copy(
        update={
            "bootstrap_servers": env["KAFKA_BOOTSTRAP_SERVERS"],
            "security_protocol": env["KAFKA_SECURITY_PROTOCOL"],
            "sasl_mechanism": env["KAFKA_SASL_MECHANISM"],
            "sasl_username": user,
            "sasl_password": None,
            "sasl_password_file": Path(env["KAFKA_SASL_PASSWORD_FILE"]),
            "ssl_cafile": env["KAFKA_SSL_CAFILE"],
        }
    )


def admin_client(info: local_kafka.BrokerInfo) -> dict[str, object]:
    """aiokafka keyword arguments (without ``bootstrap_servers``) for the super user."""
    kwargs = user_settings(info, local_kafka.ADMIN_USER).client_kwargs()
    kwargs.pop("bootstrap_servers")
    return kwargs


async def provision(
    info: local_kafka.BrokerInfo, settings: KafkaSettings, acls: dict[str, list[Acl]] | None = None
) -> tuple[list[str], int]:
    """As ``admin``: the topics under ``settings.topic_prefix`` and the services' ACLs; (created, ACLs)."""
    admin = user_settings(info, local_kafka.ADMIN_USER, settings)
    topics = Topics(settings.topic_prefix)
    created = await ensure_topics(
        admin.client_kwargs(), topics, settings.partitions, settings.replication_factor
    )
    count = await create_acls(admin.admin_kwargs(), acls if acls is not None else service_acls(topics))
    return created, count


@contextlib.contextmanager
def local_secure_broker(data_dir: Path, port: int | None = None) -> Iterator[Broker]:
    """A secure local broker for one run (``hiring-pipeline run --secure``); stopped and removed after.

    The ``Broker``'s settings are the super user's (topics, ACLs); each service gets its own principal
    from ``service_env``.
    """
    users = make_credentials(data_dir)
    info = local_kafka.start_broker(data_dir, port, scram_users=users)
    try:
        took = local_kafka.wait_ready(info, client=admin_client(info))
        yield Broker("local", user_settings(info, local_kafka.ADMIN_USER), took, info)
    finally:
        local_kafka.stop_broker(info)
        shutil.rmtree(data_dir, ignore_errors=True)


def service_env(broker: Broker, user: str) -> dict[str, str]:
    """``KAFKA_*`` of ``user`` on a secure local broker (nothing to add on any other broker)."""
    if broker.local is None or not broker.local.secure:
        return {}
    return broker.local.client_env(user, password_file(Path(broker.local.data_dir), user))
