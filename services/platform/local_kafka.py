"""The embedded default broker: real Apache Kafka (KRaft, one node) from Maven Central jars.

The jars are fetched once with ``mvn`` into the user cache folder, keyed by Kafka version. A broker
is one ``java kafka.Kafka`` process on 127.0.0.1 with its own data directory; it is stopped by its
process id, never by name.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from services.platform import local_tls

KAFKA_VERSION = "4.4.0"
LOG4J_VERSION = "2.25.3"
MIN_JAVA = 17

ALTERNATIVES = (
    "Alternatives: point KAFKA_BOOTSTRAP_SERVERS at an existing Kafka cluster, "
    "or run a Docker engine so testcontainers can start Kafka."
)


class MissingPrerequisiteError(RuntimeError):
    """Java 17+ or Maven is missing, so the embedded broker cannot run."""


class BrokerStartError(RuntimeError):
    """The broker process failed to start or become ready."""


def cache_root() -> Path:
    """The user cache folder for this project (XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hiring-pipeline"


def libs_dir(version: str = KAFKA_VERSION) -> Path:
    """Where the jars of one Kafka version are cached."""
    return cache_root() / "kafka" / version / "libs"


def java_major(java: str) -> int:
    """Major version of a ``java`` binary (``java -version`` prints to stderr)."""
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def require_java() -> str:
    """Path of a Java 17+ binary, or a clear error naming what is missing."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise MissingPrerequisiteError(
            f"Java {MIN_JAVA}+ is required for the embedded Kafka broker but no `java` was found "
            f"(install OpenJDK {MIN_JAVA}+, e.g. `apt-get install openjdk-17-jre-headless`). " + ALTERNATIVES
        )
    major = java_major(java)
    if major < MIN_JAVA:
        raise MissingPrerequisiteError(
            f"Java {MIN_JAVA}+ is required for the embedded Kafka broker; {java} is Java {major}. "
            + ALTERNATIVES
        )
    return java


def require_maven() -> str:
    """Path of ``mvn``, or a clear error naming what is missing."""
    mvn = shutil.which("mvn")
    if not mvn:
        raise MissingPrerequisiteError(
            "Maven 3.8+ is required once to fetch the Apache Kafka jars from Maven Central but "
            "no `mvn` was found (install it, e.g. `apt-get install maven`). " + ALTERNATIVES
        )
    return mvn


def ensure_jars(version: str = KAFKA_VERSION) -> Path:
    """Fetch the broker jars into the cache unless they are already there; return the folder."""
    target = libs_dir(version)
    if (target / ".complete").exists():
        return target
    mvn = require_maven()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=target.parent))
    pom = resources.files("services.platform") / "kafka" / "pom.xml"
    with tempfile.TemporaryDirectory() as work:
        Path(work, "pom.xml").write_bytes(pom.read_bytes())
        cmd = [
            mvn,
            "-q",
            "-B",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-Dkafka.version={version}",
            f"-Dlog4j.version={LOG4J_VERSION}",
            f"-DoutputDirectory={staging}",
        ]
        done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BrokerStartError(f"mvn could not fetch Kafka {version}:\n{done.stdout[-3000:]}")
    (staging / ".complete").write_text(version)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:``port`` (a port in TIME_WAIT counts as free, as for Java)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_or_free(preferred: int) -> int:
    """``preferred`` when it is free on 127.0.0.1, else any free port."""
    return preferred if port_free(preferred) else free_port()


ADMIN_USER = "admin"
"""The super user of a secure local broker (creates topics and ACLs)."""
SCRAM_ITERATIONS = 8192


def secure_properties(
    port: int, controller_port: int, internal_port: int, tls: local_tls.TlsFiles
) -> dict[str, str]:
    """SASL_SSL (SCRAM-SHA-512) for clients, mutual TLS between the broker and its controller.

    Clients authenticate with SCRAM-SHA-512 over TLS; the broker's own connections (to the controller,
    and inter-broker ones such as transaction markers) use mutual TLS with the broker certificate,
    whose CN maps to ``User:kafka-broker``. The standard KRaft authorizer denies whatever no ACL
    allows; ``admin`` and the broker are the only super users.
    """
    return {
        "listeners": f"SASL_SSL://127.0.0.1:{port},INTERNAL://127.0.0.1:{internal_port},"
        f"CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"SASL_SSL://127.0.0.1:{port},INTERNAL://127.0.0.1:{internal_port}",
        "listener.security.protocol.map": "SASL_SSL:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
        "inter.broker.listener.name": "INTERNAL",
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "listener.name.internal.ssl.client.auth": "required",
        "listener.name.controller.ssl.client.auth": "required",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(tls.broker_pem),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.ca_cert),
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+),O=.*$/$1/,DEFAULT",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{ADMIN_USER};User:{local_tls.BROKER_CN}",
    }


def server_properties(
    data_dir: Path, port: int, controller_port: int, secure: dict[str, str] | None = None
) -> str:
    """Single-node broker+controller on loopback with RF=1 internal topics (``secure``: listeners)."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        **(secure or {}),
        "log.dirs": str(data_dir / "log"),
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "8",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "8",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "transaction.max.timeout.ms": "900000",
        "log.flush.interval.messages": "9223372036854775807",
        # A local broker looks for deletable and cleanable segments often (Kafka: every 5 min / 15 s), so
        # the erasure tail is measured in seconds with a topic's shortened settings (ADR 0030); the
        # bound's formula (services/platform/privacy/tail.py) takes whatever the broker runs with.
        "log.retention.check.interval.ms": "2000",
        "log.cleaner.backoff.ms": "1000",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def previous_ports(props: Path) -> tuple[int, int] | None:
    """(broker, controller) ports of an earlier start in this data directory, if any."""
    if not props.exists():
        return None
    listeners = r"^listeners=(?:PLAINTEXT|SASL_SSL)://[^:]+:(\d+),.*CONTROLLER://[^:]+:(\d+)$"
    match = re.search(listeners, props.read_text(), re.M)
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class BrokerInfo:
    """A running local broker: enough to find and stop it later."""

    pid: int
    bootstrap_servers: str
    data_dir: str
    version: str
    log_file: str
    security_protocol: str = "PLAINTEXT"
    """``SASL_SSL`` for a secure broker (SCRAM-SHA-512, ACLs)."""
    ca_file: str | None = None
    """The CA certificate clients verify a secure broker with."""

    @property
    def secure(self) -> bool:
        """Started with SASL_SSL and the authorizer."""
        return self.security_protocol == "SASL_SSL"

    def client_env(self, username: str | None = None, password_file: Path | None = None) -> dict[str, str]:
        """``KAFKA_*`` variables for a client of this broker (a SASL user of a secure one)."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_SECURITY_PROTOCOL": self.security_protocol,
        }
        if self.secure:
            env |= {"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SSL_CAFILE": str(self.ca_file)}
            if username:
                env["KAFKA_SASL_USERNAME"] = username
            if password_file:
                env["KAFKA_SASL_PASSWORD_FILE"] = str(password_file)
        return env

    def save(self) -> None:
        """Write ``broker.json`` into the data directory."""
        Path(self.data_dir, "broker.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, data_dir: Path) -> BrokerInfo | None:
        """Read ``broker.json`` from a data directory, if present."""
        path = data_dir / "broker.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def scram_credential(name: str, password: str, iterations: int = SCRAM_ITERATIONS) -> str:
    """A ``--add-scram`` value holding only the salted password (the password is in no command line)."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise ValueError(f"SCRAM user name {name!r}: use letters, digits, '.', '_' and '-'")
    salt = secrets.token_bytes(32)
    salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return (
        f"SCRAM-SHA-512=[name={name},iterations={iterations},salt=\"{base64.b64encode(salt).decode()}\","
        f"saltedpassword=\"{base64.b64encode(salted).decode()}\"]"
    )


def format_storage(
    java: str, classpath: str, props: Path, log_props: list[str], scram: Mapping[str, str] | None = None
) -> None:
    """Format the KRaft storage directory for a new random cluster id (with SCRAM users, if any)."""
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    users = [arg for name, pw in (scram or {}).items() for arg in ("--add-scram", scram_credential(name, pw))]
    cmd = [
        java,
        *log_props,
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        f"--cluster-id={cluster_id}",
        "-c",
        str(props),
        "--standalone",
        *users,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerStartError(f"kafka storage format failed: {done.stdout}{done.stderr}")


def start_broker(
    data_dir: Path | None = None,
    port: int | None = None,
    version: str = KAFKA_VERSION,
    heap: str = "512m",
    scram_users: Mapping[str, str] | None = None,
) -> BrokerInfo:
    """Format and start a broker; return once the process runs (see ``wait_ready``).

    ``scram_users`` (name -> password, including ``admin``) starts it secure: SASL_SSL with
    SCRAM-SHA-512, these users' credentials written at format time, a throwaway CA in ``<data>/tls``
    and the standard authorizer (no access without an ACL). The users only count on the first start
    of a data directory (a restart keeps the formatted credentials).
    """
    if scram_users is not None and ADMIN_USER not in scram_users:
        raise ValueError(f"a secure broker needs the super user {ADMIN_USER!r} among its SCRAM users")
    java = require_java()
    libs = ensure_jars(version)
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="hiring-kafka-")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    props = data_dir / "server.properties"
    previous = previous_ports(props)
    tls = local_tls.ensure_tls(data_dir / "tls") if scram_users is not None else None
    if previous is not None and port in (None, previous[0]):
        port = previous[0]  # a restart keeps its listeners: clients and the KRaft voter find it again
    else:
        port = port or free_port()
        controller = free_port()
        secure = secure_properties(port, controller, free_port(), tls) if tls else None
        props.write_text(server_properties(data_dir, port, controller, secure))
    if not port_free(port):
        raise BrokerStartError(
            f"127.0.0.1:{port} is already in use (another broker or program listens there); stop it, "
            "or start with another --port (0 picks a free one)"
        )
    log4j = resources.files("services.platform") / "kafka" / "log4j2.properties"
    (data_dir / "log4j2.properties").write_bytes(log4j.read_bytes())
    log_file = data_dir / "broker.log"
    log_props = [
        f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}",
        f"-Dkafka.logs.file={log_file}",
        f"-Dkafka.logs.dir={data_dir}",
    ]
    classpath = f"{libs}/*"
    if not (data_dir / "log" / "meta.properties").exists():
        format_storage(java, classpath, props, log_props, scram_users)
    cmd = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        *log_props,
        "-cp",
        classpath,
        "kafka.Kafka",
        str(props),
    ]
    with open(data_dir / "stdout.log", "ab") as out:
        # A new session: Ctrl-C in the terminal reaches us, and we stop the broker by pid.
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    info = BrokerInfo(proc.pid, f"127.0.0.1:{port}", str(data_dir), version, str(log_file))
    if "SASL_SSL://" in props.read_text():
        info.security_protocol, info.ca_file = "SASL_SSL", str(data_dir / "tls" / "ca.crt")
    info.save()
    return info


def wait_ready(info: BrokerInfo, timeout: float = 60.0, client: Mapping[str, Any] | None = None) -> float:
    """Block until a metadata request succeeds; return the seconds waited.

    ``client``: security keyword arguments (a secure broker answers only authenticated clients).
    """
    from services.platform.kafka_admin import cluster_id

    began = time.monotonic()
    ours = formatted_cluster_id(Path(info.data_dir))
    while time.monotonic() - began < timeout:
        if not pid_alive(info.pid):
            raise BrokerStartError(f"broker exited during start-up; see {info.data_dir}/stdout.log")
        answered = cluster_id(info.bootstrap_servers, **(client or {}))
        if answered is not None and answered != ours:
            stop_broker(info)
            raise BrokerStartError(
                f"{info.bootstrap_servers} answers as cluster {answered!r}, not this broker's {ours!r}: "
                f"another broker holds the port; see {info.data_dir}/stdout.log"
            )
        if answered is not None and pid_alive(info.pid):
            return time.monotonic() - began
        time.sleep(0.2)
    stop_broker(info)
    raise BrokerStartError(f"broker not ready after {timeout:.0f}s; see {info.log_file}")


def formatted_cluster_id(data_dir: Path) -> str:
    """The cluster id this data directory was formatted for (``log/meta.properties``)."""
    meta = data_dir / "log" / "meta.properties"
    found = re.search(r"^cluster\.id=(.+)$", meta.read_text(encoding="utf-8"), flags=re.MULTILINE)
    if found is None:
        raise BrokerStartError(f"{meta} names no cluster.id")
    return found[1].strip()


def stop_broker(info: BrokerInfo, grace: float = 20.0) -> None:
    """Stop a broker by its process id: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if not pid_alive(info.pid):
        _reap(info.pid)
        return
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and pid_alive(info.pid):
        _reap(info.pid)
        time.sleep(0.1)
    if pid_alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    _reap(info.pid)


def kill_broker(info: BrokerInfo) -> None:
    """Hard-kill a broker (SIGKILL) for fault tests."""
    if pid_alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    _reap(info.pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def metadata_ok_sync(bootstrap: str) -> bool:
    """True when the broker at ``bootstrap`` answers a metadata request."""
    from services.platform.kafka_admin import metadata_ok

    return metadata_ok(bootstrap)
