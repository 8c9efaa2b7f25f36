"""Legal's ``crible`` subcommands: ``crible legal ...`` and ``crible audit verify``.

They write and read legal's tables directly (as the owner role, ``DATABASE_URL``):
authorities are registered by operators after an out-of-band check, not by events.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import secrets
from typing import Any

from services.legal.transparency import command as transparency


def register(sub: Any) -> None:
    """Add ``legal`` to the ``crible`` command."""
    legal = sub.add_parser("legal", help="legal requests and the identity store")
    actions = legal.add_subparsers(dest="action", required=True)
    rotate = actions.add_parser(
        "rotate-key",
        help="re-encrypt every row still under an old key with CRIBLE_LEGAL_CURRENT_KEY, in "
        "batches, while the service runs",
    )
    rotate.add_argument("--batch", type=int, default=500, help="rows per transaction")
    retention = actions.add_parser(
        "retention",
        help="delete identity data past its legal retention (décret 2021-1362), skipping "
        "accounts under a preservation order; the service also runs it on a schedule",
    )
    retention.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    retention.add_argument("--batch", type=int, default=5000, help="rows per transaction")
    authorities = actions.add_parser("authorities", help="the authorities the portal knows")
    what = authorities.add_subparsers(dest="what", required=True)
    add = what.add_parser("add", help="register an authority; prints its portal token once")
    add.add_argument("authority_id")
    add.add_argument("--name", required=True)
    add.add_argument("--country", required=True, help="ISO 3166-1 alpha-2, e.g. FR")
    add.add_argument(
        "--kind",
        required=True,
        choices=["police", "gendarmerie", "prosecutor", "investigating_judge", "court"],
    )
    add.add_argument("--contact", required=True, help="how to reach it (office, not a person)")
    add.add_argument("--signing-key", required=True, help="Ed25519 public key, base64 (32 bytes)")
    add.add_argument("--encryption-key", required=True, help="X25519 public key, base64 (32 bytes)")
    what.add_parser("list", help="registered authorities (never their tokens)")
    deactivate = what.add_parser(
        "deactivate",
        help="stop an authority's token and signature from being accepted (audited; `add` "
        "registers it again)",
    )
    deactivate.add_argument("authority_id")
    officers = actions.add_parser("officers", help="the legal officers who approve")
    officer_what = officers.add_subparsers(dest="what", required=True)
    officer = officer_what.add_parser("add", help="add a legal officer; prints a token once")
    officer.add_argument("officer_id")
    officer.add_argument("--name", required=True)
    officer.add_argument("--roles", default="legal_officer", help="legal_officer, legal_admin")
    opener = actions.add_parser(
        "open-package",
        help="verify and decrypt a disclosure package, as the authority does (files to --out)",
    )
    opener.add_argument("package", help="the downloaded package file")
    opener.add_argument(
        "--authority-key", required=True, help="a file holding the X25519 private key, base64"
    )
    opener.add_argument(
        "--platform-key", required=True, help="the platform's Ed25519 public key, base64"
    )
    opener.add_argument("--out", required=True, help="a directory for the package's files")
    audit = actions.add_parser("audit", help="the hash-chained audit log")
    _audit_commands(audit)
    legal.set_defaults(func=_legal)
    # ``crible audit ...``: the same commands under the name operators and auditors look for.
    _audit_commands(sub.add_parser("audit", help="the legal requests' keyed, anchored audit log"))
    # ``crible transparency``: figures computed from the audit trail and the requests.
    transparency.register(sub)


def _audit_commands(parser: Any) -> None:
    what = parser.add_subparsers(dest="what", required=True)
    verify = what.add_parser(
        "verify",
        help="recompute every keyed hash and check the chain against every signed checkpoint "
        "(the topic, and --checkpoints files); exit 1 if anything does not verify",
    )
    verify.add_argument(
        "--checkpoints", action="append", default=[], help="a file of checkpoints kept elsewhere"
    )
    verify.add_argument(
        "--no-topic", action="store_true", help="do not read legal.audit.checkpoints"
    )
    verify.add_argument(
        "--public-key",
        help="the platform's Ed25519 public key, base64 (default: from CRIBLE_LEGAL_SIGNING_KEY)",
    )
    checkpoints = what.add_parser("checkpoints", help="the chain's signed checkpoints")
    checkpoints_what = checkpoints.add_subparsers(dest="checkpoints_action", required=True)
    export = checkpoints_what.add_parser(
        "export", help="write every published checkpoint to a file, for an auditor to keep"
    )
    export.add_argument("--out", required=True, help="the file to write (JSON lines)")
    acknowledge = what.add_parser(
        "acknowledge",
        help="put on the chain that a credential change verify named was investigated "
        "(it stays listed, as acknowledged, and no longer fails the check)",
    )
    acknowledge.add_argument("change_id", type=int, help="the change verify named")
    acknowledge.add_argument(
        "--incident", required=True, help="the incident's reference, e.g. INC-2031"
    )
    parser.set_defaults(func=_audit)


def _audit(args: argparse.Namespace) -> int:
    if args.what == "checkpoints":
        return asyncio.run(_export_checkpoints(args.out))
    if args.what == "acknowledge":
        return asyncio.run(_acknowledge(args.change_id, args.incident))
    return asyncio.run(_verify(args))


def _legal(args: argparse.Namespace) -> int:
    if args.action == "rotate-key":
        return asyncio.run(_rotate(args.batch))
    if args.action == "retention":
        return asyncio.run(_retention(dry_run=args.dry_run, batch=args.batch))
    if args.action == "authorities":
        return asyncio.run(_authorities(args))
    if args.action == "officers":
        return asyncio.run(_officers(args))
    if args.action == "open-package":
        return _open_package(args)
    return _audit(args)


async def _connect() -> Any:
    import asyncpg  # noqa: PLC0415 - only these commands need it

    from shared.config import get_settings  # noqa: PLC0415

    return await asyncpg.connect(get_settings().database_url.get_secret_value())


def _key(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SystemExit(f"--{what} is not base64") from None
    if len(raw) != 32:
        raise SystemExit(f"--{what} must be 32 bytes")
    return raw


async def _authorities(args: argparse.Namespace) -> int:
    conn = await _connect()
    try:
        if args.what == "list":
            for row in await conn.fetch(
                "SELECT authority_id, name, country, kind, active FROM legal.authorities "
                "ORDER BY authority_id"
            ):
                print(
                    f"{row['authority_id']}\t{row['name']}\t{row['country']}\t{row['kind']}\t"
                    f"{'active' if row['active'] else 'disabled'}"
                )
            return 0
        if args.what == "deactivate":
            return await _deactivate_authority(conn, args.authority_id)
        token = "cra_" + secrets.token_urlsafe(32)
        async with conn.transaction():
            await _register_authority(conn, args, token)
    finally:
        await conn.close()
    print(token)
    return 0


async def _deactivate_authority(conn: Any, authority_id: str) -> int:
    """Deactivate an authority, and put it on the audit chain (as the console does)."""
    from services.legal.core.audit import AuditStep  # noqa: PLC0415

    async with conn.transaction():
        done = await conn.fetchval(
            """UPDATE legal.authorities SET active = false
               WHERE authority_id = $1 AND active RETURNING 1""",
            authority_id,
        )
        if done is None:
            print(f"no active authority {authority_id!r}")
            return 1
        await _registered(
            conn,
            AuditStep.AUTHORITY_DEACTIVATED,
            actor="crible legal authorities",
            details={
                "change": await _change(conn, "authority", authority_id),
                "authority": authority_id,
            },
        )
    print(f"{authority_id} deactivated: its token and signatures are refused from now on")
    return 0


async def _register_authority(conn: Any, args: argparse.Namespace, token: str) -> None:
    """Register (or re-register) an authority, and put it on the audit chain."""
    from services.legal.adapters.postgres.principals import token_hash  # noqa: PLC0415
    from services.legal.core.audit import AuditStep  # noqa: PLC0415

    signing = _key(args.signing_key, "signing-key")
    encryption = _key(args.encryption_key, "encryption-key")
    await conn.execute(
        """INSERT INTO legal.authorities (authority_id, name, country, kind, contact,
               signing_key, encryption_key, token_hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (authority_id) DO UPDATE SET name = EXCLUDED.name,
               country = EXCLUDED.country, kind = EXCLUDED.kind,
               contact = EXCLUDED.contact, signing_key = EXCLUDED.signing_key,
               encryption_key = EXCLUDED.encryption_key, token_hash = EXCLUDED.token_hash,
               active = true""",
        args.authority_id,
        _text(args.name, "name"),
        args.country.upper(),
        args.kind,
        _text(args.contact, "contact"),
        signing,
        encryption,
        token_hash(token),
    )
    # Who may submit is on the chain, which nobody rewrites unseen without the audit key.
    await _registered(
        conn,
        AuditStep.AUTHORITY_REGISTERED,
        actor="crible legal authorities",
        details={
            "change": await _change(conn, "authority", args.authority_id),
            "authority": args.authority_id,
            "country": args.country.upper(),
            "kind": args.kind,
            "signing_key": _fingerprint(signing),
            "encryption_key": _fingerprint(encryption),
            "token": _fingerprint(token_hash(token)),
        },
    )


async def _officers(args: argparse.Namespace) -> int:
    from services.legal.adapters.postgres.principals import token_hash  # noqa: PLC0415
    from services.legal.core.approval import OFFICER_ID, OfficerRole  # noqa: PLC0415
    from services.legal.core.audit import AuditStep  # noqa: PLC0415

    if OFFICER_ID.fullmatch(args.officer_id) is None:
        raise SystemExit(
            "an officer id is 1-64 lower-case letters, digits, '.', '_' or '-', starting with "
            "a letter or digit: one spelling per person (officers are compared by id)"
        )
    roles = sorted(OfficerRole(r.strip()).value for r in args.roles.split(",") if r.strip())
    token = "clo_" + secrets.token_urlsafe(32)
    conn = await _connect()
    try:
        async with conn.transaction():
            await conn.execute(
                """INSERT INTO legal.officers (officer_id, name, roles, token_hash)
                   VALUES ($1, $2, $3, $4)
                   ON CONFLICT (officer_id) DO UPDATE SET name = EXCLUDED.name,
                       roles = EXCLUDED.roles, token_hash = EXCLUDED.token_hash, active = true""",
                args.officer_id,
                _text(args.name, "name"),
                roles,
                token_hash(token),
            )
            await _registered(
                conn,
                AuditStep.OFFICER_REGISTERED,
                actor="crible legal officers",
                details={
                    "change": await _change(conn, "officer", args.officer_id),
                    "officer": args.officer_id,
                    "roles": " ".join(roles),
                    "token": _fingerprint(token_hash(token)),
                },
            )
    finally:
        await conn.close()
    print(token)
    return 0


async def _registered(conn: Any, step: Any, *, actor: str, details: dict[str, Any]) -> None:
    from services.legal.adapters.postgres.audit_log import record  # noqa: PLC0415
    from services.legal.config import LegalSettings  # noqa: PLC0415

    ring = LegalSettings().audit_ring()
    await record(conn, step, ring=ring, actor=actor, details=details)


async def _change(conn: Any, kind: str, principal_id: str) -> int:
    """The logged change this registration made, which its audit entry names."""
    from services.legal.adapters.postgres.audit_log import last_change  # noqa: PLC0415

    return await last_change(conn, kind, principal_id)


def _fingerprint(value: bytes) -> str:
    from services.legal.core.model import fingerprint  # noqa: PLC0415

    return fingerprint(value)


def _text(value: str, what: str) -> str:
    from shared.events.legal import plain_text  # noqa: PLC0415

    try:
        return plain_text(value)
    except ValueError as error:
        raise SystemExit(f"--{what}: {error}") from None


def _open_package(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: PLC0415
        X25519PrivateKey,
    )

    from services.legal.core.package import PackageError, open_package  # noqa: PLC0415

    # The private key is read from a file, never from the command line (process listings).
    private = X25519PrivateKey.from_private_bytes(
        _key(Path(args.authority_key).read_text().strip(), "authority-key")
    )
    public = Ed25519PublicKey.from_public_bytes(_key(args.platform_key, "platform-key"))
    try:
        opened = open_package(Path(args.package).read_bytes(), private, public)
    except PackageError as error:
        print(f"refused: {error}")
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in opened.files.items():
        target = out / Path(name).name  # never outside --out, whatever the archive says
        target.write_bytes(content)
        print(f"{target} ({len(content)} bytes)")
    print(f"signature verified; request {opened.manifest.get('request_id')}")
    return 0


async def _acknowledge(change_id: int, incident: str) -> int:
    from services.legal.core.audit import AuditDetailError, AuditStep  # noqa: PLC0415

    conn = await _connect()
    try:
        async with conn.transaction():
            known = await conn.fetchval(
                "SELECT 1 FROM legal.registrations WHERE change_id = $1", change_id
            )
            if known is None:
                raise SystemExit(f"no change {change_id} in legal.registrations")
            try:
                await _registered(
                    conn,
                    AuditStep.REGISTRATION_ACKNOWLEDGED,
                    actor="crible audit acknowledge",
                    details={"change": change_id, "incident": incident},
                )
            except AuditDetailError as error:
                raise SystemExit(f"--incident: {error}") from None
    finally:
        await conn.close()
    print(f"change {change_id} acknowledged under {incident}")
    return 0


async def _verify(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    from services.legal.adapters import checkpoint_sources  # noqa: PLC0415
    from services.legal.config import LegalSettings  # noqa: PLC0415
    from services.legal.tools.audit_check import check  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415

    legal = LegalSettings()
    published = [] if args.no_topic else await checkpoint_sources.published(get_settings())
    kept = [c for path in args.checkpoints for c in checkpoint_sources.from_file(Path(path))]
    conn = await _connect()
    try:
        report = await check(
            conn,
            keys=legal.audit_ring().keys,
            notes=[c.note for c in published + kept],
            public=_public_key(args, legal),
            origin=legal.audit_origin,
        )
    finally:
        await conn.close()
    print("\n".join(report.lines))
    return 0 if report.ok else 1


def _public_key(args: argparse.Namespace, legal: Any) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PublicKey,
    )

    if args.public_key:
        return Ed25519PublicKey.from_public_bytes(_key(args.public_key, "public-key"))
    return legal.platform_key().public_key()


async def _export_checkpoints(out: str) -> int:
    from pathlib import Path  # noqa: PLC0415

    from services.legal.adapters import checkpoint_sources  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415

    found = await checkpoint_sources.published(get_settings())
    checkpoint_sources.export(found, Path(out))
    newest = max((c.size for c in found), default=0)
    print(f"{len(found)} checkpoint(s) written to {out}; the newest counts {newest} entries")
    return 0


async def _retention(*, dry_run: bool, batch: int) -> int:
    from datetime import UTC, datetime  # noqa: PLC0415

    from services.legal.adapters.postgres.retention import PostgresRetention  # noqa: PLC0415
    from services.legal.config import LegalSettings  # noqa: PLC0415
    from services.legal.handlers.retention import run_retention  # noqa: PLC0415
    from shared.runtime.periodic import lock_name  # noqa: PLC0415

    legal = LegalSettings()
    conn = await _connect()
    try:
        # The same lock as the service's scheduled run: never two at once.
        name = lock_name("legal", "retention")
        if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name):
            print("a retention run is in progress elsewhere; try again later")
            return 1
        outcomes = await run_retention(
            PostgresRetention(conn, legal.retention(), legal.audit_ring()), now=datetime.now(UTC),
            dry_run=dry_run, batch=batch, actor="crible legal retention",
        )  # fmt: skip
    finally:
        await conn.close()
    verb = "due" if dry_run else "deleted"
    for outcome in outcomes:
        print(
            f"{outcome.name}: {outcome.due} row(s) {verb}, {outcome.kept} kept by a preservation "
            f"order ({outcome.seconds:.2f} s)"
        )
    return 0


async def _rotate(batch: int) -> int:
    from services.legal.adapters.postgres import legal_unit  # noqa: PLC0415
    from services.legal.adapters.postgres.rotation import PostgresRotation  # noqa: PLC0415
    from services.legal.config import LegalSettings  # noqa: PLC0415
    from services.legal.handlers.rotation import rotate_batch  # noqa: PLC0415

    settings = LegalSettings()
    cipher = settings.cipher()
    conn = await _connect()
    try:
        store, legal = PostgresRotation(conn), legal_unit(conn, settings.keys())
        total: dict[str, int] = {}
        while True:
            moved = await rotate_batch(store, legal, cipher, batch=batch)
            for table, count in moved.items():
                total[table] = total.get(table, 0) + count
            if not any(moved.values()):
                break
        left = await store.remaining(cipher.current_key_id)
    finally:
        await conn.close()
    for table, count in total.items():
        print(f"{table}: {count} row(s) re-encrypted under {cipher.current_key_id}")
    if any(left.values()):
        print(f"still under an old key (locked by a writer; run again): {left}")
        return 1
    return 0
