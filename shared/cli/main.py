"""The ``crible`` command: run services, prepare infrastructure, demo and benchmark.

It is handed the service registry by ``services.main`` (the composition root), so nothing
in ``shared/`` imports a service. Subcommands import what they need when they run, so that
``crible run ingest`` does not load the demo's terminal UI nor the local stack's launcher.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import uvloop

from shared.cli.registry import Registry
from shared.config import get_settings
from shared.logs import configure_logging

log = logging.getLogger("crible")

#: Exit status of a service stopped by its configuration (sysexits.h).
EX_CONFIG = 78
#: `crible run all` gives service i of the registry these ports plus i (the deployment files
#: keep the same numbering, so a port names one service everywhere).
METRICS_BASE_PORT = 9101
HTTP_BASE_PORT = 8101


def main(argv: Sequence[str] | None, *, services: Mapping[str, str]) -> int:
    """Run the ``crible`` command over ``services`` (name to package, e.g. ``services.ingest``)."""
    registry = Registry(services)
    parser = _parser(registry)
    args = parser.parse_args(argv)
    args.registry = registry
    service = args.service if args.command == "run" else f"crible-{args.command}"
    settings = get_settings()
    configure_logging(service, settings.log_level, fold_seconds=settings.log_fold_seconds)
    try:
        return int(args.func(args) or 0)
    except RuntimeError as error:  # a condition the user can fix; no traceback needed
        print(f"crible {args.command}: {error}", file=sys.stderr)
        return 2


def _parser(registry: Registry) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crible", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one service, or `all` under a supervisor")
    run.add_argument("service", choices=[*registry.names, "all"])
    run.add_argument(
        "--metrics-base-port",
        type=int,
        default=METRICS_BASE_PORT,
        help="with `all`: first metrics port; services get consecutive ports",
    )
    run.add_argument(
        "--http-base-port",
        type=int,
        default=HTTP_BASE_PORT,
        help="with `all`: first HTTP API port (dispatch's reviewer API is the third)",
    )
    run.set_defaults(func=_run)

    local = sub.add_parser(
        "local",
        help="start local Kafka/PostgreSQL unless KAFKA_BOOTSTRAP_SERVERS/DATABASE_URL are set, "
        "apply topics and migrations, run the command after `--`, then stop everything",
    )
    local.add_argument(
        "--brokers",
        type=int,
        default=1,
        help="Kafka nodes: 3 starts a KRaft cluster (replication 3, min.insync 2)",
    )
    local.add_argument(
        "--standby",
        action="store_true",
        help="add a streaming replica of PostgreSQL (services find the primary after a promotion)",
    )
    local.add_argument("cmd", nargs=argparse.REMAINDER)
    local.set_defaults(func=_local)

    topics = sub.add_parser("topics", help="topic administration")
    topics.add_argument("action", choices=["apply"])
    topics.set_defaults(func=_topics)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    db = sub.add_parser("db", help="database administration")
    db_what = db.add_subparsers(dest="action", required=True)
    db_what.add_parser(
        "guard",
        help="install the schema guard (event triggers: no non-superuser may disable, drop or "
        "replace a guard_* trigger) with CRIBLE_ADMIN_DATABASE_URL, a superuser's DSN",
    )
    db_what.add_parser("guard-status", help="whether the schema guard is installed (exit 1: no)")
    db.set_defaults(func=_db)

    health = sub.add_parser(
        "healthcheck",
        help="ask this process's metrics port for /healthz (or /readyz) with the token: "
        "the container health check and the pods' probes",
    )
    health.add_argument("--ready", action="store_true", help="ask /readyz instead of /healthz")
    health.set_defaults(func=_healthcheck)

    schemas = sub.add_parser("schemas", help="JSON Schemas of the event contracts")
    schemas.add_argument("action", choices=["export", "check"])
    schemas.set_defaults(func=_schemas)

    demo = sub.add_parser("demo", help="publish a realistic report stream and watch the pipeline")
    demo.add_argument("--reports", type=int, default=3000, help="how many reports to publish")
    demo.add_argument("--rate", type=float, default=200.0, help="reports per second")
    demo.add_argument("--seconds", type=float, default=60.0, help="how long to watch")
    demo.set_defaults(func=_demo)

    bench = sub.add_parser(
        "bench",
        help="a service's benchmark on the real stack (`crible bench ingest --help`)",
        add_help=False,
    )
    bench.add_argument("target", choices=[*registry.benchmarks(), "e2e"])
    bench.add_argument("options", nargs=argparse.REMAINDER)
    bench.set_defaults(func=_bench)
    _operations(sub)
    for module in registry.command_modules():
        module.register(sub)
    return parser


def _operations(sub: Any) -> None:
    """The operators' subcommands: observe, dashboards, metrics catalogue, dead letters."""
    observe = sub.add_parser(
        "observe",
        help="run every service (`run all`) with a local Prometheus (127.0.0.1:9090 unless "
        "--port, Crible's rules and alerts); Ctrl-C stops both",
    )
    observe.add_argument("--port", type=int, default=9090, help="Prometheus's port")
    observe.add_argument(
        "--metrics-base-port",
        type=int,
        default=METRICS_BASE_PORT,
        help="first metrics port of the services (as `crible run all` takes it)",
    )
    observe.add_argument(
        "--http-base-port", type=int, default=HTTP_BASE_PORT, help="first HTTP API port"
    )
    observe.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="where its configuration, password and data go (default .cache/prometheus)",
    )
    observe.set_defaults(func=_observe)

    chaos = sub.add_parser(
        "chaos",
        help="the whole pipeline under load and faults (kills, broker frozen and killed, "
        "database restarted), then its invariants",
    )
    from shared.cli.chaos_plan import add_arguments  # noqa: PLC0415 - options only

    add_arguments(chaos)
    chaos.set_defaults(func=_chaos)

    dashboards = sub.add_parser("dashboards", help="Grafana dashboards (deploy/grafana/)")
    dashboards.add_argument("action", choices=["export"])
    dashboards.set_defaults(func=_dashboards)

    metrics = sub.add_parser("metrics", help="the metrics catalogue (deploy/METRICS.md)")
    metrics.add_argument("action", choices=["catalogue", "check"])
    metrics.set_defaults(func=_metrics)

    cluster = sub.add_parser(
        "cluster", help="drills on the local cluster (crible local --brokers 3 --standby)"
    )
    drills = cluster.add_subparsers(dest="action", required=True)
    faults = drills.add_parser(
        "faults",
        help="under load: a broker SIGKILLed and restarted, another stopped for good, the "
        "primary PostgreSQL crashed and the standby promoted; resume times and invariants",
    )
    faults.add_argument("--rate", type=float, default=100.0, help="messages a second")
    faults.add_argument("--settle-seconds", type=float, default=20.0, help="between faults")
    faults.add_argument("--down-seconds", type=float, default=10.0, help="the killed broker's")
    faults.add_argument(
        "--promote-after-seconds", type=float, default=5.0, help="from the crash to the promotion"
    )
    faults.add_argument("--metrics-base-port", type=int, default=METRICS_BASE_PORT)
    faults.add_argument("--http-base-port", type=int, default=HTTP_BASE_PORT)
    cluster.set_defaults(func=_cluster)

    dlq = sub.add_parser("dlq", help="dead-letter topics: list, show, replay after a fix")
    actions = dlq.add_subparsers(dest="action", required=True)
    listed = actions.add_parser("list", help="counts by error class, oldest and newest")
    listed.add_argument("topic", help="the source topic or its .dlq, without the prefix")
    shown = actions.add_parser("show", help="the newest dead letters' headers")
    shown.add_argument("topic")
    shown.add_argument("--limit", type=int, default=20)
    shown.add_argument("--payload", action="store_true", help="print the payloads too")
    again = actions.add_parser("replay", help="send dead letters back to their source topic")
    again.add_argument("topic")
    again.add_argument("--error-class", help="only dead letters of this error class")
    again.add_argument("--dry-run", action="store_true", help="say what would be sent")
    dlq.set_defaults(func=_dlq)


def _observe(args: argparse.Namespace) -> int:
    from shared.cli.observe import CACHE, observe  # noqa: PLC0415

    return observe(
        args.registry.names,
        metrics_base_port=args.metrics_base_port,
        http_base_port=args.http_base_port,
        port=args.port,
        cache=args.cache or CACHE,
    )


def _chaos(args: argparse.Namespace) -> int:
    from shared.cli.chaos import run  # noqa: PLC0415

    return run(args.registry, get_settings(), args=args)


def _dashboards(args: argparse.Namespace) -> int:
    from shared.cli.dashboards import export  # noqa: PLC0415

    for path in export(args.registry):
        print(f"wrote {path}")
    return 0


def _metrics(args: argparse.Namespace) -> int:
    from shared.cli.catalogue import CATALOGUE, catalogue  # noqa: PLC0415

    text = catalogue(args.registry)
    if args.action == "check":
        if CATALOGUE.read_text() != text:
            print(f"{CATALOGUE} is stale: run `crible metrics catalogue`")
            return 1
        return 0
    CATALOGUE.write_text(text)
    print(f"wrote {CATALOGUE}")
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from shared.cli.drill.faults import Plan, drill, report  # noqa: PLC0415
    from shared.cli.local.servers import from_environment  # noqa: PLC0415

    plan = Plan(
        rate=args.rate,
        settle_seconds=args.settle_seconds,
        down_seconds=args.down_seconds,
        promote_after_seconds=args.promote_after_seconds,
        metrics_base_port=args.metrics_base_port,
        http_base_port=args.http_base_port,
    )
    result = uvloop.run(drill(from_environment(), args.registry, get_settings(), plan=plan))
    print(report(result))
    return 0 if result.ok else 1


def _dlq(args: argparse.Namespace) -> int:
    from shared.cli.dlq import main  # noqa: PLC0415

    return main(args)


def _run(args: argparse.Namespace) -> int:
    from shared.cli.supervisor import supervise  # noqa: PLC0415
    from shared.runtime import ConfigurationError, serve  # noqa: PLC0415
    from shared.runtime.parent import PARENT_VARIABLE, exit_with_parent  # noqa: PLC0415

    parent = os.environ.get(PARENT_VARIABLE)
    if parent:
        # Stopped gracefully (a SIGTERM to itself) if what started it dies: `crible run all`
        # for a service, a benchmark for a service or for `crible run all`.
        exit_with_parent(int(parent), on_orphaned=lambda: os.kill(os.getpid(), signal.SIGTERM))
    if args.service == "all":
        return supervise(
            args.registry.names,
            metrics_base_port=args.metrics_base_port,
            http_base_port=args.http_base_port,
        )
    try:
        uvloop.run(serve(args.registry.spec(args.service), get_settings()))
    except ConfigurationError as error:
        # Retrying cannot help (e.g. migrations not applied): say what to do, exit EX_CONFIG.
        log.critical("cannot run as configured: %s", error)
        return EX_CONFIG
    return 0


def _local(args: argparse.Namespace) -> int:
    from shared.cli.local.stack import run_with_stack  # noqa: PLC0415

    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    return run_with_stack(
        command, migrations=args.registry.migrations(), brokers=args.brokers, standby=args.standby
    )


def _topics(_args: argparse.Namespace) -> int:
    from shared.kafka import apply_topics  # noqa: PLC0415

    print(json.dumps(asyncio.run(apply_topics(get_settings())), indent=2, sort_keys=True))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from shared.db import migrate  # noqa: PLC0415

    dsn = get_settings().database_url.get_secret_value()
    applied = asyncio.run(migrate(dsn, args.registry.migrations()))
    for m in applied:
        print(f"applied {m.owner}/{m.version:04d}_{m.name}")
    if not applied:
        print("database schema is up to date")
    if not asyncio.run(_guarded(dsn)):
        print(
            "warning: the schema guard is not installed: the owner role can disable the "
            "guard_* triggers; an administrator runs `crible db guard` once",
            file=sys.stderr,
        )
    return 0


async def _guarded(dsn: str) -> bool:
    import asyncpg  # noqa: PLC0415

    from shared import db_guard  # noqa: PLC0415

    conn = await asyncpg.connect(dsn)
    try:
        return await db_guard.installed(conn)
    finally:
        await conn.close()


def _db(args: argparse.Namespace) -> int:
    from shared import db_guard  # noqa: PLC0415

    settings = get_settings()
    if args.action == "guard-status":
        guarded = asyncio.run(_guarded(settings.database_url.get_secret_value()))
        print("schema guard installed" if guarded else "schema guard NOT installed")
        return 0 if guarded else 1
    if settings.admin_database_url is None:
        raise RuntimeError("set CRIBLE_ADMIN_DATABASE_URL to a superuser's DSN")
    asyncio.run(db_guard.install(settings.admin_database_url.get_secret_value()))
    print("schema guard installed")
    return 0


def _healthcheck(args: argparse.Namespace) -> int:
    from shared.cli.healthcheck import run  # noqa: PLC0415

    return run(get_settings(), ready=args.ready)


def _schemas(args: argparse.Namespace) -> int:
    from shared import schemas  # noqa: PLC0415

    documents = args.registry.openapi()
    if args.action == "export":
        for path in schemas.export(openapi=documents):
            print(f"wrote {path}")
        return 0
    stale = schemas.stale(openapi=documents)
    for name in stale:
        print(f"stale: deploy/schemas/{name} (run `crible schemas export`)", file=sys.stderr)
    return 1 if stale else 0


def _demo(args: argparse.Namespace) -> int:
    from shared.cli.demo import run_demo  # noqa: PLC0415

    services = [args.registry.spec(name) for name in args.registry.names]
    uvloop.run(
        run_demo(
            get_settings(), services, reports=args.reports, rate=args.rate, seconds=args.seconds
        )
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    registry: Registry = args.registry
    if args.target == "e2e":  # the whole pipeline, not one service's
        from shared.cli.e2e import run  # noqa: PLC0415

        return run(registry, get_settings(), argv=args.options)
    return registry.bench(args.target)(get_settings(), args.options)
