"""``crible transparency --period 2026-H2 [--format json|csv|html] [--out DIR]``.

JSON and CSV go to standard output without ``--out``; HTML is a file, so it needs one. The
exit status is 1 when the audit chain does not verify (the report is still written, and
says so), 2 for a period or option it cannot use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("crible.transparency")


def register(sub: Any) -> None:
    """Add ``transparency`` to the ``crible`` command."""
    parser = sub.add_parser(
        "transparency",
        help="the transparency report of a period: legal requests per country and "
        "instrument, and moderation figures (DSA art. 15)",
    )
    parser.add_argument(
        "--period", required=True, help="YYYY, YYYY-H1, YYYY-H2 or YYYY-Q1..Q4 (UTC, end excluded)"
    )
    parser.add_argument("--format", choices=["json", "csv", "html"], default="json")
    parser.add_argument(
        "--out", help="a directory for the files (json: one, csv: one per table, html: one)"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from services.legal.transparency.periods import PeriodError, parse_period  # noqa: PLC0415

    try:
        period = parse_period(args.period)
    except PeriodError as error:
        print(f"crible transparency: {error}", file=sys.stderr)
        return 2
    if args.format == "html" and args.out is None:
        print("crible transparency: --format html needs --out DIR", file=sys.stderr)
        return 2
    report = asyncio.run(_read(period))
    written = _write(report, args.format, None if args.out is None else Path(args.out))
    for path in written:
        print(path)
    chain = report["source"]["audit_chain"]
    log.info(
        "transparency report made",
        extra={
            "period": period.label,
            "format": args.format,
            "requests_read": report["source"]["requests_read"],
            "chain_intact": chain["intact"],
            "last_sequence": chain["last_sequence"],
        },
    )
    if not chain["intact"]:
        print(
            f"crible transparency: the audit chain is BROKEN at entry {chain['broken_at']} "
            f"({chain['break_kind']}); the report says so",
            file=sys.stderr,
        )
        return 1
    return 0


async def _read(period: Any) -> dict[str, Any]:
    import asyncpg  # noqa: PLC0415 - only this command needs it here

    from services.legal.adapters import checkpoint_sources  # noqa: PLC0415
    from services.legal.adapters.postgres.transparency import read_report  # noqa: PLC0415
    from services.legal.config import LegalSettings  # noqa: PLC0415
    from services.legal.core.checkpoint import open_all  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415

    legal, settings = LegalSettings(), get_settings()
    # The chain is verified against the checkpoints published outside the database.
    published = await checkpoint_sources.published(settings)
    anchors = open_all(
        [c.note for c in published],
        public=legal.platform_key().public_key(),
        name=legal.audit_origin,
    )
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        return await read_report(
            conn,
            period,
            legal.cipher(),
            audit_keys=legal.audit_ring().keys,
            anchors=anchors,
            generated_at=datetime.now(UTC),
        )
    finally:
        await conn.close()


def _write(report: dict[str, Any], form: str, out: Path | None) -> list[Path]:
    """Write ``report`` in ``form``: to ``out`` (the paths written) or to standard output."""
    from services.legal.transparency.tables import long_form, write_tables  # noqa: PLC0415

    stem = f"transparency-{report['period']['label']}"
    if out is None:
        text = json.dumps(report, indent=2) + "\n" if form == "json" else long_form(report)
        sys.stdout.write(text)
        return []
    out.mkdir(parents=True, exist_ok=True)
    if form == "csv":
        return write_tables(report, out, stem)
    if form == "json":
        path = out / f"{stem}.json"
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        return [path]
    from services.legal.transparency.page import render_html  # noqa: PLC0415 - matplotlib

    path = out / f"{stem}.html"
    path.write_text(render_html(report), encoding="utf-8")
    return [path]
