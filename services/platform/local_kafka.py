"""The embedded default broker: real Apache Kafka (KRaft, one node) from Maven Central jars.

The jars are fetched once with ``mvn`` into the user cache folder, keyed by Kafka version. A broker
is one ``java kafka.Kafka`` process on 127.0.0.1 with its own data directory; it is stopped by its
process id, never by name.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

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


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    """Single-node broker+controller on loopback with RF=1 internal topics."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
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
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def previous_ports(props: Path) -> tuple[int, int] | None:
    """(broker, controller) ports of an earlier start in this data directory, if any."""
    if not props.exists():
        return None
    match = re.search(
        r"^listeners=PLAINTEXT://[^:]+:(\d+),CONTROLLER://[^:]+:(\d+)$", props.read_text(), re.M
    )
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class BrokerInfo:
    """A running local broker: enough to find and stop it later."""

    pid: int
    bootstrap_servers: str
    data_dir: str
    version: str
    log_file: str

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


def format_storage(java: str, classpath: str, props: Path, log_props: list[str]) -> None:
    """Format the KRaft storage directory for a new random cluster id."""
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
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
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerStartError(f"kafka storage format failed: {done.stdout}{done.stderr}")


def start_broker(
    data_dir: Path | None = None, port: int | None = None, version: str = KAFKA_VERSION, heap: str = "512m"
) -> BrokerInfo:
    """Format and start a broker; return once the process runs (see ``wait_ready``)."""
    java = require_java()
    libs = ensure_jars(version)
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="hiring-kafka-")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    props = data_dir / "server.properties"
    previous = previous_ports(props)
    if previous is not None and port in (None, previous[0]):
        port = previous[0]  # a restart keeps its listeners: clients and the KRaft voter find it again
    else:
        port = port or free_port()
        props.write_text(server_properties(data_dir, port, free_port()))
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
        format_storage(java, classpath, props, log_props)
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
    info.save()
    return info


def wait_ready(info: BrokerInfo, timeout: float = 60.0) -> float:
    """Block until a metadata request succeeds; return the seconds waited."""
    from services.platform.kafka_admin import cluster_id

    began = time.monotonic()
    ours = formatted_cluster_id(Path(info.data_dir))
    while time.monotonic() - began < timeout:
        if not pid_alive(info.pid):
            raise BrokerStartError(f"broker exited during start-up; see {info.data_dir}/stdout.log")
        answered = cluster_id(info.bootstrap_servers)
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
