"""Exports of the reports: PDF (WeasyPrint), HTML, Excel (openpyxl) and anonymised CSV.

Every export renders from a :class:`~tracelead.reports.figures.GroupReport` or a
:class:`~tracelead.reports.figures.ManyGroupsReport`, so it shows exactly what the
selector disclosed: hidden groups are left out altogether (not even their names), and
free text never reaches a CSV. Text cells pass through ``safe_cell`` against formula
injection.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime as dt
import functools
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import json_script
from django.utils.text import slugify
from markupsafe import Markup

from tracelead.core.figures import agreement_words, finite
from tracelead.core.safety import safe_cell
from tracelead.diagnostics.models import Assessment
from tracelead.organisations import logos
from tracelead.organisations.models import System
from tracelead.publishing.selectors import published_matrix, published_round

from . import charts, colours
from .figures import GroupReport, ManyGroupsReport
from .summaries import WITHHELD_SENTENCE

FORMATS = ("pdf", "xlsx", "csv", "html")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
DEFAULT_CLASSIFICATION = "OFFICIAL-SENSITIVE"
COPY_FOR_BOARD = "Board copy: the figures only, without the written comments."
COPY_WITH_COMMENTS = ("Copy with comments: it includes what people wrote in their own words, "
                      "so share it only with the group and its facilitators.")
# Rows per heatmap chart in a PDF, so that each part fits on an A4 page.
PDF_HEATMAP_ROWS = 30
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    content_type: str


band_of = agreement_words


def template_helpers() -> dict[str, Any]:
    """Helpers the report templates use, passed in the context by views and exports."""
    return {"json_script": json_script, "band_of": band_of,
            "withheld_sentence": WITHHELD_SENTENCE, "heat_scale": colours.heat_scale,
            "hidden_fill": colours.HIDDEN_FILL, "group_report_hrefs": charts.group_report_hrefs}


# --- Context for the templates -------------------------------------------------------


def group_charts(report: GroupReport, *, mode: str) -> dict[str, Any]:
    """The group report's charts: specs for the page, SVG for print."""
    width: int | str = "container" if mode == "page" else charts.PDF_WIDTH
    specs: dict[str, Any] = {}
    if not report.disclosed:
        return specs
    specs["chart-profile"] = charts.profile_chart(report, width=width)
    for scale in report.instrument.scales:
        if any(it.shown for it in report.items if it.condition == scale.key):
            specs[f"chart-items-{scale.key}"] = charts.items_chart(
                report, scale.key, width=charts.PDF_WIDTH if mode != "page" else 560)
    if report.self_other.status == "shown" and report.self_other.rows:
        specs["chart-self"] = charts.self_other_chart(report, width=width)
    if report.change.status == "shown" and any(r.testable for r in report.change.rows):
        specs["chart-change"] = charts.change_chart(report, width=width)
    if mode == "page":
        return specs
    return {key: Markup(charts.to_svg(spec)) for key, spec in specs.items()}  # noqa: S704 - SVG from vl-convert, which escapes text


def many_charts(report: ManyGroupsReport, *, mode: str) -> tuple[dict[str, Any], list[dict]]:
    """The heatmap: one spec in the page; SVG parts of a page each for print."""
    what = "level" if report.measure == "level" else "sharedness"
    caption = f"Heatmap of groups by condition, coloured by {what}"
    rows = report.shown_rows
    if not rows:
        return {}, []
    if mode == "page":
        spec = charts.heatmap_chart(report, width="container")
        return {"chart-heatmap": spec}, [{"id": "chart-heatmap", "caption": caption}]
    svgs: dict[str, Any] = {}
    parts = []
    chunks = [rows[i:i + PDF_HEATMAP_ROWS] for i in range(0, len(rows), PDF_HEATMAP_ROWS)]
    for number, chunk in enumerate(chunks, start=1):
        key = f"chart-heatmap-{number}"
        spec = charts.heatmap_chart(report, rows=chunk, links=False)
        svgs[key] = Markup(charts.to_svg(spec))  # noqa: S704 - SVG from vl-convert
        label = caption if len(chunks) == 1 else f"{caption} (part {number} of {len(chunks)})"
        parts.append({"id": key, "caption": label})
    return svgs, parts


@cache
def _print_css() -> str:
    return (Path(__file__).parent / "static" / "reports" / "print.css").read_text()


def classification() -> str:
    """The protective marking printed on every page (setting TRACELEAD_CLASSIFICATION)."""
    return str(getattr(settings, "TRACELEAD_CLASSIFICATION", "") or DEFAULT_CLASSIFICATION)


def logo_data_uri(system: System) -> str:
    """The system's uploaded logo as a data URI, so WeasyPrint needs no file or URL access.

    Empty when there is no logo or its file has gone (a restored database without its
    media folder): the cover is then drawn without it.
    """
    if not system.logo:
        return ""
    kind = logos.logo_kind(system.logo.name)
    if kind is None:
        return ""
    try:
        with system.logo.open("rb") as handle:
            data = handle.read(logos.MAX_LOGO_BYTES + 1)
    except OSError:
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _print_html(*, title: str, subtitle: str, body: str, context: dict[str, Any],
                system: System, copy_note: str) -> str:
    return render_to_string("reports/print.jinja", {
        **template_helpers(), **context, "mode": "print", "title": title,
        "subtitle": subtitle, "body_template": body, "print_css": Markup(_print_css()),  # noqa: S704 - our own file
        "generated_on": timezone.localdate(), "classification": classification(),
        "organisation_name": system.name, "logo_src": logo_data_uri(system),
        "copy_note": copy_note,
    })


def group_html(report: GroupReport) -> str:
    a = report.assessment
    return _print_html(
        title=f"Group report: {report.group.name}",
        subtitle=(f"{a.title} · {report.cycle.name}, publication "
                  f"{report.publication_number} · {report.system.name}"),
        body="reports/_group_body.jinja",
        context={"report": report, "charts": group_charts(report, mode="print"),
                 "action_review": _action_review(report),
                 "beside": _beside(report)},
        system=report.system,
        copy_note=(COPY_WITH_COMMENTS if report.comments and not report.comments_left_out
                   else COPY_FOR_BOARD),
    )


def _action_review(report: GroupReport) -> Any:
    """The actions recorded after the earlier round, set beside the change (as on the
    page)."""
    from tracelead.actions.selectors import review_for

    return review_for(report.assessment, compared_with=report.change.previous_id)


def _beside(report: GroupReport) -> Any:
    from .beside import dac_beside_trace

    return dac_beside_trace(report)


def many_html(report: ManyGroupsReport) -> str:
    svgs, parts = many_charts(report, mode="print")
    scope = report.organisation.name if report.organisation else report.system.name
    applied = [f"{k}: {v}" for k, v in report.filters.items()
               if v and k not in ("measure", "cycle")]
    return _print_html(
        title=f"All groups: {scope}",
        subtitle=(f"{report.cycle.name if report.cycle else 'No cycle'}"
                  + (f", publication {report.publication.number}" if report.publication else "")
                  + (f" · filtered by {', '.join(applied)}" if applied else "")),
        body="reports/_many_body.jinja",
        context={"report": report, "charts": svgs, "chart_parts": parts},
        system=report.system, copy_note=COPY_FOR_BOARD,
    )


@functools.lru_cache(maxsize=8)
def html_to_pdf(html: str) -> bytes:
    """The page as a PDF (WeasyPrint: about two seconds a report).

    The last few are kept by their HTML: a frozen publication's report, downloaded again
    (or by the next board member), is the same page to the byte, so the same PDF.
    """
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


# --- Excel ----------------------------------------------------------------------------


def _number(value: float | None, digits: int = 3) -> float | None:
    return finite(value, digits)


DATE_FORMAT = "d mmm yyyy"
PERCENT_FORMAT = "0%"
FIGURE_FORMAT = "0.00"


def _date_cell(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A date as the datetime Excel stores (local time, without a zone: Excel has none)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) \
            else value
    return dt.datetime(value.year, value.month, value.day)


def _sheet(book: Any, title: str, header: list[str], rows: list[list[Any]],
           formats: dict[int, str] | None = None) -> Any:
    """A sheet with a bold header row in plain English; ``formats`` maps a column (from 1)
    to the number format of its cells (dates, percentages, figures)."""
    from openpyxl.styles import Alignment, Font

    sheet = book.create_sheet(title)
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for column, number_format in (formats or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            if isinstance(cell.value, (int, float, dt.datetime)):
                cell.number_format = number_format
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column[1:]) \
            if len(column) > 1 else 0
        width = max(width, min(len(str(column[0].value or "")), 24))
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    return sheet


def _fill(cell: Any, measure: str, value: float | None) -> None:
    """Colour a workbook cell as the heatmap colours it (one scheme: :mod:`.colours`)."""
    from openpyxl.styles import Font, PatternFill

    fill = colours.heat_fill(measure, value)[1:].upper()
    cell.fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
    cell.font = Font(color=colours.heat_text(measure, value)[1:].upper())


def _colour_key_sheet(book: Any) -> None:
    """The classes of both heatmap scales with their fills, and where each midpoint is."""
    sheet = book.create_sheet("Colour key")
    sheet.append(["Measure", "Values", "Reads as"])
    for scale in (colours.LEVEL, colours.SHAREDNESS):
        for heat in scale.classes:
            sheet.append([scale.title, heat.label,
                          "below the midpoint: a concern" if heat.below_midpoint
                          else "at or above the midpoint: good"])
            _fill(sheet.cell(row=sheet.max_row, column=2), scale.measure,
                  _class_example(scale, heat))
        sheet.append([scale.title, "Midpoint", scale.midpoint_label])
    sheet.append(["Both", "hidden", "not shown, to protect anonymity"])
    _fill(sheet.cell(row=sheet.max_row, column=2), "level", None)
    for letter, width in (("A", 34), ("B", 16), ("C", 40)):
        sheet.column_dimensions[letter].width = width


def _class_example(scale: colours.HeatScale, heat: colours.HeatClass) -> float:
    """A value inside ``heat``: the lower end of its label ("2.5 to 2.9" gives 2.5)."""
    return float(heat.label.split(" to ")[0])


def _summary_sheet(book: Any, heading: str, facts: list[tuple[str, Any]],
                   summary: list[str]) -> Any:
    """The first sheet: what the report is, its key facts (dates as dates, rates as
    percentages) and the summary's sentences."""
    from openpyxl.styles import Alignment, Font

    sheet = book.active
    sheet.title = "Summary"
    sheet.append([safe_cell(heading)])
    sheet["A1"].font = Font(bold=True, size=14)
    for key, value in facts:
        sheet.append([key, safe_cell(value)])
        cell = sheet.cell(row=sheet.max_row, column=2)
        if isinstance(value, dt.datetime):
            cell.number_format = DATE_FORMAT
        elif key.endswith("rate") and isinstance(value, float):
            cell.number_format = PERCENT_FORMAT
        cell.alignment = Alignment(horizontal="left")
    sheet.append([])
    for sentence in summary:
        sheet.append([safe_cell(sentence)])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 60
    return sheet


def _profile_chart(summary: Any, profile: Any, rows: int, anchor_row: int) -> None:
    """A native Excel bar chart of the profile's levels (from the Profile sheet), placed on
    the Summary sheet, so that it can be copied into a board paper as an Excel chart."""
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = "Level of each condition (mean from 1 to 5)"
    chart.y_axis.title = "Level"
    chart.y_axis.scaling.min = 1
    chart.y_axis.scaling.max = 5
    chart.y_axis.majorUnit = 1
    chart.y_axis.number_format = "0"
    chart.x_axis.title = None
    chart.x_axis.scaling.orientation = "maxMin"  # first condition at the top, as in the report
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend = None
    data = Reference(profile, min_col=4, min_row=1, max_row=rows + 1)
    categories = Reference(profile, min_col=1, min_row=2, max_row=rows + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    chart.series[0].graphicalProperties.solidFill = colours_fill_blue()
    chart.height = 7.5
    chart.width = 16
    summary.add_chart(chart, f"A{anchor_row}")


def colours_fill_blue() -> str:
    """NHS blue, the colour of the profile's dots in the report, for the Excel chart."""
    return charts.NHS_BLUE[1:].upper()


def _workbook_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


PROFILE_HEADER = ["Condition", "Role it calls for", "People who answered",
                  "Level (mean, 1 to 5)", "95% interval from", "95% interval to",
                  "Sharedness (rwg(j), 0 to 1)", "Agreement"]


def _agree_share(item: Any, points: int) -> float | None:
    """The share of those who answered a statement who agreed (the options above the
    middle of the scale)."""
    if not item.answered:
        return None
    return sum(item.counts[points // 2 + points % 2:]) / item.answered


def group_xlsx(report: GroupReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    a = report.assessment
    summary = _summary_sheet(book, f"Group report: {report.group.name}", [
        ("Round", a.title), ("System", report.system.name),
        ("Cycle", report.cycle.name), ("Publication", report.publication_number),
        ("Opened", _date_cell(a.opens_on)), ("Closed", _date_cell(a.closes_on)),
        ("Published", _date_cell(report.published_at)),
        ("Responses", report.n_responses),
        ("Response rate", _number(report.response_rate)),
        ("Anonymity threshold", report.threshold),
        ("Copy", "with comments" if report.comments else "board copy (no comments)"),
    ], report.summary)
    shown = [c for c in report.conditions if c.shown]
    profile = _sheet(book, "Profile", PROFILE_HEADER,
                     [[c.name, c.role, c.n, _number(c.mean), _number(c.ci_low),
                       _number(c.ci_high), _number(c.rwg_j), c.band] for c in shown]
                     + [[c.name, c.role, "hidden: too few answers"]
                        for c in report.conditions if not c.shown],
                     formats={4: FIGURE_FORMAT, 5: FIGURE_FORMAT, 6: FIGURE_FORMAT,
                              7: FIGURE_FORMAT})
    if shown:
        _profile_chart(summary, profile, len(shown), summary.max_row + 2)
    labels = [o.label for o in report.instrument.response_scale]
    points = len(labels)
    _sheet(book, "Items",
           ["Condition", "Statement", "Wording", *labels,
            report.instrument.dont_know_label or "Don't know", "Mean (1 to 5)",
            "Share who agree", "Agreement (rwg, 0 to 1)"],
           [[it.condition_name, it.label, it.text, *it.counts, it.dont_know, _number(it.mean),
             _number(_agree_share(it, points)), _number(it.agreement)]
            if it.shown else [it.condition_name, it.label, it.text, "hidden: too few answers"]
            for it in report.items],
           formats={4 + points + 1: FIGURE_FORMAT, 4 + points + 2: PERCENT_FORMAT,
                    4 + points + 3: FIGURE_FORMAT})
    ch = report.change
    if ch.status == "shown":
        _sheet(book, "Change",
               ["Condition", "Compared with", "Compared round opened", "Level before",
                "Level now", "Change", "95% interval from", "95% interval to",
                "More than chance?"],
               [[r.name, ch.previous_title, _date_cell(ch.previous_opens_on), _number(r.before),
                 _number(r.after), _number(r.difference), _number(r.ci_low), _number(r.ci_high),
                 ("Yes" if r.beyond_noise else "No") if r.testable else "Cannot tell"]
                if r.shown else [r.name, ch.previous_title, _date_cell(ch.previous_opens_on),
                                 "hidden: too few answers"] for r in ch.rows],
               formats={3: DATE_FORMAT, 4: FIGURE_FORMAT, 5: FIGURE_FORMAT, 6: "+0.00;-0.00;0.00",
                        7: FIGURE_FORMAT, 8: FIGURE_FORMAT})
    else:
        _sheet(book, "Change", ["Note"], [[{
            "no_previous": "This is the group's first round.",
            "previous_below": "The group's earlier rounds were not shown (too few "
                              "responses, or withheld to protect a smaller group), so there "
                              "is nothing to compare with.",
        }.get(ch.status, "No comparison.")]])
    if report.self_other.status == "shown":
        _sheet(book, "Self and others",
               ["Condition", "Self rating", "Others' mean", "Gap (self less others)",
                "Others who answered", "Outside the others' 95% interval?"],
               [[g.name, _number(g.self_mean), _number(g.other_mean), _number(g.gap),
                 g.n_other, "Yes" if g.outside else "No"] for g in report.self_other.rows],
               formats={2: FIGURE_FORMAT, 3: FIGURE_FORMAT, 4: "+0.00;-0.00;0.00"})
    _actions_sheet(book, report)
    _comments_sheet(book, report)
    return _workbook_bytes(book)


def _actions_sheet(book: Any, report: GroupReport) -> None:
    """The actions recorded after the earlier round beside each condition's change since
    then, and this round's plan: what the team did, and what it means to do."""
    from tracelead.actions.selectors import plan_of

    review = _action_review(report)
    change = ({r.key: r for r in report.change.rows if r.shown}
              if report.change.status == "shown" else {})
    names = {c.key: c.name for c in report.conditions}
    rows: list[list[Any]] = []
    for condition in review.conditions:
        row_change = change.get(condition.key)
        for action in [*condition.done, *condition.other]:
            rows.append([f"After “{action.assessment.title}”", condition.name, action.title,
                         action.practice, action.owner, _date_cell(action.due_on),
                         action.get_status_display(),
                         _number(row_change.difference) if row_change else "not shown"])
    for action in plan_of(report.assessment):
        rows.append([f"After this round (“{report.assessment.title}”)",
                     names.get(action.condition, action.condition), action.title,
                     action.practice, action.owner, _date_cell(action.due_on),
                     action.get_status_display(), ""])
    if not rows:
        rows = [["No actions have been recorded for this group yet."]]
        _sheet(book, "Actions", ["Note"], rows)
        return
    _sheet(book, "Actions", ["Recorded", "Condition", "Action", "Practice", "Owner", "Due",
                             "Status", "Change in the condition since"], rows,
           formats={6: DATE_FORMAT, 8: "+0.00;-0.00;0.00"})


def _comments_sheet(book: Any, report: GroupReport) -> None:
    """What people wrote, one comment a row under its question, in the report's order
    (alphabetical, never the order of arrival); or why there are none."""
    if report.comments:
        rows: list[list[Any]] = [[cs.prompt, text] for cs in report.comments
                                 for text in cs.texts]
        rows += [[cs.prompt, "No one answered this question."]
                 for cs in report.comments if not cs.texts]
        sheet = _sheet(book, "Comments", ["Question", "Comment"], rows)
    elif report.comments_left_out:
        sheet = _sheet(book, "Comments", ["Note"], [[
            "The comments are left out of this copy. They can be included when it is made."]])
    elif report.comments_disclosed:
        sheet = _sheet(book, "Comments", ["Note"], [["No one wrote a comment."]])
    else:
        sheet = _sheet(book, "Comments", ["Note"], [[
            f"Comments are shown once at least {report.comment_threshold} people have "
            "answered."]])
    from openpyxl.styles import Alignment

    for column, width in zip("AB", (40, 90), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


HEATMAP_FIXED = ("Group", "Organisation", "Sector", "Space", "Round", "Round opened",
                 "People who answered")


def many_xlsx(report: ManyGroupsReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    scope = report.organisation.name if report.organisation else report.system.name
    _summary_sheet(book, f"All groups: {scope}", [
        ("System", report.system.name),
        ("Cycle", report.cycle.name if report.cycle else ""),
        ("Publication", report.publication.number if report.publication else ""),
        ("Published", _date_cell(report.publication.created_at) if report.publication
         else ""),
        ("Anonymity threshold", report.threshold),
        *[(f"Filter: {k}", v) for k, v in report.filters.items()
          if v and k not in ("measure", "cycle")],
    ], report.summary)
    header = list(HEATMAP_FIXED)
    for _, name in report.conditions:
        header += [f"{name} level", f"{name} 95% interval from",
                   f"{name} 95% interval to", f"{name} sharedness"]
    rows = []
    for row in report.shown_rows:
        values: list[Any] = [row.name, row.organisation, row.sector_label, row.space_label,
                             row.assessment_title, _date_cell(row.opens_on), row.n]
        for cell in row.cells:
            values += ([_number(cell.mean), _number(cell.ci_low), _number(cell.ci_high),
                        _number(cell.rwg_j)] if cell.shown else ["hidden"] * 4)
        rows.append(values)
    first_figure = len(HEATMAP_FIXED) + 1
    sheet = _sheet(book, "Heatmap", header, rows, formats={
        6: DATE_FORMAT, **{column: FIGURE_FORMAT for column in range(
            first_figure, first_figure + 4 * len(report.conditions))}})
    # Level and sharedness cells are coloured as the heatmap colours them.
    for r, row in enumerate(report.shown_rows, start=2):
        for c, cell in enumerate(row.cells):
            if not cell.shown:
                continue
            first = first_figure + 4 * c
            _fill(sheet.cell(row=r, column=first), "level", cell.mean)
            _fill(sheet.cell(row=r, column=first + 3), "sharedness", cell.rwg_j)
    _colour_key_sheet(book)
    return _workbook_bytes(book)


# --- CSV of anonymised responses ------------------------------------------------------


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def _answer(value: float) -> str:
    return "" if math.isnan(value) else str(int(value))


def _published_rows(assessment: Assessment, number: int | None) -> list[list[str]]:
    """The published responses of a shown round, items hidden by the gate left blank."""
    view = published_round(assessment, number=number)
    if not view.shown or view.own is None:
        return []
    shown = [bool(item["shown"]) for item in view.own["items"]]
    return [[_answer(v) if shown[i] else "" for i, v in enumerate(row)]
            for row in published_matrix(view)]


CSV_HEADER = ["group", "organisation", "sector", "space", "round", "round_opened"]


def group_csv(report: GroupReport) -> bytes:
    """One row per published response: no identifiers, dates, rater kinds or free text."""
    g = report.group
    base = [g.name, g.organisation.name if g.organisation else "",
            g.organisation.get_sector_display() if g.organisation else "",
            g.get_space_display(), report.assessment.title,
            report.assessment.opens_on.isoformat()]
    # Sorted by answers, so that the order of arrival cannot link a row to an invitation.
    body = sorted(_published_rows(report.assessment, report.publication_number))
    return _csv_bytes([*CSV_HEADER, *report.instrument.item_keys],
                      [[*base, *answers] for answers in body])


def many_csv(report: ManyGroupsReport) -> bytes:
    """Published responses of every group in view whose own round the publication shows."""
    number = report.publication.number if report.publication else None
    rounds = {a.pk: a for a in Assessment.objects.filter(
        pk__in=[row.assessment_id for row in report.rows if row.own_shown and row.assessment_id]
    ).select_related("cycle", "group")}
    body = []
    for row in report.rows:
        assessment = rounds.get(row.assessment_id or 0)
        if assessment is None:
            continue
        base = [row.name, row.organisation, row.sector_label, row.space_label,
                row.assessment_title, row.opens_on.isoformat() if row.opens_on else ""]
        body.extend([*base, *answers] for answers in _published_rows(assessment, number))
    body.sort()
    return _csv_bytes([*CSV_HEADER, *report.instrument.item_keys], body)


# --- Entry points used by the views and the CLI --------------------------------------


def _noop(_: str) -> None:
    return None


def export_group(report: GroupReport, fmt: str, *, progress: Progress = _noop,
                 include_comments: bool = False) -> Export:
    """One group's report as a file. Comments travel only when the facilitator asks."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    if not report.disclosed:
        raise ValueError("this round's results are not shown (too few responses, or withheld "
                         "to protect a smaller group), so there is nothing to export")
    if not include_comments and report.comments:
        report = dataclasses.replace(report, comments=[], comments_left_out=True)
    # The two copies never share a file name, so one is not saved over the other (a CSV
    # never holds comments: it has one name).
    stem = f"tracelead-{slugify(report.group.name) or 'group'}-{report.assessment.pk}"
    if fmt != "csv":
        stem += "-with-comments" if report.comments else "-board"
    progress(f"Building the {fmt.upper()} export of {report.group.name}")
    return _export(fmt, stem, progress, html=lambda: group_html(report),
                   xlsx=lambda: group_xlsx(report), csv=lambda: group_csv(report))


def export_many(report: ManyGroupsReport, fmt: str, *, progress: Progress = _noop) -> Export:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    scope = report.organisation.name if report.organisation else report.system.name
    stem = f"tracelead-{slugify(scope) or 'system'}-groups"
    progress(f"Building the {fmt.upper()} export of {len(report.shown_rows)} groups")
    return _export(fmt, stem, progress, html=lambda: many_html(report),
                   xlsx=lambda: many_xlsx(report), csv=lambda: many_csv(report))


def _export(fmt: str, stem: str, progress: Progress, *, html: Callable[[], str],
            xlsx: Callable[[], bytes], csv: Callable[[], bytes]) -> Export:
    """One report in one format; PDF is the HTML laid out by WeasyPrint."""
    if fmt == "pdf":
        progress("Drawing the charts")
        page = html()
        progress("Laying out the PDF")
        content = html_to_pdf(page)
    elif fmt == "html":
        content = html().encode("utf-8")
    elif fmt == "xlsx":
        content = xlsx()
    else:
        content = csv()
    return Export(content, f"{stem}.{fmt}", CONTENT_TYPES[fmt])
