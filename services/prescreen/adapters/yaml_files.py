"""Prescreen's YAML files (rules, frames, domain lists, policies): read once, digest cited."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import yaml

from services.prescreen.core.concepts import Stemmer
from services.prescreen.core.domains import DomainIndex, DomainListError, parse_domain_lists
from services.prescreen.core.framing import Framing, FramingError, parse_framing
from services.prescreen.core.policy import Policy, PolicyError, parse_policy
from services.prescreen.core.text_rules import RuleError, RuleSet, normalize, parse_rule_file


def read_yaml(path: str | Path, *, error: type[ValueError]) -> tuple[object, str]:
    """The parsed document and the SHA-256 of its bytes; ``error`` if it is not YAML."""
    raw = Path(path).read_bytes()
    try:
        document = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
    return document, hashlib.sha256(raw).hexdigest()


def load_rules(path: str | Path, *, stemmers: Mapping[str, Stemmer]) -> RuleSet:
    """Load and compile a rule file; raise :class:`RuleError` if it is invalid."""
    document, digest = read_yaml(path, error=RuleError)
    return parse_rule_file(document, digest=digest, stemmers=stemmers)


def load_framing(path: str | Path) -> tuple[Framing, str]:
    """A framing file's frames and its digest; raise :class:`FramingError` if it is invalid."""
    document, digest = read_yaml(path, error=FramingError)
    return parse_framing(document, normalize=normalize), digest


def load_domain_lists(path: str | Path) -> DomainIndex:
    """Load a domain list file; raise :class:`DomainListError` if it is invalid."""
    document, digest = read_yaml(path, error=DomainListError)
    return DomainIndex(parse_domain_lists(document), digest=digest)


def load_policy(path: str | Path) -> Policy:
    """Read and check a policy file; raise :class:`PolicyError` if it is missing or invalid."""
    try:
        document, _ = read_yaml(path, error=PolicyError)
    except OSError as error:
        raise PolicyError(f"policy file {path}: {error}") from error
    return parse_policy(document, source=str(path))
