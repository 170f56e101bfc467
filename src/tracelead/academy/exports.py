"""The academy report for a board, as PDF (WeasyPrint) and Excel (openpyxl), and the reach
chart (Vega-Lite, built with Altair) that the page and the PDF share.

It goes the diagnostic reports' way (:mod:`tracelead.reports.exports`): the same print
styles, the chart drawn as SVG on the server by vl-convert, the same workbook helpers, and
every text cell through ``safe_cell`` against formula injection. The report holds names
(core groups, attendance per person) only when it is made for one of the academy's
facilitators.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import Any

import altair as alt
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from markupsafe import Markup

from tracelead.core.figures import finite
from tracelead.reports.charts import NHS_BLUE, NHS_RED, PDF_WIDTH, _spec, to_svg
from tracelead.reports.exports import (
    CONTENT_TYPES,
    Export,
    _print_css,
    _sheet,
    _workbook_bytes,
    html_to_pdf,
    template_helpers,
)

from .models import Academy, Target
from .selectors import (
    CONFIDENCE,
    AttendanceReport,
    ReachReport,
    attendance_report,
    reach_report,
)
from .selectors import (
    template_helpers as academy_helpers,
)

FORMATS = ("pdf", "xlsx")
# Attendance by sector per event goes in the PDF for up to this many events (the
# workbook always has it).
PDF_SECTOR_EVENTS = 60
LIGHT_BLUE = "#41b6e6"
SERIES = ("People reached", "Forecast (most likely)", "Target")


# --- The reach chart ---------------------------------------------------------------------


def reach_chart(report: ReachReport, *, width: int | str = PDF_WIDTH) -> dict[str, Any] | None:
    """Cumulative people reached by week, the target line, and the forecast with its
    95% range shaded. ``None`` when there is nothing to draw yet."""
    if not report.weeks:
        return None
    start = report.target.starts_on
    lines: list[dict[str, Any]] = [{"date": start.isoformat(), "people": 0,
                                    "series": SERIES[0]}]
    lines += [{"date": w.ends_on.isoformat(), "people": w.cumulative, "series": SERIES[0]}
              for w in report.weeks]
    lines += [{"date": p.on.isoformat(), "people": round(p.expected, 1), "series": SERIES[1]}
              for p in report.fan]
    view = report.target
    if view.people is not None and view.by_date is not None:
        lines += [{"date": d.isoformat(), "people": view.people, "series": SERIES[2]}
                  for d in (start, view.by_date)]
    present = tuple(s for s in SERIES if any(row["series"] == s for row in lines))
    what = "People reached each week so far"
    if report.fan:
        what += ", the forecast to the target date with its 95% range shaded"
    if view.people is not None:
        what += ", and the target"
    spec = copy.deepcopy(_reach_spec(present, bool(report.fan), width, what))
    spec["datasets"] = {"reach-lines": lines}
    if report.fan:
        spec["datasets"]["reach-band"] = [
            {"date": p.on.isoformat(), "low": p.low, "high": p.high} for p in report.fan]
    return spec


@functools.lru_cache(maxsize=64)
def _reach_spec(present: tuple[str, ...], band: bool, width: int | str,
                what: str) -> dict[str, Any]:
    """The chart without its data (named datasets, filled in per report): building it
    with Altair takes longer than the rest of the page, and it depends only on these."""
    colours = dict(zip(SERIES, (NHS_BLUE, NHS_BLUE, NHS_RED), strict=True))
    dashes = dict(zip(SERIES, ([1, 0], [6, 4], [2, 3]), strict=True))
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0,
                                                  tickCount=6))
    y_title = "People reached"
    layers = []
    if band:
        layers.append(alt.Chart(alt.Data(name="reach-band")).mark_area(
            color=LIGHT_BLUE, opacity=0.3).encode(x=x, y=alt.Y("low:Q", title=y_title),
                                                  y2="high:Q"))
    layers.append(alt.Chart(alt.Data(name="reach-lines")).mark_line(strokeWidth=2.5).encode(
        x=x, y=alt.Y("people:Q", title=y_title),
        color=alt.Color("series:N", title=None, scale=alt.Scale(
            domain=list(present), range=[colours[s] for s in present])),
        strokeDash=alt.StrokeDash("series:N", title=None, scale=alt.Scale(
            domain=list(present), range=[dashes[s] for s in present])),
        detail="series:N",
    ))
    chart = alt.layer(*layers).properties(height=260)
    if width != "container":
        chart = chart.properties(width=int(width) - 40)
    return _spec(chart, what, width)


def charts(report: ReachReport, *, mode: str) -> dict[str, Any]:
    """The chart specs for the page, or SVG for print."""
    width: int | str = "container" if mode == "page" else PDF_WIDTH
    spec = reach_chart(report, width=width)
    if spec is None:
        return {}
    if mode == "page":
        return {"chart-reach": spec}
    return {"chart-reach": Markup(to_svg(spec))}  # noqa: S704 - SVG from vl-convert, which escapes text


def chart_caption(report: ReachReport) -> str:
    view = report.target
    if view.target is None:
        return "People reached so far, week by week"
    return f"Reach against the target “{view.name}”, week by week"


# --- The report ---------------------------------------------------------------------------


def _reports(academy: Academy, target: Target | None, *, with_names: bool,
             today: dt.date | None = None) -> tuple[ReachReport, AttendanceReport]:
    reach = reach_report(academy, target=target, today=today)
    attendance = attendance_report(academy, with_names=with_names, page=None,
                                   people_page=None if with_names else 1,
                                   every_programme=True)
    return reach, attendance


def academy_html(academy: Academy, reach: ReachReport, attendance: AttendanceReport, *,
                 with_names: bool) -> str:
    target = f"target “{reach.target.name}”" if reach.target.target else "no target set"
    return render_to_string("academy/report_print.jinja", {
        **template_helpers(), **academy_helpers(), "mode": "print",
        "title": f"Academy report: {academy.name}",
        "subtitle": f"{academy.system.name} · {target} · figures on {reach.today:%-d %B %Y}",
        "academy": academy, "reach": reach, "attendance": attendance,
        "with_names": with_names, "charts": charts(reach, mode="print"),
        "chart_caption": chart_caption(reach), "print_css": Markup(_print_css()),  # noqa: S704 - our own file
        "generated_on": timezone.localdate(), "sector_events_limit": PDF_SECTOR_EVENTS,
        "confidence": CONFIDENCE,
    })


def _n(value: float | None, digits: int = 3) -> float | None:
    return finite(value, digits)


def _summary_sheet(book: Any, academy: Academy, reach: ReachReport,
                   attendance: AttendanceReport) -> None:
    from tracelead.core.safety import safe_cell

    view = reach.target
    f = reach.forecast
    facts: list[tuple[str, Any]] = [
        ("Academy", academy.name), ("System", academy.system.name),
        ("Figures on", reach.today.isoformat()),
        ("Target", view.name or "(none)"),
        ("Kind of target", "share of the workforce" if view.kind == "share" else
         "number of people" if view.kind else ""),
        ("Share of the workforce (%)", float(view.share_percent) if view.share_percent else None),
        ("Whole workforce (sum of organisations' headcounts)", view.workforce_total),
        ("People the target asks for", view.people),
        ("Count reach from", view.starts_on.isoformat()),
        ("Target date", view.by_date.isoformat() if view.by_date else None),
        ("Reached means", view.definition),
        ("People reached", reach.reached),
        ("People reached by the target date", reach.reached_by_date),
        ("Members now", reach.members),
    ]
    if f is not None:
        facts += [
            ("Forecast status", f.status.replace("_", " ")),
            ("Forecast: people reached by the target date", _n(f.expected, 1)),
            (f"Forecast: {CONFIDENCE:.0%} range, low", f.low),
            (f"Forecast: {CONFIDENCE:.0%} range, high", f.high),
            ("Forecast: chance of meeting the target", _n(f.probability, 3)),
            ("Pace: people newly reached in the window", f.window_new),
            ("Pace: weeks in the window", _n(f.window_weeks, 2)),
            ("Pace: over-dispersion of weekly counts", _n(f.dispersion, 2)),
        ]
    t = attendance.totals
    facts += [
        ("Events held", t.events_held), ("Attendances", t.attended),
        ("People who came to at least one event", t.people_attending),
        ("Coordination effort (hours)", _n(t.effort_total, 2)),
        ("Participant-hours", _n(t.participant_hours, 2)),
        ("Effort per participant-hour (hours)", _n(t.per_participant_hour, 3)),
    ]
    sheet = book.active
    sheet.title = "Summary"
    sheet.append([safe_cell(f"Academy report: {academy.name}")])
    for key, value in facts:
        sheet.append([key, safe_cell(value)])
    sheet.append([])
    for sentence in [*reach.summary, *reach.method, *reach.missing_sectors, reach.rule]:
        sheet.append([safe_cell(sentence)])
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 60


def academy_xlsx(academy: Academy, reach: ReachReport, attendance: AttendanceReport, *,
                 with_names: bool) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    _summary_sheet(book, academy, reach, attendance)
    _sheet(book, "Progress", ["week_starting", "week_ending", "newly_reached", "reached_so_far"],
           [[w.starts_on, w.ends_on, w.new, w.cumulative] for w in reach.weeks])
    if reach.fan:
        _sheet(book, "Forecast", ["date", "expected", "low_95", "high_95"],
               [[p.on, _n(p.expected, 1), p.low, p.high] for p in reach.fan])
    for part in reach.breakdowns:
        _sheet(book, part.title.replace("By ", "Reach by ")[:31],
               [part.singular, "reached", "workforce", "share_of_reached", "share_of_workforce",
                "share_of_own_workforce_reached", "representation_ratio", "expected_reached",
                "under_represented", "nobody_reached"],
               [[r.label, r.reached, r.workforce, _n(r.reached_share), _n(r.workforce_share),
                 _n(r.coverage), _n(r.ratio), _n(r.expected, 1), "yes" if r.under else "no",
                 "yes" if r.missing else "no"] for r in part.rows])
    kinds = attendance.effort_kinds
    _sheet(book, "Events",
           ["date", "event", "kind", "programme", "hours", "registered", "confirmed",
            "attended", "no_shows", "walk_ins", *[f"effort_{k}_hours" for k, _ in kinds],
            "effort_total_hours", "effort_per_participant_hour", "cancelled"],
           [[timezone.localtime(e.starts_at).replace(tzinfo=None), e.title, e.kind_label,
             e.programme, _n(e.hours, 2), e.registered, e.confirmed, e.attended, e.no_shows,
             e.walk_ins, *[_n(e.effort.get(k, 0.0), 2) for k, _ in kinds],
             _n(e.effort_total, 2), _n(e.per_participant_hour), "yes" if e.cancelled else "no"]
            for e in attendance.events])
    _sheet(book, "Attendance by sector",
           ["date", "event", *[label for _, label in attendance.sector_columns]],
           [[timezone.localtime(e.starts_at).replace(tzinfo=None), e.title,
             *[e.sectors.get(code, 0) for code, _ in attendance.sector_columns]]
            for e in attendance.events if e.attended])
    _sheet(book, "Programmes",
           ["programme", "session", "date", "attended", "newcomers", "returning",
            "dropped_off", "came_to_every_session"],
           [[flow.programme.name, s.title, timezone.localtime(s.starts_at).replace(tzinfo=None),
             s.attended, s.newcomers, s.returning, s.dropped, flow.core_count]
            for flow in attendance.flows for s in flow.sessions])
    t = attendance.totals
    _sheet(book, "Effort", ["kind", "hours"],
           [*[[label, _n(t.effort.get(k, 0.0), 2)] for k, label in kinds],
            ["All kinds", _n(t.effort_total, 2)],
            ["Participant-hours (attendees x event hours)", _n(t.participant_hours, 2)],
            ["Effort per participant-hour", _n(t.per_participant_hour)]])
    _sheet(book, "Events per person", ["events_attended", "members"],
           [[label, count] for label, count in attendance.distribution])
    if with_names:
        _sheet(book, "Core groups", ["programme", "member"],
               [[flow.programme.name, name] for flow in attendance.flows
                for name in flow.core_names])
        _sheet(book, "Attendance per person",
               ["member", "organisation", "events_attended", "last_attended"],
               [[p.name, p.organisation, p.attended,
                 timezone.localtime(p.last_attended).date() if p.last_attended else None]
                for p in attendance.people or []])
    return _workbook_bytes(book)


def export_academy(academy: Academy, fmt: str, *, with_names: bool,
                   target: Target | None = None, today: dt.date | None = None) -> Export:
    """The academy report as a file; names only ``with_names`` (for facilitators)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    reach, attendance = _reports(academy, target, with_names=with_names, today=today)
    stem = f"tracelead-{slugify(academy.name) or 'academy'}-report-{reach.today.isoformat()}"
    if fmt == "pdf":
        content = html_to_pdf(academy_html(academy, reach, attendance, with_names=with_names))
    else:
        content = academy_xlsx(academy, reach, attendance, with_names=with_names)
    return Export(content, f"{stem}.{fmt}", CONTENT_TYPES[fmt])
