"""Legal's ``crible`` subcommands: ``crible legal rotate-key``."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


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
    legal.set_defaults(func=_legal)


def _legal(args: argparse.Namespace) -> int:
    return asyncio.run(_rotate(args.batch))


async def _rotate(batch: int) -> int:
    import asyncpg  # noqa: PLC0415 - only this command needs them

    from services.legal.config import LegalSettings  # noqa: PLC0415
    from services.legal.rotation import remaining, rotate_batch  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415

    settings = LegalSettings()
    cipher = settings.cipher()
    conn = await asyncpg.connect(get_settings().database_url.get_secret_value())
    try:
        total: dict[str, int] = {}
        while True:
            moved = await rotate_batch(conn, cipher, batch=batch)
            for table, count in moved.items():
                total[table] = total.get(table, 0) + count
            if not any(moved.values()):
                break
        left = await remaining(conn, cipher.current_key_id)
    finally:
        await conn.close()
    for table, count in total.items():
        print(f"{table}: {count} row(s) re-encrypted under {cipher.current_key_id}")
    if any(left.values()):
        print(f"still under an old key (locked by a writer; run again): {left}")
        return 1
    return 0
