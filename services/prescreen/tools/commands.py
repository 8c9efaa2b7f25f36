"""Prescreen's ``crible`` subcommands: ``crible banks ...`` and ``crible eval prescreen``.

``banks`` publishes to the compacted ``hashbanks.updates``; every prescreen worker applies
what it publishes while running (and the ``banks`` consumer stores it). The database is only
read, to refuse hashes for a bank that was never defined.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    """Add ``banks`` and ``eval`` to the ``crible`` command."""
    banks = sub.add_parser("banks", help="hash banks: define, add, remove, import (prescreen)")
    actions = banks.add_subparsers(dest="action", required=True)

    define = actions.add_parser("define", help="create or change a bank")
    define.add_argument("bank")
    _definition_options(define, required=True)

    add = actions.add_parser("add", help="add one hash to a bank")
    add.add_argument("bank")
    add.add_argument("algorithm", choices=["sha256", "md5", "pdq"])
    add.add_argument("hash")
    add.add_argument("--quality", type=int, help="PDQ quality (0-100); under 50 never matches")
    _definition_options(add, required=False)

    remove = actions.add_parser("remove", help="remove one hash, or with --all the whole bank")
    remove.add_argument("bank")
    remove.add_argument("algorithm", nargs="?", choices=["sha256", "md5", "pdq"])
    remove.add_argument("hash", nargs="?")
    remove.add_argument("--all", action="store_true", help="withdraw the bank and its hashes")

    imp = actions.add_parser("import", help="import a CSV or JSON bank file (formats: README)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--bank", help="the bank (required for CSV; overrides a JSON file's)")
    _definition_options(imp, required=False)
    banks.set_defaults(func=_banks)

    evaluate = sub.add_parser("eval", help="quality of a stage on a labelled set")
    evaluate.add_argument("stage", choices=["prescreen"])
    evaluate.add_argument("file", type=Path, help="labelled cases, JSON Lines")
    evaluate.add_argument(
        "--banks",
        type=Path,
        nargs="*",
        help="bank files to screen with (default: deploy/prescreen/banks/*.json)",
    )
    evaluate.add_argument(
        "--cases-json",
        type=Path,
        help="write one JSON line per case (ids, expected and decided routes and categories, "
        "each screener's status) to this file",
    )
    evaluate.add_argument(
        "--allow-unavailable",
        action="store_true",
        help="exit 0 even if a screener was unavailable for some cases (the figures they "
        "touched are still marked)",
    )
    evaluate.set_defaults(func=_eval)


def _definition_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--kind", choices=["block", "allow"], default=None)
    parser.add_argument("--category", help="the category of a block bank")
    parser.add_argument("--threshold", type=int, default=None, help="PDQ distance (default 31)")
    parser.add_argument("--description", default=None)
    parser.set_defaults(definition_required=required)


def _banks(args: argparse.Namespace) -> int:
    from pydantic import ValidationError  # noqa: PLC0415

    from services.prescreen.tools.bankfiles import BankFileError  # noqa: PLC0415

    try:
        updates = _updates(args)
    except BankFileError as error:
        message = str(error)
        if not message.startswith(str(args.file)):  # a line's error names the file here
            message = f"{args.file}: {message}"
        raise RuntimeError(message) from None
    except (ValidationError, OSError) as error:
        raise RuntimeError(_describe(error)) from None
    undefined = {u.bank for u in updates if u.type == "hash.added"} - {
        u.bank for u in updates if u.type == "bank.defined"
    }
    if undefined:
        asyncio.run(_check_defined(sorted(undefined)))
    return asyncio.run(_publish(updates))


async def _check_defined(names: list[str]) -> None:
    """Refuse hashes for a bank that is not defined.

    The tables answer at once for banks the ``banks`` consumer has stored; a definition
    published a moment ago may not be there yet, so the topic has the last word: the latest
    record under the bank's key, read from the one partition that holds it.
    """
    import asyncpg  # noqa: PLC0415

    from shared.config import get_settings  # noqa: PLC0415

    conn = await asyncpg.connect(get_settings().database_url.get_secret_value())
    try:
        stored = {
            r["name"]
            for r in await conn.fetch(
                "SELECT name FROM prescreen.banks WHERE name = ANY($1::text[]) "
                "AND kind IS NOT NULL AND NOT removed",
                names,
            )
        }
    finally:
        await conn.close()
    missing = [n for n in names if n not in stored]
    if missing:
        async with asyncio.timeout(120):
            published = await _defined_on_topic(missing)
        missing = [n for n in missing if n not in published]
    if missing:
        raise RuntimeError(
            f"bank {', '.join(missing)} is not defined: define it first "
            "(crible banks define NAME --kind block --category CATEGORY, or --kind allow), "
            "or give --kind and --category here"
        )


async def _defined_on_topic(names: list[str]) -> set[str]:
    """The banks whose latest record on ``hashbanks.updates`` is a definition."""
    from aiokafka import TopicPartition  # noqa: PLC0415

    from shared.config import get_settings  # noqa: PLC0415
    from shared.kafka import make_plain_consumer, make_plain_producer  # noqa: PLC0415
    from shared.murmur2 import partition_for_key  # noqa: PLC0415
    from shared.topics import HASHBANKS_UPDATES, wire_name  # noqa: PLC0415

    settings = get_settings()
    topic = wire_name(HASHBANKS_UPDATES.name, settings.topic_prefix)
    producer = make_plain_producer(settings)
    await producer.start()
    try:  # the producer is the client that says where a key goes
        count = len(await producer.partitions_for(topic))
    finally:
        await producer.stop()
    consumer = make_plain_consumer(settings, enable_auto_commit=False)
    await consumer.start()
    latest: dict[str, str | None] = {}
    try:
        keys = {f"bank:{name}".encode(): name for name in names}
        wanted = list({TopicPartition(topic, partition_for_key(k, count)) for k in keys})
        consumer.assign(wanted)
        await consumer.seek_to_beginning(*wanted)
        ends = await consumer.end_offsets(wanted)
        while any([await consumer.position(tp) < ends[tp] for tp in wanted]):
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for record in (r for records in batches.values() for r in records):
                if record.key in keys:
                    kind = None if record.value is None else json.loads(record.value)["type"]
                    latest[keys[record.key]] = kind
    finally:
        await consumer.stop()
    return {name for name, kind in latest.items() if kind == "bank.defined"}


def _describe(error: Exception) -> str:
    from pydantic import ValidationError  # noqa: PLC0415

    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    return str(error)


def _definition(args: argparse.Namespace, name: str, base: dict[str, Any] | None) -> Any:
    from shared.events.screening import BankDefined  # noqa: PLC0415

    given = {
        "kind": args.kind,
        "category": args.category,
        "pdq_threshold": args.threshold,
        "description": args.description,
    }
    fields = {k: v for k, v in (base or {}).items() if k != "name"}
    fields.update({k: v for k, v in given.items() if v is not None})
    if not fields and not args.definition_required:
        return None
    fields.setdefault("kind", "block")
    if fields["kind"] == "block" and not fields.get("category"):
        raise RuntimeError("a block bank needs --category")
    # an allow-list holds known false positives of any category
    fields.setdefault("category", None)
    return BankDefined.model_validate(
        {"schema_version": 1, "type": "bank.defined", "bank": name, **fields}, strict=False
    )


def _updates(args: argparse.Namespace) -> list[Any]:
    from services.prescreen.tools import bankfiles  # noqa: PLC0415
    from shared.events.screening import BankRemoved, HashAdded, HashRemoved  # noqa: PLC0415

    if args.action == "define":
        return [_definition(args, args.bank, None)]
    if args.action == "add":
        definition = _definition(args, args.bank, None)
        added = HashAdded.model_validate(
            {
                "schema_version": 1,
                "type": "hash.added",
                "bank": args.bank,
                "algorithm": args.algorithm,
                "hash": args.hash.strip().lower(),
                "quality": args.quality,
            },
            strict=False,
        )
        return [u for u in (definition, added) if u is not None]
    if args.action == "remove":
        if args.all:
            return [BankRemoved(schema_version=1, type="bank.removed", bank=args.bank)]
        if args.algorithm is None or args.hash is None:
            raise RuntimeError("name the algorithm and the hash to remove, or --all")
        return [
            HashRemoved.model_validate(
                {
                    "schema_version": 1,
                    "type": "hash.removed",
                    "bank": args.bank,
                    "algorithm": args.algorithm,
                    "hash": args.hash.strip().lower(),
                },
                strict=False,
            )
        ]
    file = bankfiles.read_bank_file(args.file)
    name = args.bank or (file.definition or {}).get("name")
    if not name:
        raise RuntimeError(f"{args.file}: name the bank with --bank")
    definition = _definition(args, name, file.definition)
    return [u for u in (definition,) if u is not None] + bankfiles.updates(definition, name, file)


async def _publish(updates: list[Any]) -> int:
    from shared.config import get_settings  # noqa: PLC0415
    from shared.kafka import make_producer  # noqa: PLC0415
    from shared.topics import HASHBANKS_UPDATES, wire_name  # noqa: PLC0415

    settings = get_settings()
    topic = wire_name(HASHBANKS_UPDATES.name, settings.topic_prefix)
    producer = make_producer(settings)
    await producer.start()
    try:
        # Definitions first and in order: a bank's hashes never reach a worker before it.
        for update in updates:
            if update.type.startswith("bank."):
                await producer.send_and_wait(
                    topic, update.model_dump_json().encode(), key=update.key()
                )
        pending = [
            await producer.send(topic, u.model_dump_json().encode(), key=u.key())
            for u in updates
            if not u.type.startswith("bank.")
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    counts: dict[str, int] = {}
    for update in updates:
        counts[update.type] = counts.get(update.type, 0) + 1
    print(json.dumps({"published": counts, "topic": topic}, sort_keys=True))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from services.prescreen.config import DEPLOY, PrescreenSettings  # noqa: PLC0415
    from services.prescreen.service import build_engine  # noqa: PLC0415
    from services.prescreen.tools import evaluate  # noqa: PLC0415

    bank_files = args.banks if args.banks is not None else sorted(DEPLOY.glob("banks/*.json"))
    try:
        items = evaluate.read_labelled(args.file)
        banks = evaluate.load_bank_files(bank_files)
    except (OSError, ValueError) as error:
        raise RuntimeError(str(error)) from None
    engine = build_engine(PrescreenSettings(), banks)
    try:
        run = evaluate.evaluate(engine, items)
    finally:
        for screener in engine.screeners:
            close = getattr(screener, "close", None)
            if callable(close):
                close()
    print(evaluate.render(run))
    if args.cases_json is not None:
        args.cases_json.write_text(
            "".join(json.dumps(row) + "\n" for row in evaluate.case_rows(run)), encoding="utf-8"
        )
    sys.stdout.flush()
    if run.unavailable and not args.allow_unavailable:
        names = ", ".join(sorted(run.unavailable))
        print(
            f"crible eval: {names} unavailable for some cases: these figures do not measure "
            "the screening as configured (--allow-unavailable to accept them)",
            file=sys.stderr,
        )
        return 3
    return 0
