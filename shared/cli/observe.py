"""``crible observe``: a local Prometheus beside the services, with Crible's rules and alerts.

It writes a configuration of its own into the ignored cache (``.cache/prometheus/``): the
targets of ``crible run all`` (metrics ports from 9101, one per service), the metrics token
as a file, the recording and alert rules of ``deploy/prometheus/rules/``, data in
``.cache/prometheus/data``. The server is Debian's ``prometheus`` (``make
prometheus-tools``), listening on 127.0.0.1 only and behind basic authentication (user
``crible``, its password generated once into ``.cache/prometheus/web-password``): no
endpoint of Crible's is anonymous, this one neither. Then it runs the services
(``crible run all``) and stops the server with them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
CACHE = ROOT / ".cache" / "prometheus"
USER = "crible"


@dataclass(frozen=True, slots=True)
class Target:
    """A process to scrape."""

    service: str
    port: int


def _secret_file(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(content)
    return path


def web_password(cache: Path = CACHE) -> str:
    """The server's basic-auth password (made once)."""
    path = cache / "web-password"
    if not path.exists():
        _secret_file(path, secrets.token_urlsafe(24))
    return path.read_text().strip()


def write_config(
    targets: Sequence[Target],
    *,
    token: str,
    cache: Path = CACHE,
    interval: str = "15s",
) -> Path:
    """The server's configuration and web configuration; the configuration's path."""
    token_file = _secret_file(cache / "metrics-token", token)
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in sorted(RULES.glob("*.yml"))],
        "scrape_configs": [
            {
                "job_name": "crible",
                "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                "static_configs": [
                    {"targets": [f"127.0.0.1:{t.port}"], "labels": {"service": t.service}}
                    for t in targets
                ],
            }
        ],
    }
    path = cache / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    hashed = bcrypt.hashpw(web_password(cache).encode(), bcrypt.gensalt(rounds=10)).decode()
    _secret_file(cache / "web-config.yml", yaml.safe_dump({"basic_auth_users": {USER: hashed}}))
    return path


def start(config: Path, *, port: int = 9090, cache: Path = CACHE) -> subprocess.Popen[bytes]:
    """Start the server on 127.0.0.1:``port`` with ``config``."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise SystemExit("prometheus is not installed: run `make prometheus-tools`")
    (cache / "data").mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            binary,
            f"--config.file={config}",
            f"--web.config.file={cache / 'web-config.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={cache / 'data'}",
            "--storage.tsdb.retention.time=2d",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(cache / "prometheus.log").open("ab"),
    )


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server (it flushes its data on SIGTERM)."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def observe(names: Sequence[str], *, metrics_base_port: int, http_base_port: int, port: int) -> int:
    """Run every service under ``crible run all`` with a Prometheus watching them."""
    from shared.cli.supervisor import supervise  # noqa: PLC0415 - only when observing

    token = os.environ.get("CRIBLE_METRICS_TOKEN", "")
    if not token:
        raise SystemExit("CRIBLE_METRICS_TOKEN is not set: run it under `crible local`")
    targets = [Target(name, metrics_base_port + i) for i, name in enumerate(names)]
    server = start(write_config(targets, token=token), port=port)
    time.sleep(0.5)
    print(
        f"Prometheus on http://127.0.0.1:{port} (user {USER}, password in "
        f"{CACHE / 'web-password'}); alerts at /alerts",
        flush=True,
    )
    try:
        return supervise(list(names), metrics_base_port=metrics_base_port,
                         http_base_port=http_base_port)  # fmt: skip
    finally:
        stop(server)
