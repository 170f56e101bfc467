"""The report's charts as Vega-Lite specs, built with Altair: one route for page and PDF.

In the page, vega-embed draws a spec as SVG (``static/reports/charts.js``); for the PDF
and the HTML export, vl-convert turns the same spec into SVG on the server, with no
browser. Specs are built from the report objects of :mod:`tracelead.reports.figures`,
so a chart can only show what the selector disclosed. Every chart is paired with a data
table in the templates (its accessible alternative); colour is never the only carrier
(values are written on the marks or in the axis labels).
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Callable
from typing import Any

import altair as alt
from django.urls import reverse

from tracelead.analysis.agreement import SHARED_ABOVE, WIDELY_SHARED_ABOVE, sharedness
from tracelead.core.figures import finite
from tracelead.diagnostics.presentation import SCALE_COLOURS

from . import colours
from .figures import GroupReport, ManyGroupsReport

NHS_BLUE = "#005eb8"
NHS_RED = "#d5281b"
TEXT = "#212b32"
SECONDARY = "#4c6272"
HIDDEN_BAND = "Hidden"
# The heatmap's column labels slant up at this angle; a 12 px Arial character is at most
# about 7 px wide.
HEATMAP_LABEL_ANGLE = 35
LABEL_CHAR_WIDTH = 7
# Page width of an A4 PDF in CSS pixels (minus margins), for server-side drawing.
PDF_WIDTH = 620

SHARED_CATEGORIES = (
    f"Shared (above {WIDELY_SHARED_ABOVE:.2f})".replace("0.", "."),
    f"Partly shared ({SHARED_ABOVE + 0.01:.2f} to {WIDELY_SHARED_ABOVE:.2f})".replace("0.", "."),
    f"Not shared ({SHARED_ABOVE:.2f} or less)".replace("0.", "."),
)
SHARED_COLOURS = (NHS_BLUE, "#41b6e6", NHS_RED)
SHARED_SHAPES = ("circle", "diamond", "triangle-up")


def _config(chart: Any) -> Any:
    return (
        chart.configure(font="Arial, Liberation Sans, DejaVu Sans, sans-serif")
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=12, titleFontSize=12, labelColor=TEXT, titleColor=TEXT,
                        gridColor="#d8dde0", domainColor=SECONDARY, tickColor=SECONDARY)
        .configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom", direction="vertical",
                          labelColor=TEXT, titleColor=TEXT, labelLimit=300)
    )


def _spec(chart: Any, description: str, width: int | str) -> dict[str, Any]:
    chart = chart.properties(description=description)
    if width == "container":
        chart = chart.properties(width="container")
    spec: dict[str, Any] = _config(chart).to_dict(validate=False)
    return spec


def _sharedness(value: float) -> str:
    words = ("widely shared", "partly shared", "not shared")
    return SHARED_CATEGORIES[words.index(sharedness(value))]


def _r(value: float, digits: int = 2) -> float | None:
    return finite(value, digits)


def profile_chart(report: GroupReport, *, width: int | str = PDF_WIDTH) -> dict[str, Any]:
    """Level (dot with its 95% interval) and sharedness (colour, shape and label) together.

    In the page (``width="container"``) the chart must also fit a 360 px phone: each
    condition's label is split over two lines (its name, then its sharedness) and the axis
    title over two, so that the level axis keeps most of the width and nothing is cut.
    """
    narrow = width == "container"
    separator = "|" if narrow else " "
    rows = [
        {
            "condition": f"{c.name}{separator}(sharedness {c.rwg_j:.2f})"
            if not math.isnan(c.rwg_j) else f"{c.name}{separator}(sharedness –)",
            "order": i, "mean": _r(c.mean), "low": _r(c.ci_low), "high": _r(c.ci_high),
            "sharedness": _sharedness(c.rwg_j),
        }
        for i, c in enumerate(report.conditions) if c.shown
    ]
    data = alt.Data(values=rows)
    label_axis = (alt.Axis(labelLimit=160, labelExpr="split(datum.label, '|')",
                           labelLineHeight=14, labelBaseline="middle", labelOffset=-7)
                  if narrow else alt.Axis(labelLimit=260))
    y = alt.Y("condition:N", sort=alt.EncodingSortField("order"), title=None, axis=label_axis)
    x_scale = alt.Scale(domain=[1, 5])
    title: str | list[str] = "Level: mean from 1 to 5, with 95% interval"
    if narrow:
        title = ["Level: mean from 1 to 5,", "with 95% interval"]
    interval = alt.Chart(data).mark_rule(color=SECONDARY, strokeWidth=2).encode(
        x=alt.X("low:Q", scale=x_scale, title=title,
                axis=alt.Axis(values=[1, 2, 3, 4, 5], format="d")),
        x2="high:Q", y=y,
    )
    dots = alt.Chart(data).mark_point(filled=True, size=160, opacity=1).encode(
        x=alt.X("mean:Q", scale=x_scale), y=y,
        color=alt.Color("sharedness:N", title="Sharedness (rwg(j))",
                        scale=alt.Scale(domain=list(SHARED_CATEGORIES),
                                        range=list(SHARED_COLOURS))),
        shape=alt.Shape("sharedness:N", scale=alt.Scale(domain=list(SHARED_CATEGORIES),
                                                        range=list(SHARED_SHAPES))),
    )
    chart = alt.layer(interval, dots).properties(height=alt.Step(44 if narrow else 34))
    if not narrow:
        chart = chart.properties(width=int(width) - 260)
    spec = _spec(chart, "Level and sharedness of each condition", width)
    if narrow:
        # Room on the right for the "5" at the end of the axis.
        spec["padding"] = {"left": 5, "top": 5, "bottom": 5, "right": 12}
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def items_chart(report: GroupReport, condition: str, *, width: int = PDF_WIDTH
                ) -> dict[str, Any]:
    """Diverging stacked bars of one condition's statements, with "Don't know" apart."""
    labels = [option.label for option in report.instrument.response_scale]
    a = len(labels)
    rows: list[dict[str, Any]] = []
    dk_rows: list[dict[str, Any]] = []
    order = 0
    for item in report.items:
        if item.condition != condition or not item.shown:
            continue
        order += 1
        total = item.answered
        shares = [c / total * 100 if total else 0.0 for c in item.counts]
        middle = a // 2 if a % 2 else -1
        start = -sum(shares[: a // 2]) - (shares[middle] / 2 if middle >= 0 else 0.0)
        for k, share in enumerate(shares):
            rows.append({"item": item.label, "order": order, "answer": labels[k],
                         "start": round(start, 2), "end": round(start + share, 2),
                         "count": item.counts[k]})
            start += share
        dk_rows.append({"item": item.label, "order": order, "dont_know": item.dont_know})
    y = alt.Y("item:N", sort=alt.EncodingSortField("order"), title=None)
    bars = alt.Chart(alt.Data(values=rows)).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("start:Q", scale=alt.Scale(domain=[-100, 100]),
                title="Share of answers (%): disagree to the left, agree to the right"),
        x2="end:Q", y=y,
        color=alt.Color("answer:N", title="Answer",
                        scale=alt.Scale(domain=labels, range=list(SCALE_COLOURS[:a]))),
    )
    centre = alt.Chart(alt.Data(values=[{"x": 0}])).mark_rule(color=TEXT).encode(x="x:Q")
    dk_label = report.instrument.dont_know_label or "Don't know"
    # Counts of people: whole-number ticks only. Vega's tickMinStep still let "0 1 1" through
    # (ticks at 0, 0.5 and 1 printed as integers), so the ticks are given outright.
    ticks = count_ticks(max([row["dont_know"] for row in dk_rows], default=0))
    dk = alt.Chart(alt.Data(values=dk_rows)).mark_bar(color="#768692").encode(
        x=alt.X("dont_know:Q", title=f"{dk_label} (people)",
                scale=alt.Scale(domain=[0, ticks[-1]], nice=False),
                axis=alt.Axis(values=ticks, format="d", tickMinStep=1)),
        y=alt.Y("item:N", sort=alt.EncodingSortField("order"), title=None,
                axis=alt.Axis(labels=False, ticks=False)),
    ).properties(width=90)
    main = alt.layer(bars, centre).properties(width=max(220, width - 90 - 110))
    chart = alt.hconcat(main, dk, spacing=12).properties()
    scale = report.instrument.scale(condition)
    return _spec(chart.properties(), f"Answers to the {scale.name} statements", width)


def count_ticks(largest: int, *, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 that reach ``largest`` (at least 1), at most ``most`` + 1 of
    them, at a step of 1, 2, 5, 10, 20, 50, ...: ``count_ticks(3)`` is ``[0, 1, 2, 3]``,
    ``count_ticks(7)`` is ``[0, 2, 4, 6, 8]``."""
    top = max(1, int(largest))
    step = 1
    while math.ceil(top / step) > most:
        for factor in (2, 5, 10):
            if math.ceil(top / (step * factor)) <= most or factor == 10:
                step *= factor
                break
    end = math.ceil(top / step) * step
    return list(range(0, end + 1, step))


def change_chart(report: GroupReport, *, width: int | str = PDF_WIDTH) -> dict[str, Any]:
    """Difference per condition with its 95% interval; 0 = no change."""
    rows = [
        {"condition": r.name, "order": i, "difference": _r(r.difference),
         "low": _r(r.ci_low), "high": _r(r.ci_high),
         "verdict": "More than chance" if r.beyond_noise else "Within chance"}
        for i, r in enumerate(report.change.rows) if r.shown and r.testable
    ]
    data = alt.Data(values=rows)
    y = alt.Y("condition:N", sort=alt.EncodingSortField("order"), title=None)
    x_scale = alt.Scale(domain=[-2, 2], clamp=True)
    zero = alt.Chart(alt.Data(values=[{"x": 0}])).mark_rule(color=TEXT).encode(
        x=alt.X("x:Q", scale=x_scale))
    interval = alt.Chart(data).mark_rule(color=SECONDARY, strokeWidth=2).encode(
        x=alt.X("low:Q", scale=x_scale, title="Change in level since the previous round, "
                "with 95% interval"), x2="high:Q", y=y)
    dots = alt.Chart(data).mark_point(filled=True, size=140, opacity=1).encode(
        x=alt.X("difference:Q", scale=x_scale), y=y,
        color=alt.Color("verdict:N", title=None, scale=alt.Scale(
            domain=["More than chance", "Within chance"], range=[NHS_BLUE, "#768692"])),
        shape=alt.Shape("verdict:N", scale=alt.Scale(
            domain=["More than chance", "Within chance"], range=["circle", "square"])),
    )
    chart = alt.layer(zero, interval, dots).properties(height=alt.Step(30))
    if width != "container":
        chart = chart.properties(width=width - 130)
    return _spec(chart, "Change in each condition since the previous round", width)


def self_other_chart(report: GroupReport, *, width: int | str = PDF_WIDTH) -> dict[str, Any]:
    """The self rating and the others' mean per condition, joined by a line."""
    rows = []
    spans = []
    for i, g in enumerate(report.self_other.rows):
        rows.append({"condition": g.name, "order": i, "who": "Self", "mean": _r(g.self_mean)})
        rows.append({"condition": g.name, "order": i, "who": "Others", "mean": _r(g.other_mean)})
        spans.append({"condition": g.name, "order": i, "low": _r(min(g.self_mean, g.other_mean)),
                      "high": _r(max(g.self_mean, g.other_mean))})
    y = alt.Y("condition:N", sort=alt.EncodingSortField("order"), title=None)
    x_scale = alt.Scale(domain=[1, 5])
    line = alt.Chart(alt.Data(values=spans)).mark_rule(color="#aeb7bd", strokeWidth=3).encode(
        x=alt.X("low:Q", scale=x_scale, title="Mean rating from 1 to 5"), x2="high:Q", y=y)
    dots = alt.Chart(alt.Data(values=rows)).mark_point(filled=True, size=140, opacity=1).encode(
        x=alt.X("mean:Q", scale=x_scale), y=y,
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=["Self", "Others"],
                                                             range=[NHS_RED, NHS_BLUE])),
        shape=alt.Shape("who:N", scale=alt.Scale(domain=["Self", "Others"],
                                                 range=["diamond", "circle"])),
    )
    chart = alt.layer(line, dots).properties(height=alt.Step(30))
    if width != "container":
        chart = chart.properties(width=width - 130)
    return _spec(chart, "Self rating against the others' ratings", width)


_ID_MARK = "918273645"  # stands in for a group's round id in its link, once per heatmap


def group_report_hrefs() -> Callable[[int], str]:
    """The link to a round's group report, from one ``reverse()`` for a whole heatmap or
    table (with 500 groups, a ``reverse()`` a group was the largest part of making the
    chart's data and a tenth of the page's time)."""
    link = reverse("report_group", args=[int(_ID_MARK)])
    return lambda assessment_id: link.replace(_ID_MARK, str(assessment_id), 1)


def heatmap_rows(report: ManyGroupsReport, rows: list[Any] | None = None
                 ) -> list[dict[str, Any]]:
    """One datum per group and condition, for the heatmap (only disclosed rows)."""
    measure = report.measure
    scale = colours.heat_scale(measure)
    data = []
    chosen = rows if rows is not None else report.shown_rows
    group_href = group_report_hrefs()
    for order, row in enumerate(chosen):
        label = ("  " * row.depth) + row.name
        href = group_href(row.assessment_id) if row.assessment_id else None
        for (_, name), cell in zip(report.conditions, row.cells, strict=True):
            datum: dict[str, Any] = {"group": label, "order": order, "condition": name,
                                     "href": href}
            if cell.shown:
                value = cell.mean if measure == "level" else cell.rwg_j
                datum["value"] = _r(value)
                digits = 1 if measure == "level" else 2
                datum["text"] = "–" if math.isnan(value) else f"{value:.{digits}f}"
                index = colours.heat_class(measure, value)
                datum["band"] = HIDDEN_BAND if index is None else scale.labels[index]
            else:
                datum["value"] = None
                datum["text"] = "hidden"
                datum["band"] = HIDDEN_BAND
            data.append(datum)
    return data


def heatmap_chart(report: ManyGroupsReport, *, rows: list[Any] | None = None,
                  width: int | str = PDF_WIDTH, links: bool = True) -> dict[str, Any]:
    """Groups by condition, each cell filled by its class of :mod:`.colours` (hidden grey).

    The colour and text scales are ordinal over the classes' labels, so vega draws exactly
    the fills that :func:`tracelead.reports.colours.heat_fill` gives the workbook. The key
    is not a vega legend but the HTML one beside the chart (``_heat_key.jinja``), which
    names the midpoint and wraps on a phone.
    """
    spec = copy.deepcopy(heatmap_skeleton(report.measure,
                                           tuple(name for _, name in report.conditions),
                                           width, links))
    spec["datasets"] = {"heatmap": heatmap_rows(report, rows)}
    # The slanted column labels start at their column's centre and run up to the right, so
    # the last one reaches past the cells: room for it is kept on the right, inside the
    # width, or a narrow screen clips it ("Ene").
    last = report.conditions[-1][1] if report.conditions else ""
    spec["padding"] = {"left": 5, "top": 5, "bottom": 5,
                       "right": 8 + math.ceil(len(last) * LABEL_CHAR_WIDTH * math.cos(
                           math.radians(HEATMAP_LABEL_ANGLE)))}
    spec["autosize"] = {"type": "fit-x", "contains": "padding"} if width == "container" else {
        "type": "pad"}
    return spec


@functools.lru_cache(maxsize=32)
def heatmap_skeleton(measure: str, conditions: tuple[str, ...], width: int | str,
                      links: bool) -> dict[str, Any]:
    """The heatmap's spec without its data: the same for every report with these
    conditions, measure and width, so Altair builds it once per process (building and
    serialising Altair's objects took a third of the page's time)."""
    # Named data, filled in after Altair: a few thousand cells need no schema walk.
    data = alt.Data(name="heatmap")
    scale = colours.heat_scale(measure)
    bands = [*scale.labels, HIDDEN_BAND]
    y = alt.Y("group:N", sort=alt.EncodingSortField("order"), title=None,
              axis=alt.Axis(labelLimit=220))
    x = alt.X("condition:N", sort=list(conditions), title=None,
              axis=alt.Axis(orient="top", labelAngle=-HEATMAP_LABEL_ANGLE, labelAlign="left",
                            labelLimit=0,
                            labelPadding=4))
    base = alt.Chart(data)
    encoding: dict[str, Any] = {"x": x, "y": y}
    if links:
        encoding["href"] = alt.Href("href:N")
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("band:N", legend=None,
                        scale=alt.Scale(domain=bands, range=[*scale.fills, colours.HIDDEN_FILL])),
        **encoding,
    )
    text = base.mark_text(fontSize=11).encode(
        text="text:N",
        color=alt.Color("band:N", legend=None,
                        scale=alt.Scale(domain=bands, range=[*scale.texts, colours.DARK_TEXT])),
        **encoding,
    )
    # The scale's name as the chart's title: the key beside the chart explains the colours.
    chart = (alt.layer(cells, text)
             .properties(height=alt.Step(24),
                         title=alt.TitleParams(scale.title, anchor="start", fontSize=12,
                                               fontWeight="normal", color=TEXT))
             .resolve_scale(color="independent"))
    if width != "container":
        chart = chart.properties(width=max(250, width - 230))
    what = "level" if measure == "level" else "sharedness"
    return _spec(chart, f"Heatmap of groups by condition, coloured by {what}", width)


def to_svg(spec: dict[str, Any]) -> str:
    """A spec drawn as SVG on the server (vl-convert: Rust + Deno's Vega, no browser).

    The last charts drawn are kept by their spec (the same figures draw the same chart).
    """
    return _svg(json.dumps(spec))


@functools.lru_cache(maxsize=32)
def _svg(spec: str) -> str:
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg
