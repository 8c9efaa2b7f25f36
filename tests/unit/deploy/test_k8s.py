"""deploy/k8s/: generated from the code, valid for Kubernetes and KEDA, and complete.

The manifests are written by deploy/k8s/generate.py (`make k8s`); these tests check that the
committed files are what it writes today, that every document passes the Kubernetes schemas
kubernetes-validate ships (offline) or, for KEDA's resources, the CRD schema kept in
deploy/schemas-external/keda/, and, from the code rather than from the generator, that each
service and each consumer group is deployed, probed and scaled as it should be.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services import SERVICES
from tests.unit.deploy import facts

K8S = facts.DEPLOY / "k8s"
#: The oldest Kubernetes KEDA 2.x still supports, and the newest the schemas cover.
KUBERNETES_VERSIONS = ("1.30", "1.37")
CRDS = facts.DEPLOY / "schemas-external" / "keda"


@pytest.fixture(scope="module")
def generator() -> Any:
    return facts.load_script("k8s/generate.py")


def documents() -> list[dict[str, Any]]:
    """Every manifest the kustomization lists, in order."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [
        doc
        for name in kustomization["resources"]
        for doc in yaml.safe_load_all((K8S / name).read_text())
    ]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def containers(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    pod = doc["spec"]["template"]["spec"]
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def test_committed_manifests_are_what_the_generator_writes(generator: Any) -> None:
    wanted: dict[str, str] = generator.files()
    committed = {p.name for p in K8S.glob("*.yaml")}
    assert committed == set(wanted), "run `make k8s`"
    for name, text in wanted.items():
        assert (K8S / name).read_text() == text, f"{name} is stale: run `make k8s`"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_kubernetes_document_passes_the_schemas(version: str) -> None:
    checked = 0
    for doc in documents():
        if doc["apiVersion"].startswith("keda.sh/"):
            continue
        # strict: an unknown or misspelt field is an error, not silently dropped.
        kubernetes_validate.validate(doc, version, strict=True)
        checked += 1
    assert checked >= 3 * len(SERVICES)


def test_the_kept_keda_crds_are_valid_crds() -> None:
    for path in CRDS.glob("*.yaml"):
        kubernetes_validate.validate(
            yaml.safe_load(path.read_text()), KUBERNETES_VERSIONS[-1], strict=True
        )


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The CRD schema, refusing unknown fields as `kubectl apply --validate=strict` does."""
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        preserves = node.get("x-kubernetes-preserve-unknown-fields", False)
        if node.get("type") == "object" and "properties" in node and not preserves:
            node.setdefault("additionalProperties", False)
        stack.extend(v for v in node.get("properties", {}).values())
        if isinstance(node.get("items"), dict):
            stack.append(node["items"])
        if isinstance(node.get("additionalProperties"), dict):
            stack.append(node["additionalProperties"])
    return schema


def keda_validators() -> dict[tuple[str, str], jsonschema.Draft4Validator]:
    """(apiVersion, kind) to a validator of the CRD's openAPIV3Schema."""
    found = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            api = f"{crd['spec']['group']}/{version['name']}"
            schema = _strict(version["schema"]["openAPIV3Schema"])
            found[(api, crd["spec"]["names"]["kind"])] = jsonschema.Draft4Validator(schema)
    return found


def test_keda_resources_pass_their_crd_schema() -> None:
    validators = keda_validators()
    keda = [d for d in documents() if d["apiVersion"].startswith("keda.sh/")]
    assert {d["kind"] for d in keda} == {"ScaledObject", "TriggerAuthentication"}
    for doc in keda:
        validator = validators[(doc["apiVersion"], doc["kind"])]
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]
        assert errors == [], doc["metadata"]["name"]


def test_the_crd_check_catches_what_keda_would_refuse_or_drop() -> None:
    validator = keda_validators()[("keda.sh/v1alpha1", "ScaledObject")]
    (good, *_) = of_kind("ScaledObject").values()
    assert validator.is_valid(good)
    mutations: list[Callable[[dict[str, Any]], object]] = [
        lambda so: so["spec"]["triggers"][0]["metadata"].update(lagThreshold=100),  # not a string
        lambda so: so["spec"].update(maxReplicas=3),  # misspelt: the API server would drop it
        lambda so: so["spec"].pop("scaleTargetRef"),
        lambda so: so["spec"]["triggers"][0].pop("type"),
    ]
    for mutate in mutations:
        bad = copy.deepcopy(good)
        mutate(bad)
        assert not validator.is_valid(bad)


def test_each_service_has_a_deployment_a_budget_and_its_http_service() -> None:
    deployments, budgets, services = (
        of_kind("Deployment"),
        of_kind("PodDisruptionBudget"),
        of_kind("Service"),
    )
    assert set(deployments) == {f"crible-{name}" for name in SERVICES}
    assert set(budgets) == set(deployments)
    assert set(services) == {f"crible-{n}" for n in SERVICES if facts.http_port(n) is not None}
    for name in SERVICES:
        deployment = deployments[f"crible-{name}"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        assert budgets[f"crible-{name}"]["spec"]["selector"]["matchLabels"] == selector
        (container,) = containers(deployment)
        assert container["args"] == ["run", name]
        env = {e["name"]: e for e in container["env"]}
        assert env["CRIBLE_METRICS_PORT"]["value"] == str(facts.metrics_port(name))
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == facts.metrics_port(name)
        http = facts.http_port(name)
        if http is not None:
            assert env["CRIBLE_HTTP_PORT"]["value"] == str(http)
            assert ports["http"] == http
            service = services[f"crible-{name}"]
            assert service["spec"]["selector"] == selector
            assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_every_process_is_probed_on_healthz_and_readyz_with_the_token() -> None:
    for deployment in of_kind("Deployment").values():
        (container,) = containers(deployment)
        assert container["livenessProbe"]["exec"]["command"] == ["crible", "healthcheck"]
        assert container["startupProbe"]["exec"]["command"] == ["crible", "healthcheck"]
        assert container["readinessProbe"]["exec"]["command"] == [
            "crible",
            "healthcheck",
            "--ready",
        ]
        token = next(e for e in container["env"] if e["name"] == "CRIBLE_METRICS_TOKEN")
        assert token["valueFrom"]["secretKeyRef"] == {"name": "crible-metrics", "key": "token"}


def test_every_container_has_requests_and_limits_and_runs_unprivileged() -> None:
    image_user = next(
        line.split()[1].split(":")[0]
        for line in (facts.DEPLOY / "Dockerfile").read_text().splitlines()
        if line.startswith("USER ")
    )
    for kind in ("Deployment", "Job"):
        for doc in of_kind(kind).values():
            pod = doc["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] == int(image_user)
            for container in containers(doc):
                for part in ("requests", "limits"):
                    assert set(container["resources"][part]) == {"cpu", "memory"}
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
                assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_secrets_are_referenced_never_written() -> None:
    assert of_kind("Secret") == {}
    secret, known = facts.secret_settings(), facts.known_settings()
    (config,) = of_kind("ConfigMap").values()
    assert set(config["data"]) <= known
    assert not set(config["data"]) & secret
    for kind in ("Deployment", "Job"):
        for doc in of_kind(kind).values():
            for container in containers(doc):
                for env in container["env"]:
                    assert env["name"] in known, env["name"]
                    if env["name"] in secret:
                        assert set(env) == {"name", "valueFrom"}
                        assert "secretKeyRef" in env["valueFrom"]


def test_each_service_gets_what_it_requires_from_its_own_secret() -> None:
    for name in SERVICES:
        (container,) = containers(of_kind("Deployment")[f"crible-{name}"])
        from_secret = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "valueFrom" in e and e["valueFrom"]["secretKeyRef"]["name"] == f"crible-{name}"
        }
        required = facts.required_settings(name)
        if facts.specs()[name].uses_database:
            required.add("CRIBLE_SERVICE_DATABASE_URLS")
        for variable in required:
            assert variable in from_secret, (name, variable)
            assert not from_secret[variable].get("optional", False)
        # The owner role's DSN is the migration Job's alone.
        assert "DATABASE_URL" not in {e["name"] for e in container["env"]}
    job = of_kind("Job")["crible-migrate"]
    migrate = next(c for c in containers(job) if c["args"] == ["migrate"])
    assert migrate["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "crible-migrate"
    assert [c["args"] for c in containers(job)] == [["migrate"], ["topics", "apply"]]


def test_each_consumer_group_scales_on_its_lag_up_to_its_partitions() -> None:
    scaled = of_kind("ScaledObject")
    topics = facts.declared_topics()
    for name, groups in facts.groups().items():
        if not groups:
            assert f"crible-{name}" not in scaled
            continue
        spec = scaled[f"crible-{name}"]["spec"]
        assert spec["scaleTargetRef"]["name"] == f"crible-{name}"
        triggers = {
            f"{t['metadata']['consumerGroup']}|{t['metadata']['topic']}": t
            for t in spec["triggers"]
        }
        assert set(triggers) == set(groups), name
        for trigger in triggers.values():
            assert trigger["type"] == "kafka"
            assert trigger["metadata"]["topic"] in topics
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
            assert trigger["metadata"]["offsetResetPolicy"] == "earliest"  # as the runtime
            assert int(trigger["metadata"]["lagThreshold"]) > 0
            assert trigger["authenticationRef"]["name"] in of_kind("TriggerAuthentication")
        # The partition count is the ceiling of a group's parallelism.
        assert spec["maxReplicaCount"] == max(groups.values())
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        # KEDA owns the replica count: the Deployment must not reset it on every apply.
        assert "replicas" not in of_kind("Deployment")[f"crible-{name}"]["spec"]


def test_the_readme_documents_each_groups_partition_ceiling(generator: Any) -> None:
    readme = (facts.ROOT / "deploy" / "README.md").read_text()
    assert generator.partition_table() in readme, "deploy/README.md: paste `make k8s-table`"


def test_every_topic_named_is_declared() -> None:
    named = set().union(*(facts.topic_like_strings(doc) for doc in documents()))
    assert named
    assert named <= set(facts.declared_topics())


def test_surge_keeps_its_tables_on_a_volume_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reporters table is on disk (RocksDB): the root file system is read-only, so its
    directory is a volume, and surge is told where it is."""
    from services.surge.config import SurgeSettings  # noqa: PLC0415

    surge = of_kind("Deployment")["crible-surge"]
    pod = surge["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    data_dir = env["CRIBLE_SURGE_DATA_DIR"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts[data_dir]]["emptyDir"]["sizeLimit"]
    for name, value in env.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    assert str(SurgeSettings().data_dir) == data_dir
