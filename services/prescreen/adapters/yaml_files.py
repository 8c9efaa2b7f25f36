"""Prescreen's YAML files (rules, domain lists): read once, with the digest verdicts cite."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml


def read_yaml(path: str | Path, *, error: type[ValueError]) -> tuple[object, str]:
    """The parsed document and the SHA-256 of its bytes; ``error`` if it is not YAML."""
    raw = Path(path).read_bytes()
    try:
        document = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    return document, hashlib.sha256(raw).hexdigest()
