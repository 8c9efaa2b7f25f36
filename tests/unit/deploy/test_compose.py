"""deploy/docker-compose.yml: valid Compose, and in step with the code it runs.

No Docker engine here: the file is checked against the Compose specification's JSON schema
(vendored in deploy/schemas-external/) and against the registry, ports, settings and
secrets of the code, so that what `docker compose up` would start is right by construction.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from services import SERVICES
from tests.unit.deploy import facts

INFRASTRUCTURE = {"kafka", "postgres", "prometheus", "grafana"}
JOBS = {"migrate": ["migrate"], "topics": ["topics", "apply"]}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = facts.load_yaml("docker-compose.yml")
    return document


@pytest.fixture(scope="module")
def secrets() -> dict[str, dict[str, str]]:
    script = facts.load_script("compose/make_secrets.py")
    files: dict[str, dict[str, str]] = script.env_files(list(SERVICES))
    return files


def crible_containers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The containers that run the Crible image: the services and the one-shot jobs."""
    return {
        n: s for n, s in compose["services"].items() if s.get("image", "").startswith("crible:")
    }


def env_files(service: dict[str, Any]) -> list[str]:
    files = service.get("env_file", [])
    return [files] if isinstance(files, str) else list(files)


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((facts.DEPLOY / "schemas-external" / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_vendored_schema_rejects_what_compose_would() -> None:
    schema = json.loads((facts.DEPLOY / "schemas-external" / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not validator.is_valid({"services": {"x": {"image": "a", "restart": 3}}})
    assert not validator.is_valid({"services": {"x": {"image": "a", "healthchek": {}}}})


def test_one_container_per_service_of_the_registry(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == set(SERVICES) | INFRASTRUCTURE | set(JOBS)
    containers = crible_containers(compose)
    assert set(containers) == set(SERVICES) | set(JOBS)
    for name in SERVICES:
        assert containers[name]["command"] == ["run", name]
    for name, command in JOBS.items():
        assert containers[name]["command"] == command
        assert containers[name]["restart"] == "no"
    # One image for all, built from deploy/Dockerfile at the repository's root.
    assert {c["image"] for c in containers.values()} == {"crible:latest"}
    for container in containers.values():
        assert (
            facts.DEPLOY / container["build"]["context"] / container["build"]["dockerfile"]
        ).is_file()


def test_ports_follow_crible_run_all(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        service = compose["services"][name]
        env = service["environment"]
        metrics = facts.metrics_port(name)
        assert env["CRIBLE_METRICS_PORT"] == str(metrics)
        assert service["expose"] == [str(metrics)]
        http = facts.http_port(name)
        if http is None:
            assert "CRIBLE_HTTP_PORT" not in env
            assert "ports" not in service
        else:
            assert env["CRIBLE_HTTP_PORT"] == str(http)
            # Published on the host's loopback only.
            assert service["ports"] == [f"127.0.0.1:{http}:{http}"]
    assert facts.http_port("dispatch") == 8103
    assert facts.http_port("legal") == 8104


def test_every_variable_given_to_crible_is_a_setting_it_reads(
    compose: dict[str, Any], secrets: dict[str, dict[str, str]]
) -> None:
    known = facts.known_settings()
    for name, container in crible_containers(compose).items():
        given = set(container.get("environment", {}))
        for path in env_files(container):
            given |= set(secrets[path.rsplit("/", 1)[-1]])
        assert given <= known, (name, given - known)


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    secret = facts.secret_settings()
    for name, container in compose["services"].items():
        inline = set(container.get("environment", {}))
        assert not inline & secret, name
        assert not {v for v in inline if v.endswith(("PASSWORD", "TOKEN", "_KEY"))}, name
    for container in compose["services"].values():
        for path in env_files(container):
            assert path.startswith("compose/secrets/")
    ignored = (facts.ROOT / ".gitignore").read_text().split()
    assert "deploy/compose/secrets/" in ignored


def test_services_start_after_broker_database_migrations_and_topics(
    compose: dict[str, Any],
) -> None:
    for name in SERVICES:
        service = compose["services"][name]
        assert service["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
            "topics": {"condition": "service_completed_successfully"},
        }
        assert service["healthcheck"]["test"] == ["CMD", "crible", "healthcheck", "--ready"]
        assert env_files(service) == ["compose/secrets/common.env", f"compose/secrets/{name}.env"]
    assert compose["services"]["migrate"]["env_file"] == "compose/secrets/migrate.env"


def test_each_service_gets_its_own_role_and_what_it_requires(
    secrets: dict[str, dict[str, str]],
) -> None:
    postgres = secrets["postgres.env"]
    assert postgres["PG_SERVICES"].split() == list(SERVICES)
    for name in SERVICES:
        own = secrets[f"{name}.env"]
        dsns = json.loads(own["CRIBLE_SERVICE_DATABASE_URLS"])
        # Only its own DSN, as its own role, with the password the database was given.
        assert list(dsns) == [name]
        password = postgres[f"PG_ROLE_PASSWORD_{name.upper()}"]
        assert dsns[name] == f"postgresql://crible_{name}:{password}@postgres:5432/crible"
        given = set(own) | set(secrets["common.env"])
        assert facts.required_settings(name) <= given, name
    owner = postgres["PG_OWNER_PASSWORD"]
    assert secrets["migrate.env"]["DATABASE_URL"].startswith(f"postgresql://crible_owner:{owner}@")
    # No service container gets the owner's DSN.
    assert all("DATABASE_URL" not in secrets[f"{name}.env"] for name in SERVICES)


def test_the_database_init_script_makes_the_roles_the_secrets_name() -> None:
    script = (facts.DEPLOY / "compose" / "postgres-init.sh").read_text()
    assert "CREATE ROLE crible_owner LOGIN CREATEROLE" in script
    assert "CREATE DATABASE crible OWNER crible_owner" in script
    assert 'role="crible_${service}"' in script
    assert "for service in $PG_SERVICES" in script


def test_prometheus_scrapes_every_service_with_the_token(compose: dict[str, Any]) -> None:
    prometheus = compose["services"]["prometheus"]
    assert "./prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config_file = config_flag.removeprefix("--config.file=/etc/prometheus/")
    config = facts.load_yaml(f"prometheus/{config_file}")
    (job,) = config["scrape_configs"]
    assert prometheus["secrets"] == ["metrics-token"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/metrics-token"
    targets = {
        (group["labels"]["service"], target)
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert targets == {(name, f"{name}:{facts.metrics_port(name)}") for name in SERVICES}


def test_mounted_files_exist(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            # ./grafana is filled by the dashboards' work; compose creates it when missing.
            if source.startswith("./") and source != "./grafana":
                assert (facts.DEPLOY / source).exists(), source


def test_every_topic_it_names_is_declared(compose: dict[str, Any]) -> None:
    # The topics job makes every topic of shared/topics.py; nothing else may name another.
    assert facts.topic_like_strings(compose) <= set(facts.declared_topics())
    assert compose["services"]["topics"]["command"] == ["topics", "apply"]
