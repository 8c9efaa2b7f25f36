"""Write the secrets ``deploy/docker-compose.yml`` reads, once, into ``deploy/compose/secrets/``.

Nothing secret is in the compose file or the repository: each container reads its own env
file (the metrics token, its database role's DSN, legal's keys) and PostgreSQL's first start
creates the roles with the same passwords. Run ``make compose-secrets`` (or this file) before
the first ``docker compose up``. Existing files are kept: PostgreSQL has the passwords since its
first start, so new ones would lock the services out (``--force`` after removing its volume).
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = Path(__file__).resolve().parent / "secrets"
#: The compose service names of PostgreSQL and of the database (deploy/docker-compose.yml).
DB_HOST, DATABASE = "postgres", "crible"


def _key() -> str:
    """Base64 of 32 random bytes: an AES-256 key, an HMAC key or an Ed25519 seed."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _password() -> str:
    return secrets.token_urlsafe(24)


def services() -> list[str]:
    """Every service of the registry (``services/__init__.py``), which imports nothing heavy."""
    sys.path.insert(0, str(ROOT))
    return list(importlib.import_module("services").SERVICES)


def env_files(names: list[str]) -> dict[str, dict[str, str]]:
    """File name to variables: one file per container that needs secrets."""
    roles = {name: _password() for name in names}
    owner = _password()
    files: dict[str, dict[str, str]] = {
        "common.env": {"CRIBLE_METRICS_TOKEN": secrets.token_urlsafe(32)},
        # `crible migrate` runs as the owner role; no service container gets this DSN.
        "migrate.env": {
            "DATABASE_URL": f"postgresql://crible_owner:{owner}@{DB_HOST}:5432/{DATABASE}"
        },
        # Read by compose/postgres-init.sh on the database's first start.
        "postgres.env": {
            "POSTGRES_PASSWORD": _password(),
            "PG_OWNER_PASSWORD": owner,
            "PG_SERVICES": " ".join(names),
            **{f"PG_ROLE_PASSWORD_{name.upper()}": roles[name] for name in names},
        },
        "grafana.env": {"GF_SECURITY_ADMIN_PASSWORD": _password()},
    }
    for name in names:
        # Each service gets its own role's DSN only, never another service's.
        dsn = f"postgresql://crible_{name}:{roles[name]}@{DB_HOST}:5432/{DATABASE}"
        files[f"{name}.env"] = {"CRIBLE_SERVICE_DATABASE_URLS": json.dumps({name: dsn})}
    files["legal.env"] = files.get("legal.env", {}) | {
        "CRIBLE_LEGAL_FIELD_KEYS": json.dumps({"k1": _key()}),
        "CRIBLE_LEGAL_CURRENT_KEY": "k1",
        "CRIBLE_LEGAL_INDEX_KEY": _key(),
        "CRIBLE_LEGAL_SIGNING_KEY": _key(),
        "CRIBLE_LEGAL_AUDIT_KEYS": json.dumps({"a1": _key()}),
        "CRIBLE_LEGAL_AUDIT_CURRENT_KEY": "a1",
    }
    return files


def _write(path: Path, text: str, *, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)  # also when the file existed (--force) or the umask differs
    with os.fdopen(fd, "w") as file:
        file.write(text)


def main() -> int:
    """Write the files unless they exist (``--force`` replaces them)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="replace existing secrets")
    args = parser.parse_args()
    if SECRETS.exists() and any(SECRETS.iterdir()) and not args.force:
        print(f"{SECRETS} already has secrets; kept (--force replaces them)")
        return 0
    SECRETS.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = env_files(services())
    for name, variables in files.items():
        # Single-quoted: compose takes the value literally (JSON keeps its double quotes).
        _write(SECRETS / name, "".join(f"{k}='{v}'\n" for k, v in variables.items()))
    # Prometheus reads the token from a file (a compose secret, bind-mounted with the host's
    # permissions): readable by its container's user; the 0700 folder keeps host users out.
    token = files["common.env"]["CRIBLE_METRICS_TOKEN"]
    _write(SECRETS / "metrics-token", token, mode=0o644)
    print(f"wrote {len(files) + 1} files to {SECRETS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
