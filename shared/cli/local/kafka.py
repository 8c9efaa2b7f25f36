"""A single-node Apache Kafka 4.x (KRaft, broker and controller in one JVM) from Maven jars."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy" / "kafka"
CACHE = ROOT / ".cache" / "kafka"
LIBS = CACHE / "libs"
#: Another port lets a second checkout run its own local stack beside this one.
BROKER_PORT = int(os.environ.get("CRIBLE_LOCAL_KAFKA_PORT", "19092"))


def ensure_jars() -> None:
    """Resolve the broker's jars from Maven Central into the ignored cache, once."""
    stamp = LIBS / ".resolved"
    pom = DEPLOY / "pom.xml"
    if stamp.exists() and stamp.read_text() == pom.read_text():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed to fetch the Kafka jars; install it first")
    log.info("resolving Kafka jars with Maven (first run only)")
    if LIBS.exists():
        shutil.rmtree(LIBS)
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={LIBS}",
            "-DincludeScope=runtime",
        ],
        check=True,
    )
    stamp.write_text(pom.read_text())


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java:
        raise RuntimeError("Java 17 or later is needed to run Kafka")
    return java


@dataclass(frozen=True, slots=True)
class Quorum:
    """The node's place in a cluster of combined broker-controllers (``cluster.py``)."""

    node_id: int
    #: Every voter of the controller quorum: node id and controller port.
    voters: tuple[tuple[int, int], ...]
    #: The cluster's id, the same for every node's storage.
    cluster_id: str
    #: Replicas of the internal topics, and how many must be in sync for a write.
    replication_factor: int
    min_insync_replicas: int


class LocalKafka:
    """Formats storage once, starts the broker, and stops it (no process left behind).

    ``home`` holds its data, configuration, log and pid file, so a test can run a second
    broker beside the local one. With ``sasl_users`` (name to password) its only client
    listener is SASL_PLAINTEXT with SCRAM-SHA-512; the first user is the broker's own,
    for its inter-broker connections. With a ``quorum`` it is one node of a cluster.
    """

    def __init__(
        self,
        home: Path = CACHE,
        *,
        port: int = BROKER_PORT,
        sasl_users: dict[str, str] | None = None,
        heap: str = "768m",
        quorum: Quorum | None = None,
    ) -> None:
        self.home = home
        self.data_dir = home / "data"
        self.port = port
        self.controller_port = port + 1
        self.sasl_users = dict(sasl_users or {})
        self.quorum = quorum
        self._heap = heap
        self._pid_file = home / "kafka.pid"
        self._log = home / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """Where clients connect."""
        return f"127.0.0.1:{self.port}"

    def _properties(self) -> Path:
        template = (DEPLOY / "server.properties").read_text()
        client = "SASL_PLAINTEXT" if self.sasl_users else "PLAINTEXT"
        overrides = {
            "log.dirs": str(self.data_dir),
            "listeners": f"{client}://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"{client}://127.0.0.1:{self.port}",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "inter.broker.listener.name": client,
            "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,{client}:{client}",
        }
        if self.quorum is not None:
            overrides |= _cluster_overrides(self.quorum)
        lines = [
            f"{key}={overrides.pop(key)}" if (key := line.partition("=")[0]) in overrides else line
            for line in template.splitlines()
        ]
        if self.quorum is not None:
            # A static quorum: every voter known from the start (no bootstrap list).
            lines = [line for line in lines if not line.startswith("controller.quorum.bootstrap")]
            lines += [f"{key}={value}" for key, value in overrides.items()]
        if self.sasl_users:
            broker, password = next(iter(self.sasl_users.items()))
            lines += [
                "sasl.enabled.mechanisms=SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
                (
                    "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
                    "org.apache.kafka.common.security.scram.ScramLoginModule required "
                    f'username="{broker}" password="{password}";'
                ),
            ]
        path = self.home / "server.properties"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self, *, timeout: float = 90.0) -> None:
        """Start the broker and wait until it accepts connections."""
        ensure_jars()
        self.home.mkdir(parents=True, exist_ok=True)
        _stop_leftover(self._pid_file)
        if _port_open(self.port):
            raise RuntimeError(
                f"something already listens on 127.0.0.1:{self.port}; stop it or set "
                "KAFKA_BOOTSTRAP_SERVERS to use it"
            )
        properties = self._properties()
        classpath = f"{LIBS}/*"
        if not (self.data_dir / "meta.properties").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            scram = [
                arg
                for name, password in self.sasl_users.items()
                for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
            ]
            subprocess.run(  # noqa: S603 - fixed arguments
                [
                    _java(),
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    # One argument: a random id may start with "-", which argparse would
                    # otherwise take for an option.
                    f"--cluster-id={self.quorum.cluster_id if self.quorum else _cluster_id()}",
                    "-c",
                    str(properties),
                    *([] if self.quorum else ["--standalone"]),
                    *scram,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log_file = self._log.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                _java(),
                "-Xms256m",
                f"-Xmx{self._heap}",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={DEPLOY / 'log4j2.yaml'}",
                "-cp",
                classpath,
                "kafka.Kafka",
                str(properties),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the broker in order
        )
        self._pid_file.write_text(str(self._process.pid))
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"Kafka exited early; see {self._log}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Kafka did not start in {timeout:.0f} s; see {self._log}")
            time.sleep(0.2)
        log.info("kafka started", extra={"bootstrap": self.bootstrap})

    @property
    def pid(self) -> int | None:
        """The running broker's process id, whoever started it (its pid file); None if none."""
        try:
            pid = int(self._pid_file.read_text())
            running = b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if running and _alive(pid) else None

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop the broker: SIGTERM (clean shutdown), then SIGKILL if it hangs.

        A broker another process restarted in this home (``crible chaos`` kills and starts
        it again, and so does a cluster's fault drill) is stopped too, through the pid file.
        """
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            _stop_leftover(self._pid_file)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self._pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the broker, wherever it was started from (a fault: no clean shutdown)."""
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            while Path(f"/proc/{pid}").exists() and _alive(pid):
                time.sleep(0.05)
        if self._process is not None:
            self._process.wait()
            self._process = None
        self._pid_file.unlink(missing_ok=True)


def _stop_leftover(pid_file: Path) -> None:
    """Stop a broker left by a run that was killed before it could stop it."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = b""
    if b"kafka.Kafka" in cmdline:
        log.warning("stopping a leftover local Kafka", extra={"pid": pid})
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def _cluster_overrides(quorum: Quorum) -> dict[str, str]:
    voters = ",".join(f"{node}@127.0.0.1:{port}" for node, port in quorum.voters)
    factor, insync = str(quorum.replication_factor), str(quorum.min_insync_replicas)
    return {
        "node.id": str(quorum.node_id),
        "controller.quorum.voters": voters,
        "offsets.topic.replication.factor": factor,
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": insync,
        "share.coordinator.state.topic.replication.factor": factor,
        "share.coordinator.state.topic.min.isr": insync,
        "min.insync.replicas": insync,
        "default.replication.factor": factor,
    }


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie left for its parent to reap does not)."""
    try:
        # The state follows the command's name, which is in parentheses.
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def cluster_id() -> str:
    """A new cluster id, as Kafka's storage tool wants it."""
    return _cluster_id()


def _cluster_id() -> str:
    # Kafka expects a base64url-encoded 16-byte UUID without padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
