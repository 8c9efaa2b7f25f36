"""The report as one self-contained HTML file: figures, tables and inline SVG charts.

No script, no stylesheet or font fetched from anywhere: the file can be mailed, archived or
published as it is.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from services.legal.transparency.charts import all_charts
from services.legal.transparency.figures import ground_of
from services.legal.transparency.records import PRESERVATION


def duration(seconds: float | None) -> str:
    """A median for people: ``45 min``, ``5.5 h``, ``3.2 days``; a dash for none."""
    if seconds is None:
        return "—"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def percent(value: float | None) -> str:
    """A share as a percentage; a dash when there was nothing to share."""
    return "—" if value is None else f"{100 * value:.1f} %"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.legal.transparency", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    env.filters["percent"] = percent
    env.filters["label"] = lambda key: str(key).replace("_", " ")
    return env


def refusal_rows(report: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    """(code, ground, requests refused after the checks, submissions refused at the portal)."""
    legal = report["legal_requests"]
    checked: dict[str, int] = {}
    for kind in ("requests", "preservation"):
        for code, n in legal["total"][kind]["refusals_by_code"].items():
            checked[code] = checked.get(code, 0) + n
    portal = legal["refused_at_portal"]["by_code"]
    codes = sorted(set(checked) | set(portal), key=lambda c: (ground_of(c), c))
    return [(c, ground_of(c), checked.get(c, 0), portal.get(c, 0)) for c in codes]


def render_html(report: dict[str, Any]) -> str:
    """The page of ``report``."""
    # matplotlib escapes the text it writes into its SVG: the markup is its own.
    charts = [(caption, Markup(svg)) for caption, svg in all_charts(report)]  # noqa: S704
    return (
        _environment()
        .get_template("report.html")
        .render(
            r=report,
            charts=charts,
            refusals=refusal_rows(report),
            preservation=sorted(i.value for i in PRESERVATION),
        )
    )
