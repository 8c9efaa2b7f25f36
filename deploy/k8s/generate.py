"""Generate Crible's Kubernetes manifests (``deploy/k8s/*.yaml``) from the code: ``make k8s``.

What the code declares is read, not copied: the services (``services/__init__.py``), each
one's consumer groups and topics (its ``SPEC``), the partitions of those topics
(``shared/topics.py``), which services serve HTTP, the ports of ``crible run all`` and the
settings each service needs from a secret. A new service in the registry gets its
Deployment, PodDisruptionBudget, Service and autoscaling from here, and
``tests/unit/deploy/test_k8s.py`` fails until the committed files are regenerated.

Autoscaling: KEDA allows one ScaledObject per Deployment (it makes one HPA for it), and a
process runs every consumer of its service. So each service has one ScaledObject with one
``kafka`` trigger per consumer group and topic; the HPA follows the trigger that asks for the
most replicas. A group cannot use more members than its topic has partitions (KEDA caps each
trigger there too), so ``maxReplicaCount`` is the largest partition count among the
service's triggers: beyond it no group would gain a member that does any work.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

Manifest = dict[str, Any]

#: Edit with --bootstrap-servers and --topic-prefix (then regenerate into your own folder).
BOOTSTRAP_SERVERS = "kafka-bootstrap.kafka.svc:9093"
#: The runtime starts a group with no committed offset at the earliest one
#: (shared/kafka.py make_consumer): KEDA counts the lag of such a group the same way.
OFFSET_RESET = "earliest"
#: Lag per replica above which KEDA adds one. Where a worker's throughput was measured
#: (README, Performance) about three seconds of it; elsewhere a guess for a low-volume topic.
LAG_THRESHOLDS = {
    "crible-ingest": 50_000,  # ~14,000 reports/s per process
    "crible-prescreen": 20_000,  # ~5,000-6,000 cases/s per worker
    "crible-legal.identity": 30_000,  # ~9,000-12,000 identity events/s
    # Not measured; these carry about one record per report, as the two above.
    "crible-dispatch": 10_000,
    "crible-dispatch.reports": 10_000,
}
DEFAULT_LAG_THRESHOLD = 1_000
#: Requests and limits: starting points, not measurements; prescreen holds the text model
#: and the hash banks and runs a screening process beside the event loop.
RESOURCES = {
    "prescreen": {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    },
}
DEFAULT_RESOURCES = {
    "requests": {"cpu": "250m", "memory": "384Mi"},
    "limits": {"cpu": "1", "memory": "768Mi"},
}
UID = 10001  # the image's user (deploy/Dockerfile)
#: Services that keep state on disk: (environment variable, mount path, size limit). Surge's
#: reporters table is faust's RocksDB store there. An emptyDir outlives a container's
#: restart in its pod (the table restores from where it was); a pod placed anew restores it
#: from the changelog.
STATE_VOLUMES = {"surge": ("CRIBLE_SURGE_DATA_DIR", "/var/lib/crible/surge", "20Gi")}


@dataclass(frozen=True)
class Trigger:
    """One consumer group's lag on one topic."""

    group: str
    topic: str
    partitions: int


@dataclass(frozen=True)
class ServiceFacts:
    """What the manifests need to know about a service, read from its code."""

    name: str
    metrics_port: int
    http_port: int | None
    triggers: tuple[Trigger, ...]
    #: (environment variable, secret key, required) read from the service's own Secret.
    secret_env: tuple[tuple[str, str, bool], ...]


def _settings_classes(package: str) -> list[type[Any]]:
    from pydantic_settings import BaseSettings  # noqa: PLC0415

    found, stack = [], list(BaseSettings.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(package + "."):
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def _is_secret(annotation: Any) -> bool:
    from pydantic import SecretStr  # noqa: PLC0415

    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


def _secret_env(package: str, *, database: bool) -> tuple[tuple[str, str, bool], ...]:
    """The service's own DSN and Kafka user, then its settings that are secret or required."""
    found = [
        ("CRIBLE_KAFKA_SASL_USERNAME", "kafka-sasl-username", False),
        ("CRIBLE_KAFKA_SASL_PASSWORD", "kafka-sasl-password", False),
    ]
    if database:
        found.insert(0, ("CRIBLE_SERVICE_DATABASE_URLS", "service-database-urls", True))
    for cls in _settings_classes(package):
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            if field.is_required() or _is_secret(field.annotation):
                key = f"{prefix}{name}".lower().removeprefix("crible_").replace("_", "-")
                found.append((f"{prefix}{name}".upper(), key, field.is_required()))
    return tuple(found)


def facts(prefix: str = "") -> list[ServiceFacts]:
    """Every service of the registry, in its order (which gives the ports)."""
    from services import SERVICES  # noqa: PLC0415
    from shared.cli.main import HTTP_BASE_PORT, METRICS_BASE_PORT  # noqa: PLC0415

    result = []
    for index, (name, package) in enumerate(SERVICES.items()):
        spec = importlib.import_module(f"{package}.service").SPEC
        triggers = tuple(
            Trigger(prefix + consumer.group_id(name), prefix + topic.name, topic.partitions)
            for consumer in spec.consumers
            # A consumer that runs only when configured (dispatch's statements submitter)
            # never commits while off: its group's lag would only grow and scale for nothing.
            if consumer.enabled is None
            for topic in consumer.models
        )
        result.append(
            ServiceFacts(
                name=name,
                metrics_port=METRICS_BASE_PORT + index,
                http_port=HTTP_BASE_PORT + index if spec.http_app is not None else None,
                triggers=triggers,
                secret_env=_secret_env(package, database=spec.uses_database),
            )
        )
    return result


def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "crible", "app.kubernetes.io/component": component}


def _meta(name: str, component: str) -> dict[str, Any]:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    labels = _labels(component) | {
        "app.kubernetes.io/part-of": "crible",
        "app.kubernetes.io/version": version,
    }
    return {"name": name, "labels": labels}


def _secret_ref(name: str, secret: str, key: str, *, required: bool = True) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": secret, "key": key}
    if not required:
        ref["optional"] = True
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def _security() -> tuple[dict[str, Any], dict[str, Any]]:
    """Pod and container security contexts: the image's non-root user, nothing writable."""
    pod = {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    container = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    return pod, container


def _probe(*args: str, period: int, failures: int) -> dict[str, Any]:
    # exec, not httpGet: every path of the metrics port demands the token, and httpGet
    # probes send literal headers only; `crible healthcheck` reads it from the environment.
    return {
        "exec": {"command": ["crible", "healthcheck", *args]},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


def _container(service: ServiceFacts, image: str) -> dict[str, Any]:
    env = [{"name": "CRIBLE_METRICS_PORT", "value": str(service.metrics_port)}]
    ports = [{"name": "metrics", "containerPort": service.metrics_port}]
    if service.http_port is not None:
        env.append({"name": "CRIBLE_HTTP_PORT", "value": str(service.http_port)})
        ports.append({"name": "http", "containerPort": service.http_port})
    mounts = [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108
    if service.name in STATE_VOLUMES:
        variable, path, _size = STATE_VOLUMES[service.name]
        env.append({"name": variable, "value": path})
        mounts.append({"name": "state", "mountPath": path})
    env.append(_secret_ref("CRIBLE_METRICS_TOKEN", "crible-metrics", "token"))
    secret = f"crible-{service.name}"
    env.extend(_secret_ref(var, secret, key, required=req) for var, key, req in service.secret_env)
    return {
        "name": service.name,
        "image": image,
        "args": ["run", service.name],
        "ports": ports,
        "envFrom": [{"configMapRef": {"name": "crible-config"}}],
        "env": env,
        "resources": RESOURCES.get(service.name, DEFAULT_RESOURCES),
        # Up to two minutes to start (prescreen loads its model and banks first).
        "startupProbe": _probe(period=5, failures=24),
        "livenessProbe": _probe(period=15, failures=4),
        "readinessProbe": _probe("--ready", period=10, failures=3),
        "securityContext": _security()[1],
        "volumeMounts": mounts,
    }


def _pod(
    containers: list[dict[str, Any]], account: str, *, state: str | None = None, **extra: Any
) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
    if state is not None:
        volumes.append({"name": "state", "emptyDir": {"sizeLimit": state}})
    return {
        "serviceAccountName": account,
        "automountServiceAccountToken": False,
        "securityContext": _security()[0],
        "containers": containers,
        "volumes": volumes,
        **extra,
    }


def _min_replicas(service: ServiceFacts) -> int:
    # Two for an HTTP API, so that a drained node leaves one serving (the PDB keeps it).
    return 2 if service.http_port is not None else 1


def service_manifests(service: ServiceFacts, *, image: str, bootstrap: str) -> list[Manifest]:
    """ServiceAccount, Deployment, Service (HTTP only), PodDisruptionBudget, ScaledObject."""
    name = f"crible-{service.name}"
    deployment_spec: dict[str, Any] = {
        "selector": {"matchLabels": _labels(service.name)},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
        },
        "template": {
            "metadata": {"labels": _meta(name, service.name)["labels"]},
            # The runtime finishes and commits its batches on SIGTERM within 30 s.
            "spec": _pod(
                [_container(service, image)],
                name,
                state=STATE_VOLUMES[service.name][2] if service.name in STATE_VOLUMES else None,
                terminationGracePeriodSeconds=60,
            ),
        },
    }
    if not service.triggers:  # otherwise the replica count is KEDA's, never the manifest's
        deployment_spec = {"replicas": 1, **deployment_spec}
    docs: list[Manifest] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, service.name)},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, service.name),
            "spec": deployment_spec,
        },
    ]
    if service.http_port is not None:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(name, service.name),
                "spec": {
                    "selector": _labels(service.name),
                    "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                },
            }
        )
    docs.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(name, service.name),
            # One member at a time leaves its groups: one rebalance, not several at once.
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(service.name)}},
        }
    )
    if service.triggers:
        docs.append(_scaled_object(service, bootstrap))
    return docs


def _scaled_object(service: ServiceFacts, bootstrap: str) -> Manifest:
    name = f"crible-{service.name}"
    triggers = [
        {
            "type": "kafka",
            "metadata": {
                "bootstrapServers": bootstrap,
                "consumerGroup": t.group,
                "topic": t.topic,
                "lagThreshold": str(LAG_THRESHOLDS.get(t.group, DEFAULT_LAG_THRESHOLD)),
                "offsetResetPolicy": OFFSET_RESET,
                # Never more members than partitions: the extra ones would sit idle.
                "allowIdleConsumers": "false",
            },
            "authenticationRef": {"name": "crible-kafka"},
        }
        for t in service.triggers
    ]
    # Every change of replicas is a rebalance of all the service's groups: scale down slowly.
    behavior = {
        "scaleDown": {
            "stabilizationWindowSeconds": 300,
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}],
        },
        "scaleUp": {
            "stabilizationWindowSeconds": 30,
            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
        },
    }
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _meta(name, service.name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicaCount": _min_replicas(service),
            "maxReplicaCount": max(t.partitions for t in service.triggers),
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": behavior}},
            "triggers": triggers,
        },
    }


def common_manifests(*, image: str, bootstrap: str, prefix: str) -> list[Manifest]:
    """The shared configuration, KEDA's Kafka credentials and the migration Job."""
    config = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "CRIBLE_TOPIC_PREFIX": prefix,
        "CRIBLE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "CRIBLE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        # acks=all with two in-sync replicas: an acknowledged write survives a broker's loss.
        "CRIBLE_KAFKA_REPLICATION_FACTOR": "3",
        "CRIBLE_KAFKA_MIN_INSYNC_REPLICAS": "2",
        "CRIBLE_LOG_LEVEL": "INFO",
    }
    keda_auth = [
        {"parameter": p, "name": "crible-keda-kafka", "key": p}
        for p in ("sasl", "username", "password", "tls")
    ]
    migrate = "crible-migrate"
    # `topics apply` creates topics: a Kafka user with that right, its own secret.
    job_env = [
        _secret_ref("CRIBLE_KAFKA_SASL_USERNAME", migrate, "kafka-sasl-username", required=False),
        _secret_ref("CRIBLE_KAFKA_SASL_PASSWORD", migrate, "kafka-sasl-password", required=False),
    ]

    def step(name: str, args: list[str], env: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": name,
            "image": image,
            "args": args,
            "envFrom": [{"configMapRef": {"name": "crible-config"}}],
            "env": env,
            "resources": DEFAULT_RESOURCES,
            "securityContext": _security()[1],
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
        }

    # Migrations as the owner role first (an init container), then the topics.
    migrate_step = step(
        "migrate", ["migrate"], [_secret_ref("DATABASE_URL", migrate, "database-url")]
    )
    job_pod = _pod(
        [step("topics", ["topics", "apply"], job_env)],
        migrate,
        initContainers=[migrate_step],
        restartPolicy="Never",
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("crible-config", "config"),
            "data": config,
        },
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "TriggerAuthentication",
            "metadata": _meta("crible-kafka", "autoscaling"),
            "spec": {"secretTargetRef": keda_auth},
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(migrate, "migrate")},
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": _meta(migrate, "migrate"),
            "spec": {
                "backoffLimit": 3,
                "ttlSecondsAfterFinished": 3600,
                "template": {"metadata": {"labels": _labels("migrate")}, "spec": job_pod},
            },
        },
    ]


HEADER = (
    "# Generated by deploy/k8s/generate.py from the code (`make k8s`): do not edit by hand.\n"
    "# Secrets are referenced by name, never written here: README, Deployment.\n"
)


class _Dumper(yaml.SafeDumper):
    """Writes a value shared by two places twice, never as a YAML anchor and alias."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - every value alike
        return True


def render(docs: list[Manifest]) -> str:
    """YAML documents, in order, behind the header."""
    body = "---\n".join(
        yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)
        for doc in docs
    )
    return HEADER + body


def files(
    *, image: str | None = None, bootstrap: str = BOOTSTRAP_SERVERS, prefix: str = ""
) -> dict[str, str]:
    """File name to content: one file per service, the common one, and the kustomization."""
    if image is None:
        version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
        image = f"crible:{version}"
    out = {"common.yaml": render(common_manifests(image=image, bootstrap=bootstrap, prefix=prefix))}
    for service in facts(prefix):
        out[f"{service.name}.yaml"] = render(
            service_manifests(service, image=image, bootstrap=bootstrap)
        )
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": list(out),
    }
    out["kustomization.yaml"] = render([kustomization])
    return out


def partition_table() -> str:
    """Markdown: each autoscaled group's topic and partitions, and its service's ceiling."""
    rows = [
        "| service (maxReplicaCount) | consumer group | topic | partitions: most busy members |",
        "|---|---|---|---|",
    ]
    for service in facts():
        ceiling = max((t.partitions for t in service.triggers), default=1)
        rows.extend(
            f"| {service.name} ({ceiling}) | `{t.group}` | `{t.topic}` | {t.partitions} |"
            for t in service.triggers
        )
    return "\n".join(rows) + "\n"


def main() -> int:
    """Write the manifests (or, with --check, say whether the committed ones are current)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write into")
    parser.add_argument("--image", help="image reference (default crible:<version>)")
    parser.add_argument("--bootstrap-servers", default=BOOTSTRAP_SERVERS)
    parser.add_argument("--topic-prefix", default="")
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("--table", action="store_true", help="print the partition table")
    args = parser.parse_args()
    if args.table:
        print(partition_table(), end="")
        return 0
    wanted = files(image=args.image, bootstrap=args.bootstrap_servers, prefix=args.topic_prefix)
    if args.check:
        stale = [
            n
            for n, t in wanted.items()
            if not (args.out / n).exists() or (args.out / n).read_text() != t
        ]
        for name in stale:
            print(f"stale: {args.out / name} (run `make k8s`)", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        (args.out / name).write_text(text)
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
