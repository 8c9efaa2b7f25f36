"""What `crible chaos` injects and under how much load (its options: no heavy imports)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """What to inject, and under how much load."""

    #: At least this many reports; the load goes on until the last fault is over.
    reports: int = 30_000
    rate: float = 250.0
    kills: int = 3
    backends: bool = True
    freeze_seconds: float = 40.0
    broker_kill: bool = True
    database_restart: bool = True
    #: Seconds between two faults (the pipeline recovers in between).
    gap_seconds: float = 10.0
    metrics_base_port: int = 9101
    http_base_port: int = 8101
    #: Settings for the services (e.g. a shorter session timeout in the tests).
    env: tuple[tuple[str, str], ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``crible chaos`` options."""
    parser.add_argument("--reports", type=int, default=Plan.reports)
    parser.add_argument("--rate", type=float, default=Plan.rate, help="reports per second")
    parser.add_argument("--kills", type=int, default=Plan.kills, help="rounds of SIGKILLs")
    parser.add_argument("--freeze-seconds", type=float, default=Plan.freeze_seconds)
    parser.add_argument("--no-broker-kill", action="store_true")
    parser.add_argument("--no-database-restart", action="store_true")
    parser.add_argument("--metrics-base-port", type=int, default=Plan.metrics_base_port)
    parser.add_argument("--http-base-port", type=int, default=Plan.http_base_port)


def plan_from(args: argparse.Namespace) -> Plan:
    """The plan the options ask for."""
    return Plan(
        reports=args.reports,
        rate=args.rate,
        kills=args.kills,
        freeze_seconds=args.freeze_seconds,
        broker_kill=not args.no_broker_kill,
        database_restart=not args.no_database_restart,
        metrics_base_port=args.metrics_base_port,
        http_base_port=args.http_base_port,
    )
