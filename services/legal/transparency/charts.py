"""The HTML report's charts, drawn with matplotlib (Agg, no display) as inline SVG.

Text stays text in the SVG (searchable, sharp at any zoom); each chart's ids carry its
name so that they never collide between the SVGs of one page; no date is embedded, so the
same report gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.typing import RcKeyType

from services.legal.transparency.figures import ground_of

mpl.use("Agg")  # never a display, whatever the environment says

#: Okabe-Ito: told apart by colour-blind readers too.
COLOURS = {
    "data_disclosed": "#009E73",
    "no_data": "#56B4E9",
    "refused": "#D55E00",
    "preserved": "#CC79A7",
    "pending": "#BBBBBB",
    "automated": "#E69F00",
    "human": "#0072B2",
    "acknowledge": "#56B4E9",
    "comply": "#0072B2",
}
GROUND_COLOURS = {
    "unverified_authority": "#D55E00",
    "no_legal_basis": "#E69F00",
    "over_broad": "#CC79A7",
    "wrong_jurisdiction": "#0072B2",
    "malformed_request": "#999999",
}
_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
}
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_LABELS = {
    "data_disclosed": "some data disclosed",
    "no_data": "no data held",
    "refused": "refused",
    "pending": "pending",
}


def _svg(figure: Figure, name: str) -> str:
    salted: dict[RcKeyType, Any] = {**_RC, "svg.hashsalt": f"crible-{name}"}
    with mpl.rc_context(salted):
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = _METADATA.sub("", buffer.getvalue())
    # Six SVGs share one HTML document, and so one id space: prefix every id and every
    # reference to one ("figure_1", "patch_2" and their like recur in each chart).
    text = text.replace(' id="', f' id="{name}-').replace("url(#", f"url(#{name}-")
    text = text.replace('xlink:href="#', f'xlink:href="#{name}-')
    # Inline in HTML: no XML prolog or DOCTYPE.
    return text[text.index("<svg") :]


def _axes(name: str, rows: int) -> tuple[Figure, Any]:
    with mpl.rc_context(_RC):
        # One width for every chart, so that their text has one size on the page.
        figure = Figure(figsize=(6.4, 1.6 + 0.3 * max(rows, 1)), layout="constrained")
        axes = figure.add_subplot()
    axes.set_gid(name)
    return figure, axes


def _empty(axes: Any, what: str) -> None:
    axes.text(0.5, 0.5, f"No {what} in this period", ha="center", va="center", color="#666")
    axes.set_axis_off()


def requests_by_country(report: Mapping[str, Any]) -> str:
    """Requests received per country, split by what became of them."""
    countries = report["legal_requests"]["by_country"]
    names = list(reversed(list(countries)))
    with mpl.rc_context(_RC):
        figure, axes = _axes("requests-by-country", len(names))
        axes.set_title("Requests received, by country and outcome")
        if not any(countries[c]["requests"]["requests_received"] for c in names):
            _empty(axes, "requests")
            return _svg(figure, "requests-by-country")
        left = [0] * len(names)
        for key, label in _LABELS.items():
            counts = [countries[c]["requests"]["outcomes"][key] for c in names]
            axes.barh(names, counts, left=left, color=COLOURS[key], label=label, height=0.6)
            left = [a + b for a, b in zip(left, counts, strict=True)]
        for y, total in enumerate(left):
            axes.text(total, y, f" {total}", va="center")
        axes.set_xlabel("requests (preservation orders are counted apart)")
        _legend(figure, axes.get_legend_handles_labels()[0])
        axes.xaxis.get_major_locator().set_params(integer=True)
        return _svg(figure, "requests-by-country")


def share_disclosed(report: Mapping[str, Any]) -> str:
    """The share of requests with some data disclosed, per country and overall."""
    legal = report["legal_requests"]
    rows = [("all countries", legal["total"]["requests"]["share_with_data_disclosed"])]
    rows += [
        (c, g["requests"]["share_with_data_disclosed"]) for c, g in legal["by_country"].items()
    ]
    rows = [(name, value) for name, value in rows if value is not None]
    with mpl.rc_context(_RC):
        figure, axes = _axes("share-disclosed", len(rows))
        axes.set_title("Share of requests with some data disclosed")
        if not rows:
            _empty(axes, "requests")
            return _svg(figure, "share-disclosed")
        names = [n for n, _ in reversed(rows)]
        percents = [100 * v for _, v in reversed(rows)]
        axes.barh(names, [100] * len(names), color="#EEEEEE", height=0.6)
        axes.barh(names, percents, color=COLOURS["data_disclosed"], height=0.6)
        for y, percent in enumerate(percents):
            axes.text(percent, y, f" {percent:.0f} %", va="center")
        axes.set_xlim(0, 112)
        axes.set_xticks([0, 25, 50, 75, 100], ["0 %", "25 %", "50 %", "75 %", "100 %"])
        return _svg(figure, "share-disclosed")


def refusals_by_reason(report: Mapping[str, Any]) -> str:
    """Refusals by reason code, coloured by ground; the portal's hatched."""
    legal = report["legal_requests"]
    checks = _sum_codes(legal["total"]["requests"], legal["total"]["preservation"])
    portal = legal["refused_at_portal"]["by_code"]
    bars = [(code, n, False) for code, n in checks.items()]
    bars += [(code, n, True) for code, n in portal.items()]
    bars.sort(key=lambda bar: bar[1])
    with mpl.rc_context(_RC):
        figure, axes = _axes("refusals", len(bars))
        axes.set_title("Refusals by reason")
        if not bars:
            _empty(axes, "refusals")
            return _svg(figure, "refusals")
        labels = [f"{code} (portal)" if at_portal else code for code, _, at_portal in bars]
        for y, (code, n, at_portal) in enumerate(bars):
            axes.barh(
                y,
                n,
                color=GROUND_COLOURS.get(ground_of(code), "#999999"),
                hatch="///" if at_portal else None,
                edgecolor="white",
                height=0.6,
            )
            axes.text(n, y, f" {n}", va="center")
        axes.set_yticks(range(len(labels)), labels)
        grounds = sorted({ground_of(code) for code, _, _ in bars})
        _legend(
            figure,
            [
                Patch(color=GROUND_COLOURS.get(g, "#999999"), label=g.replace("_", " "))
                for g in grounds
            ],
        )
        axes.set_xlabel("requests refused after the legal checks; submissions at the portal")
        axes.xaxis.get_major_locator().set_params(integer=True)
        return _svg(figure, "refusals")


def _sum_codes(*groups: Mapping[str, Any]) -> dict[str, int]:
    total: dict[str, int] = {}
    for group in groups:
        for code, n in group["refusals_by_code"].items():
            total[code] = total.get(code, 0) + n
    return total


def reports_by_category(report: Mapping[str, Any]) -> str:
    """User reports received per category."""
    categories = report["moderation"]["reports_received"]["by_category"]
    # Categories nobody reported are named under the chart, not drawn as empty bars.
    ordered = sorted(((c, n) for c, n in categories.items() if n), key=lambda item: item[1])
    with mpl.rc_context(_RC):
        figure, axes = _axes("reports", len(ordered))
        axes.set_title("Reports received, by category")
        if not ordered:
            _empty(axes, "reports")
            return _svg(figure, "reports")
        names = [c.replace("_", " ") for c, _ in ordered]
        counts = [n for _, n in ordered]
        axes.barh(names, counts, color="#0072B2", height=0.6)
        for y, n in enumerate(counts):
            axes.text(n, y, f" {n}", va="center")
        axes.xaxis.get_major_locator().set_params(integer=True)
        none = len(categories) - len(ordered)
        if none:
            axes.set_xlabel(f"reports ({none} other categories: none)")
        return _svg(figure, "reports")


def decisions_by_means(report: Mapping[str, Any]) -> str:
    """Decisions per outcome, automated and by a person."""
    outcomes = report["moderation"]["decisions"]["by_outcome"]
    names = list(reversed(list(outcomes)))
    with mpl.rc_context(_RC):
        figure, axes = _axes("decisions", len(names))
        axes.set_title("Decisions by outcome: automated or by a person")
        if not any(outcomes[o]["total"] for o in names):
            _empty(axes, "decisions")
            return _svg(figure, "decisions")
        automated = [outcomes[o]["automated"] for o in names]
        human = [outcomes[o]["human"] for o in names]
        labels = [o.replace("_", " ") for o in names]
        axes.barh(labels, automated, color=COLOURS["automated"], label="automated", height=0.6)
        axes.barh(labels, human, left=automated, color=COLOURS["human"], label="human", height=0.6)
        for y, (a, h) in enumerate(zip(automated, human, strict=True)):
            if a + h:
                axes.text(a + h, y, f" {a + h}", va="center")
        _legend(figure, axes.get_legend_handles_labels()[0])
        axes.xaxis.get_major_locator().set_params(integer=True)
        return _svg(figure, "decisions")


def response_times(report: Mapping[str, Any]) -> str:
    """Median hours to acknowledge and to comply, per country."""
    countries = report["legal_requests"]["by_country"]
    names = list(reversed(list(countries)))
    ack = [_hours(countries[c]["requests"]["median_seconds_to_acknowledge"]) for c in names]
    comply = [_hours(countries[c]["requests"]["median_seconds_to_comply"]) for c in names]
    bars = [0.0 if h is None else h for h in ack], [0.0 if h is None else h for h in comply]
    with mpl.rc_context(_RC):
        figure, axes = _axes("response-times", 2 * len(names))
        axes.set_title("Median time to acknowledge and to comply (hours)")
        if all(h is None for h in ack + comply):
            _empty(axes, "answered requests")
            return _svg(figure, "response-times")
        ys = list(range(len(names)))
        axes.barh([y + 0.2 for y in ys], bars[0], height=0.38, color=COLOURS["acknowledge"])
        axes.barh([y - 0.2 for y in ys], bars[1], height=0.38, color=COLOURS["comply"])
        for y, (a, c) in enumerate(zip(ack, comply, strict=True)):
            axes.text(a or 0, y + 0.2, f" {_fixed(a)}", va="center", fontsize=8)
            axes.text(c or 0, y - 0.2, f" {_fixed(c)}", va="center", fontsize=8)
        axes.set_yticks(ys, names)
        axes.set_xlabel("hours (a dash: none answered yet)")
        _legend(
            figure,
            [
                Patch(color=COLOURS["acknowledge"], label="received → checked"),
                Patch(color=COLOURS["comply"], label="received → answered"),
            ],
        )
        return _svg(figure, "response-times")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _fixed(hours: float | None) -> str:
    return "—" if hours is None else f"{hours:.1f}"


def _legend(figure: Figure, handles: Sequence[Any]) -> None:
    # Below the chart, never over its bars.
    figure.legend(
        handles=handles, loc="outside lower center", ncol=min(len(handles), 4), frameon=False
    )


def all_charts(report: Mapping[str, Any]) -> Sequence[tuple[str, str]]:
    """(caption, inline SVG) of every chart, in the page's order."""
    return [
        ("Requests received, by country and outcome", requests_by_country(report)),
        ("Share of requests with some data disclosed", share_disclosed(report)),
        ("Refusals by reason", refusals_by_reason(report)),
        ("Median time to acknowledge and to comply", response_times(report)),
        ("Reports received, by category", reports_by_category(report)),
        ("Decisions: automated or by a person", decisions_by_means(report)),
    ]
