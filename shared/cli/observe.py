"""``crible observe``: a local Prometheus beside the services, with Crible's rules and alerts.

It writes a configuration of its own into the ignored cache (``.cache/prometheus/``): the
targets of ``crible run all`` (metrics ports from ``--metrics-base-port``, one per service),
the metrics token as a file, the recording and alert rules of ``deploy/prometheus/rules/``,
data in ``.cache/prometheus/data``. The server is Debian's ``prometheus`` (``make
prometheus-tools``), listening on 127.0.0.1 only and behind basic authentication (user
``crible``, its password generated once into ``.cache/prometheus/web-password``): no
endpoint of Crible's is anonymous, this one neither. It prints the pages the server
actually serves (Debian's 2.42 ships only the classic UI, under ``/classic/``), then runs
the services (``crible run all``) and stops the server with them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
CACHE = ROOT / ".cache" / "prometheus"
USER = "crible"
#: Pages printed for the operator, found under the UI the server has (React or classic).
PAGES = ("graph", "alerts", "targets", "rules")


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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not the page: the URL printed must answer 200 itself."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        """Follow none."""
        return


def _status(url: str, password: str) -> int:
    """The HTTP status of a GET on the server (basic auth), 0 if it does not answer."""
    credentials = b64encode(f"{USER}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {credentials}"})  # noqa: S310 - our own server
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def pages(base: str, password: str, *, wait_seconds: float = 30) -> dict[str, str]:
    """The URL of each of :data:`PAGES` that the server at ``base`` serves (200).

    Waits for the server to be ready first. Newer servers have ``/alerts``; Debian's
    Prometheus 2.42 only its classic UI, ``/classic/alerts``: ask rather than assume.
    """
    deadline = time.monotonic() + wait_seconds
    while _status(f"{base}/-/ready", password) != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"Prometheus at {base} did not become ready in {wait_seconds} s")
        time.sleep(0.2)
    found = {}
    for page in PAGES:
        for path in (f"/{page}", f"/classic/{page}"):
            if _status(base + path, password) == 200:
                found[page] = base + path
                break
    return found


def observe(
    names: Sequence[str],
    *,
    metrics_base_port: int,
    http_base_port: int,
    port: int,
    cache: Path = CACHE,
) -> int:
    """Run every service under ``crible run all`` with a Prometheus watching them."""
    from shared.cli.supervisor import supervise  # noqa: PLC0415 - only when observing

    token = os.environ.get("CRIBLE_METRICS_TOKEN", "")
    if not token:
        raise SystemExit("CRIBLE_METRICS_TOKEN is not set: run it under `crible local`")
    targets = [Target(name, metrics_base_port + i) for i, name in enumerate(names)]
    server = start(write_config(targets, token=token, cache=cache), port=port, cache=cache)
    base = f"http://127.0.0.1:{port}"
    try:
        found = pages(base, web_password(cache))
    except SystemExit:
        stop(server)
        raise
    print(
        f"Prometheus on {base} (user {USER}, password in {cache / 'web-password'}), "
        f"scraping ports {metrics_base_port}-{metrics_base_port + len(names) - 1}:",
        flush=True,
    )
    for page, url in found.items():
        print(f"  {page}: {url}", flush=True)
    try:
        return supervise(list(names), metrics_base_port=metrics_base_port,
                         http_base_port=http_base_port)  # fmt: skip
    finally:
        stop(server)
