"""The ``crible`` command: run services, prepare infrastructure, demo and benchmark.

Subcommands import what they need when they run, so that ``crible run ingest`` does not
load the demo's terminal UI nor the local stack's launcher.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

import uvloop

from shared.config import get_settings
from shared.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crible`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    service = args.service if args.command == "run" else f"crible-{args.command}"
    configure_logging(service, get_settings().log_level)
    try:
        return int(args.func(args) or 0)
    except RuntimeError as error:  # a condition the user can fix; no traceback needed
        print(f"crible {args.command}: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    from services import SERVICES  # noqa: PLC0415 - the composition root knows the services

    parser = argparse.ArgumentParser(prog="crible", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one service, or `all` under a supervisor")
    run.add_argument("service", choices=[*SERVICES, "all"])
    run.add_argument(
        "--metrics-base-port",
        type=int,
        default=9101,
        help="with `all`: first metrics port; services get consecutive ports",
    )
    run.set_defaults(func=_run)

    local = sub.add_parser(
        "local",
        help="start local Kafka/PostgreSQL unless KAFKA_BOOTSTRAP_SERVERS/DATABASE_URL are set, "
        "apply topics and migrations, run the command after `--`, then stop everything",
    )
    local.add_argument("cmd", nargs=argparse.REMAINDER)
    local.set_defaults(func=_local)

    topics = sub.add_parser("topics", help="topic administration")
    topics.add_argument("action", choices=["apply"])
    topics.set_defaults(func=_topics)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)

    schemas = sub.add_parser("schemas", help="JSON Schemas of the event contracts")
    schemas.add_argument("action", choices=["export", "check"])
    schemas.set_defaults(func=_schemas)

    demo = sub.add_parser("demo", help="publish a realistic report stream and watch the pipeline")
    demo.add_argument("--reports", type=int, default=3000, help="how many reports to publish")
    demo.add_argument("--rate", type=float, default=200.0, help="reports per second")
    demo.add_argument("--seconds", type=float, default=60.0, help="how long to watch")
    demo.set_defaults(func=_demo)

    bench = sub.add_parser("bench", help="benchmarks on the real stack")
    bench.add_argument("target", choices=["ingest"])
    bench.add_argument("--reports", type=int, default=200_000)
    bench.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes for the passthrough and, then, for ingest (the same number on each side)",
    )
    bench.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed")
    bench.set_defaults(func=_bench)
    return parser


def _run(args: argparse.Namespace) -> int:
    from services import SERVICES, load_spec  # noqa: PLC0415
    from shared.runtime import serve  # noqa: PLC0415
    from shared.supervisor import supervise  # noqa: PLC0415

    if args.service == "all":
        return supervise(list(SERVICES), metrics_base_port=args.metrics_base_port)
    uvloop.run(serve(load_spec(args.service), get_settings()))
    return 0


def _local(args: argparse.Namespace) -> int:
    from shared.localstack.stack import run_with_stack  # noqa: PLC0415

    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    return run_with_stack(command)


def _topics(_args: argparse.Namespace) -> int:
    from shared.kafka import apply_topics  # noqa: PLC0415

    print(json.dumps(asyncio.run(apply_topics(get_settings())), indent=2, sort_keys=True))
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from shared.db import migrate  # noqa: PLC0415

    applied = asyncio.run(migrate(get_settings().database_url.get_secret_value()))
    for m in applied:
        print(f"applied {m.owner}/{m.version:04d}_{m.name}")
    if not applied:
        print("database schema is up to date")
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from shared import schemas  # noqa: PLC0415

    if args.action == "export":
        for path in schemas.export():
            print(f"wrote {path}")
        return 0
    stale = schemas.stale()
    for name in stale:
        print(f"stale: deploy/schemas/{name} (run `crible schemas export`)", file=sys.stderr)
    return 1 if stale else 0


def _demo(args: argparse.Namespace) -> int:
    from shared.demo import run_demo  # noqa: PLC0415

    uvloop.run(run_demo(get_settings(), reports=args.reports, rate=args.rate, seconds=args.seconds))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from shared.bench import bench_ingest  # noqa: PLC0415

    return uvloop.run(
        bench_ingest(get_settings(), reports=args.reports, workers=args.workers, repeat=args.repeat)
    )


if __name__ == "__main__":
    sys.exit(main())
