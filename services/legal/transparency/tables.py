"""The report as CSV: one wide table per subject, or all of them in one long-form CSV.

With ``--out``, one file per table; on standard output, the long form. Both are rendered
from the JSON document, nothing else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.legal.transparency.records import PRESERVATION

#: The columns a table's rows may be keyed by, in the long form's order.
KEYS = ("country", "instrument", "kind", "item")
ALL = "all"


@dataclass(slots=True)
class Table:
    """A named table: its key columns, its value columns and its rows."""

    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)


_FIGURES = (
    "requests_received", "accounts_specified", "emergency_requests", "non_disclosure_orders",
    "data_disclosed", "no_data", "refused", "preserved", "pending", "share_with_data_disclosed",
    "subscriber_disclosed", "identification_disclosed", "traffic_disclosed",
    "phone_numbers_disclosed", "sessions_disclosed",
    "median_seconds_to_acknowledge", "median_seconds_to_comply",
)  # fmt: skip


def _flat(figures: dict[str, Any]) -> dict[str, Any]:
    row = {k: figures[k] for k in _FIGURES if k in figures}
    row.update(figures["outcomes"])
    row.update({f"{k}_disclosed": v for k, v in figures["data_types_disclosed"].items()})
    row.update({f"{k}_disclosed": v for k, v in figures["records_disclosed"].items()})
    return row


def _scopes(legal: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(country, instrument, kind, figures) of every group the report has."""
    for kind in ("requests", "preservation"):
        yield ALL, ALL, kind, legal["total"][kind]
    for country, group in legal["by_country"].items():
        for kind in ("requests", "preservation"):
            yield country, ALL, kind, group[kind]
        for instrument, figures in group["by_instrument"].items():
            yield country, instrument, _kind(instrument), figures
    for instrument, figures in legal["by_instrument"].items():
        yield ALL, instrument, _kind(instrument), figures


def _kind(instrument: str) -> str:
    return "preservation" if instrument in PRESERVATION else "requests"


def tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the report."""
    legal, moderation = report["legal_requests"], report["moderation"]
    requests = Table("legal_requests", ("country", "instrument", "kind"), _FIGURES)
    refusals = Table("legal_refusals", ("country", "instrument", "kind", "item"), ("requests",))
    for country, instrument, kind, figures in _scopes(legal):
        where = {"country": country, "instrument": instrument, "kind": kind}
        requests.rows.append({**where, **_flat(figures)})
        refusals.rows.extend(
            {**where, "item": f"code:{code}", "requests": n}
            for code, n in figures["refusals_by_code"].items()
        )
        refusals.rows.extend(
            {**where, "item": f"ground:{ground}", "requests": n}
            for ground, n in figures["refusals_by_ground"].items()
        )
    portal = legal["refused_at_portal"]
    at_portal = Table("legal_portal_refusals", ("country", "item"), ("submissions",))
    at_portal.rows.append({"country": ALL, "item": ALL, "submissions": portal["total"]})
    for breakdown in ("code", "ground"):
        at_portal.rows.extend(
            {"country": ALL, "item": f"{breakdown}:{k}", "submissions": n}
            for k, n in portal[f"by_{breakdown}"].items()
        )
    at_portal.rows.extend(
        {"country": c, "item": ALL, "submissions": n} for c, n in portal["by_country"].items()
    )
    reports = Table("moderation_reports", ("item",), ("reports",))
    reports.rows = [
        {"item": c, "reports": n} for c, n in moderation["reports_received"]["by_category"].items()
    ]
    decisions = Table("moderation_decisions", ("item",), ("automated", "human", "total"))
    decisions.rows = [{"item": o, **n} for o, n in moderation["decisions"]["by_outcome"].items()]
    summary = Table("moderation_summary", ("item",), ("value",))
    summary.rows = [
        {"item": k, "value": v}
        for k, v in _leaves(moderation)
        if not k.startswith(("reports_received.by_category", "decisions.by_outcome"))
    ]
    source = Table("source", ("item",), ("value",))
    source.rows = [{"item": k, "value": v} for k, v in _leaves(_source(report))]
    return [requests, refusals, at_portal, reports, decisions, summary, source]


def _source(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": report["period"],
        "generated_at": report["generated_at"],
        "audit_chain": report["source"]["audit_chain"],
        "requests_read": report["source"]["requests_read"],
        "reconciliation_problems": len(report["source"]["reconciliation"]),
    }


def _leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _cell(value: Any) -> Any:
    # Empty for no value (a median of nothing); booleans as the words JSON uses.
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return value


def write_tables(report: dict[str, Any], folder: Path, stem: str) -> list[Path]:
    """One CSV file per table in ``folder``, named ``<stem>-<table>.csv``."""
    written = []
    for table in tables(report):
        path = folder / f"{stem}-{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(table.keys + table.values)
            for row in table.rows:
                writer.writerow(_cell(row.get(c)) for c in table.keys + table.values)
        written.append(path)
    return written


def long_form(report: dict[str, Any]) -> str:
    """Every figure of every table, one per line: table, keys, figure, value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("table", *KEYS, "figure", "value"))
    for table in tables(report):
        for row in table.rows:
            keys = [row.get(k, "") if k in table.keys else "" for k in KEYS]
            for figure in table.values:
                writer.writerow((table.name, *keys, figure, _cell(row.get(figure))))
    return buffer.getvalue()
