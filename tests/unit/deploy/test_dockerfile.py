"""deploy/Dockerfile: one multi-stage image for every service, non-root, with a health check.

No Docker engine here: the instructions are read and checked against the repository (what
they copy exists and is in the build context) and the code (ports, command, entry point).
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatch

import pytest

from services import SERVICES
from tests.unit.deploy import facts

DOCKERFILE = facts.DEPLOY / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def args(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def test_multi_stage_onto_a_slim_python_3_11() -> None:
    stages = args("FROM")
    assert len(stages) >= 2
    defaults = dict(a.split("=", 1) for a in args("ARG") if "=" in a)
    final = stages[-1].split()[0]
    final = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], final)
    assert final == "python:3.11-slim"
    # The runtime takes the virtual environment from the builder, nothing else.
    assert any(a.startswith("--from=builder") for a in args("COPY"))


def test_runs_as_a_non_root_user_with_a_numeric_id() -> None:
    (user,) = args("USER")
    uid = user.split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0


def test_health_check_asks_healthz_with_the_token() -> None:
    (check,) = args("HEALTHCHECK")
    command = json.loads(check.split("CMD", 1)[1])
    assert command == ["crible", "healthcheck"]


def test_entry_point_is_crible_and_the_command_runs_a_service() -> None:
    assert [json.loads(a) for a in args("ENTRYPOINT")] == [["crible"]]
    (command,) = (json.loads(a) for a in args("CMD"))
    assert command[0] == "run"
    assert command[1] in SERVICES


@pytest.mark.parametrize("service", list(SERVICES))
def test_exposes_each_services_ports(service: str) -> None:
    exposed = {int(p) for a in args("EXPOSE") for p in a.split()}
    assert facts.metrics_port(service) in exposed
    http = facts.http_port(service)
    assert http is None or http in exposed


def test_copies_only_what_exists_and_is_in_the_build_context() -> None:
    ignore = (facts.DEPLOY / "Dockerfile.dockerignore").read_text().split("\n")
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    sources = [
        source
        for copy in args("COPY")
        if not copy.startswith("--from")
        for source in copy.split()[:-1]
    ]
    assert "shared/" in sources
    assert "services/" in sources
    for source in sources:
        assert (facts.ROOT / source).exists(), source
        assert any(fnmatch(source.rstrip("/"), pattern) for pattern in allowed), source
    # Never the local stack's secrets nor the virtual environment.
    assert not any(s.startswith((".cache", ".venv", ".")) for s in sources)
