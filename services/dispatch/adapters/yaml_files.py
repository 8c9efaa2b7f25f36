"""Dispatch's YAML files (review deadlines, policy catalogue): read here, checked by the core."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from services.dispatch.core.reasons import Catalogue, parse_catalogue
from services.dispatch.core.sla import SlaConfig, SlaConfigError, parse_sla

#: The files shipped with Crible.
DEPLOYED = Path(__file__).resolve().parents[3] / "deploy" / "dispatch"
DEFAULT_SLA_FILE = DEPLOYED / "sla.yaml"
DEFAULT_CATALOGUE_FILE = DEPLOYED / "policy_reasons.yaml"


def read_yaml(path: Path, *, error: type[ValueError]) -> object:
    """The parsed document of ``path``; ``error`` naming the file if it is not YAML."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"{path}: {exc}") from exc


def load_sla(path: Path = DEFAULT_SLA_FILE) -> SlaConfig:
    """Read and validate an SLA file; :class:`SlaConfigError` if it is missing or invalid."""
    try:
        document = read_yaml(path, error=SlaConfigError)
    except OSError as error:
        raise SlaConfigError(f"{path}: {error}") from error
    return parse_sla(document, source=str(path))


def load_catalogue(path: Path = DEFAULT_CATALOGUE_FILE) -> Catalogue:
    """Read and check a catalogue file; ``ValueError`` naming it if it is invalid."""
    return parse_catalogue(read_yaml(path, error=ValueError), source=str(path))


@cache
def shipped_catalogue() -> Catalogue:
    """The catalogue shipped with Crible, read once."""
    return load_catalogue()
