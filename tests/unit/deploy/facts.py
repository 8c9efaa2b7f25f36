"""What the code says the deployment files must contain, read from the code itself.

The deployment tests compare the compose file and the manifests with these, so that a new
service, setting, port or topic in the code fails them until the files follow.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import typing
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pydantic import AliasChoices, SecretStr
from pydantic_settings import BaseSettings

from services import SERVICES
from shared.cli.main import HTTP_BASE_PORT, METRICS_BASE_PORT
from shared.runtime import Service
from shared.topics import all_topics

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"


def load_script(relative: str) -> ModuleType:
    """A script under deploy/ (not a package), imported by path."""
    path = DEPLOY / relative
    name = f"deploy_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_yaml(relative: str) -> Any:
    return yaml.safe_load((DEPLOY / relative).read_text())


@cache
def specs() -> dict[str, Service]:
    """Every service's ``SPEC``, in registry order."""
    return {
        name: importlib.import_module(f"{package}.service").SPEC
        for name, package in SERVICES.items()
    }


def metrics_port(service: str) -> int:
    """The port ``crible run all`` gives the service's metrics and health endpoints."""
    return METRICS_BASE_PORT + list(SERVICES).index(service)


def http_port(service: str) -> int | None:
    """The port of the service's HTTP API under ``crible run all``; None if it has none."""
    if specs()[service].http_app is None:
        return None
    return HTTP_BASE_PORT + list(SERVICES).index(service)


def settings_classes() -> list[type[BaseSettings]]:
    """Every settings class the services' code loads (shared's and each service's)."""
    specs()
    found, stack = [], list(BaseSettings.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(("shared.", "services.")):
            found.append(cls)
    return found


def _names(cls: type[BaseSettings], field: str) -> set[str]:
    alias = cls.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return {str(choice) for choice in alias.choices}
    return {f"{cls.model_config.get('env_prefix', '')}{field}".upper()}


def known_settings() -> set[str]:
    """Every environment variable some settings class reads."""
    return {
        name
        for cls in settings_classes()
        for field in cls.model_fields
        for name in _names(cls, field)
    }


def secret_settings() -> set[str]:
    """The variables whose settings are secret (``SecretStr``, alone or in a container)."""
    found = set()
    for cls in settings_classes():
        for field, info in cls.model_fields.items():
            annotation = info.annotation
            if annotation is SecretStr or SecretStr in _flat_args(annotation):
                found |= _names(cls, field)
    return found


def _flat_args(annotation: Any) -> set[Any]:
    args = set(typing.get_args(annotation))
    for arg in list(args):
        args |= _flat_args(arg)
    return args


def required_settings(service: str) -> set[str]:
    """Variables without a default that the service's own settings classes need."""
    return {
        name
        for cls in settings_classes()
        if cls.__module__.startswith(f"services.{service}.")
        for field, info in cls.model_fields.items()
        if info.is_required()
        for name in _names(cls, field)
    }


def groups() -> dict[str, dict[str, int]]:
    """Service to {consumer group: partitions of its topic} for consumers that always run."""
    out: dict[str, dict[str, int]] = {}
    for name, spec in specs().items():
        out[name] = {}
        for consumer in spec.consumers:
            if consumer.enabled is None:
                for topic in consumer.models:
                    out[name][f"{consumer.group_id(name)}|{topic.name}"] = topic.partitions
    return out


def declared_topics() -> dict[str, int]:
    return {spec.name: spec.partitions for spec in all_topics()}


#: What a topic name looks like: dotted lower-case words (`reports.submitted`, `cases.dlq`).
TOPIC_LIKE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def topic_like_strings(document: Any) -> set[str]:
    """Every key or value in a parsed YAML document that looks like a topic name."""
    found: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and TOPIC_LIKE.match(node):
            found.add(node)
    return found
