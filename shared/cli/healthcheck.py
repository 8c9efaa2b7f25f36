"""``crible healthcheck``: ask this process's metrics port whether it is alive (or ready).

Container probes cannot send a header read from a secret (Kubernetes' ``httpGet`` takes
literal headers only, Docker's ``HEALTHCHECK`` has no HTTP client), and every path of the
metrics port demands the bearer token. So the image's health check and the pods' probes
run this command inside the container, where ``CRIBLE_METRICS_TOKEN`` already is.
"""

from __future__ import annotations

import http.client
import sys

from shared.config import Settings

#: Addresses that mean "every interface": the process answers on the loopback one.
_ANY = {"", "0.0.0.0", "::"}  # noqa: S104 - compared with, never bound


def check(settings: Settings, *, ready: bool, timeout: float = 3.0) -> tuple[bool, str]:
    """Ask ``/healthz`` (or ``/readyz``) with the token; (healthy, what was answered)."""
    if not settings.metrics_port:
        return False, "CRIBLE_METRICS_PORT is not set: no health endpoint to ask"
    if settings.metrics_token is None:
        return False, "CRIBLE_METRICS_TOKEN is not set"
    host = "127.0.0.1" if settings.metrics_host in _ANY else settings.metrics_host
    path = "/readyz" if ready else "/healthz"
    conn = http.client.HTTPConnection(host, settings.metrics_port, timeout=timeout)
    try:
        token = settings.metrics_token.get_secret_value()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read(200).decode(errors="replace").strip()
    except OSError as error:
        return False, f"{path}: {error.__class__.__name__}: {error}"
    finally:
        conn.close()
    return response.status == 200, f"{path}: {response.status} {body}"


def run(settings: Settings, *, ready: bool) -> int:
    """Exit status for a probe: 0 healthy, 1 not (with the reason on stderr)."""
    healthy, answer = check(settings, ready=ready)
    print(answer, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1
