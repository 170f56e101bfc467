"""Exports of the reports: PDF (WeasyPrint), HTML, Excel (openpyxl) and anonymised CSV.

Every export renders from a :class:`~tracelead.reports.figures.GroupReport` or a
:class:`~tracelead.reports.figures.ManyGroupsReport`, so it shows exactly what the
selector disclosed: hidden groups are left out altogether (not even their names), and
free text never reaches a CSV. Text cells pass through ``safe_cell`` against formula
injection.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import json_script
from django.utils.text import slugify
from markupsafe import Markup

from tracelead.core.figures import agreement_words, finite
from tracelead.core.safety import safe_cell
from tracelead.diagnostics.models import Assessment
from tracelead.publishing.selectors import published_matrix, published_round

from . import charts
from .figures import GroupReport, ManyGroupsReport
from .summaries import WITHHELD_SENTENCE

FORMATS = ("pdf", "xlsx", "csv", "html")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
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
            "withheld_sentence": WITHHELD_SENTENCE}


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


def _print_html(*, title: str, subtitle: str, body: str, context: dict[str, Any]) -> str:
    return render_to_string("reports/print.jinja", {
        **template_helpers(), **context, "mode": "print", "title": title,
        "subtitle": subtitle, "body_template": body, "print_css": Markup(_print_css()),  # noqa: S704 - our own file
        "generated_on": timezone.localdate(),
    })


def group_html(report: GroupReport) -> str:
    a = report.assessment
    return _print_html(
        title=f"Group report: {report.group.name}",
        subtitle=(f"{a.title} · {report.cycle.name}, publication "
                  f"{report.publication_number} · {report.system.name}"),
        body="reports/_group_body.jinja",
        context={"report": report, "charts": group_charts(report, mode="print")},
    )


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
    )


def html_to_pdf(html: str) -> bytes:
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


# --- Excel ----------------------------------------------------------------------------


def _number(value: float | None, digits: int = 3) -> float | None:
    return finite(value, digits)


def _sheet(book: Any, title: str, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet(title)
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))


def _summary_sheet(book: Any, heading: str, facts: list[tuple[str, Any]],
                   summary: list[str]) -> None:
    sheet = book.active
    sheet.title = "Summary"
    sheet.append([safe_cell(heading)])
    for key, value in facts:
        sheet.append([key, safe_cell(value)])
    sheet.append([])
    for sentence in summary:
        sheet.append([safe_cell(sentence)])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 60


def _workbook_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def group_xlsx(report: GroupReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    a = report.assessment
    _summary_sheet(book, f"Group report: {report.group.name}", [
        ("Round", a.title), ("System", report.system.name),
        ("Cycle", report.cycle.name), ("Publication", report.publication_number),
        ("Opened", a.opens_on.isoformat()), ("Responses", report.n_responses),
        ("Response rate", _number(report.response_rate)),
        ("Anonymity threshold", report.threshold),
    ], report.summary)
    _sheet(book, "Profile",
           ["condition", "role", "n", "level_mean", "ci_low", "ci_high", "sharedness_rwg_j",
            "agreement_band"],
           [[c.name, c.role, c.n, _number(c.mean), _number(c.ci_low), _number(c.ci_high),
             _number(c.rwg_j), c.band] if c.shown else [c.name, c.role, "hidden"]
            for c in report.conditions])
    labels = [o.label for o in report.instrument.response_scale]
    _sheet(book, "Items",
           ["condition", "statement_key", "statement", *labels,
            report.instrument.dont_know_label or "Don't know", "mean", "agreement_rwg"],
           [[it.condition_name, it.key, it.text, *it.counts, it.dont_know, _number(it.mean),
             _number(it.agreement)] if it.shown else [it.condition_name, it.key, it.text,
                                                       "hidden"]
            for it in report.items])
    ch = report.change
    if ch.status == "shown":
        _sheet(book, "Change",
               ["condition", "previous_round", "before", "now", "difference", "ci_low",
                "ci_high", "more_than_chance"],
               [[r.name, ch.previous_title, _number(r.before), _number(r.after),
                 _number(r.difference), _number(r.ci_low), _number(r.ci_high),
                 ("yes" if r.beyond_noise else "no") if r.testable else "cannot tell"]
                if r.shown else [r.name, ch.previous_title, "hidden"] for r in ch.rows])
    else:
        _sheet(book, "Change", ["note"], [[{
            "no_previous": "This is the group's first round.",
            "previous_below": "The group's earlier rounds were not shown (too few "
                              "responses, or withheld to protect a smaller group), so there "
                              "is nothing to compare with.",
        }.get(ch.status, "No comparison.")]])
    if report.self_other.status == "shown":
        _sheet(book, "Self and others",
               ["condition", "self", "others", "gap", "n_others", "outside_others_interval"],
               [[g.name, _number(g.self_mean), _number(g.other_mean), _number(g.gap),
                 g.n_other, "yes" if g.outside else "no"] for g in report.self_other.rows])
    return _workbook_bytes(book)


def many_xlsx(report: ManyGroupsReport) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    scope = report.organisation.name if report.organisation else report.system.name
    _summary_sheet(book, f"All groups: {scope}", [
        ("System", report.system.name),
        ("Cycle", report.cycle.name if report.cycle else ""),
        ("Publication", report.publication.number if report.publication else ""),
        ("Anonymity threshold", report.threshold),
        *[(f"Filter: {k}", v) for k, v in report.filters.items()
          if v and k not in ("measure", "cycle")],
    ], report.summary)
    header = ["group", "organisation", "sector", "space", "round", "n"]
    for _, name in report.conditions:
        header += [f"{name} level", f"{name} ci_low", f"{name} ci_high", f"{name} sharedness"]
    rows = []
    for row in report.shown_rows:
        values: list[Any] = [row.name, row.organisation, row.sector_label, row.space_label,
                             row.assessment_title, row.n]
        for cell in row.cells:
            values += ([_number(cell.mean), _number(cell.ci_low), _number(cell.ci_high),
                        _number(cell.rwg_j)] if cell.shown else ["hidden"] * 4)
        rows.append(values)
    _sheet(book, "Heatmap", header, rows)
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
    stem = f"tracelead-{slugify(report.group.name) or 'group'}-{report.assessment.pk}"
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
