"""The evaluation's charts (Vega-Lite via Altair, drawn as SVG on the server by vl-convert,
the same for the page and the PDF) and its board PDF (WeasyPrint), the diagnostic reports'
way (:mod:`tracelead.reports.exports`)."""

from __future__ import annotations

from typing import Any

import altair as alt
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from markupsafe import Markup

from tracelead.academy.models import Programme
from tracelead.reports.charts import NHS_BLUE, PDF_WIDTH, _spec, to_svg
from tracelead.reports.exports import (
    CONTENT_TYPES,
    Export,
    _print_css,
    html_to_pdf,
    template_helpers,
)

from .selectors import EvaluationReport, evaluation_report


def reaction_chart(report: EvaluationReport) -> dict[str, Any] | None:
    """The first rating of the feedback form, event by event (events with enough answers)."""
    if not report.reaction.questions:
        return None
    key, text = report.reaction.questions[0]
    points = [{"event": f"{n}. {r.event[:40]}", "mean": r.cells[key].value, "order": n}
              for n, r in enumerate(report.reaction.rows, start=1)
              if r.cells.get(key) and r.cells[key].value is not None]
    if len(points) < 2:
        return None
    x = alt.X("event:N", title=None, sort=alt.SortField("order"),
              axis=alt.Axis(labelAngle=0, labelLimit=120, labelFontSize=10))
    y = alt.Y("mean:Q", title="Mean rating (1 to 5)", scale=alt.Scale(domain=[1, 5]),
              axis=alt.Axis(values=[1, 2, 3, 4, 5]))
    base = alt.Chart(alt.Data(values=points))
    chart = (base.mark_line(color=NHS_BLUE, strokeWidth=2.5).encode(x=x, y=y)
             + base.mark_point(color=NHS_BLUE, filled=True, size=70).encode(x=x, y=y)
             ).properties(height=220, width=PDF_WIDTH - 60)
    return _spec(chart, f"Mean answer to “{text}” at each event with enough answers",
                 PDF_WIDTH)


def learning_chart(report: EvaluationReport) -> dict[str, Any] | None:
    """Each self-rating's mean paired change with its 95% interval (rows shown only)."""
    rows = []
    for r in report.learning:
        if not r.shown or r.result is None:
            continue
        label = f"{r.question[:55]}…" if len(r.question) > 55 else r.question
        if r.design != "before and after":
            label += f" ({r.design})"
        rows.append({"question": label, "change": r.result.mean_change,
                     "low": r.result.ci_low, "high": r.result.ci_high})
    if not rows:
        return None
    y = alt.Y("question:N", title=None, sort=None, axis=alt.Axis(labelLimit=300))
    x_scale = alt.Scale(domain=[min(-0.5, min(r["low"] for r in rows)),
                                max(0.5, max(r["high"] for r in rows))], nice=True)
    base = alt.Chart(alt.Data(values=rows))
    chart = alt.layer(
        base.mark_rule(color="#4c6272", strokeWidth=2).encode(
            y=y, x=alt.X("low:Q", title="Mean change (after less before)", scale=x_scale),
            x2="high:Q"),
        base.mark_point(color=NHS_BLUE, filled=True, size=90).encode(y=y, x="change:Q"),
        alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(
            strokeDash=[4, 3], color="#231f20").encode(x="zero:Q"),
    ).properties(width=PDF_WIDTH - 340)
    return _spec(chart, "Mean paired change of each self-rating with its 95% interval; "
                        "the dashed line is no change", PDF_WIDTH)


def charts(report: EvaluationReport) -> dict[str, Markup]:
    out = {}
    for name, spec in (("reaction", reaction_chart(report)),
                       ("learning", learning_chart(report))):
        if spec is not None:
            out[name] = Markup(to_svg(spec))  # noqa: S704 - SVG from vl-convert, which escapes text
    return out


def evaluation_html(report: EvaluationReport) -> str:
    programme = report.programme
    return render_to_string("evaluation/evaluation_print.jinja", {
        **template_helpers(), "mode": "print", "report": report,
        "title": f"Evaluation: {programme.name}",
        "subtitle": f"{programme.academy.name} · {programme.academy.system.name}",
        "charts": charts(report), "print_css": Markup(_print_css()),  # noqa: S704 - our own file
        "generated_on": timezone.localdate(), "academy": programme.academy,
        "programme": programme,
    })


def evaluation_pdf(programme: Programme) -> Export:
    report = evaluation_report(programme)
    name = (f"tracelead-{slugify(programme.name) or 'programme'}-evaluation-"
            f"{report.made_on.isoformat()}.pdf")
    return Export(html_to_pdf(evaluation_html(report)), name, CONTENT_TYPES["pdf"])
