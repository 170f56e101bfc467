"""The strategy's board report: one PDF (or HTML) and one workbook bringing together the
culture, the inventory's gaps and the development plan, post-holders' diversity, direction,
alignment and commitment beside TRACE, 360 summaries, the outcomes and the progress.

It goes out by the reports' own export route (:func:`tracelead.reports.exports._export`:
the same print layout, cover, protective marking and formula-safe cells) and reads only
what each part already publishes: published diversity snapshots as shown, the groups'
published DAC and TRACE reports through the gate, stored 360 summaries. Nothing hidden on a
page appears here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.text import slugify
from markupsafe import Markup

from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment
from tracelead.organisations.models import Organisation
from tracelead.reports import exports
from tracelead.reports.beside import Beside, dac_beside_trace
from tracelead.reports.builders import group_report

from . import feedback, selectors
from .access import organisation_for
from .charts import outcome_svg
from .development import LinkRow, development_links
from .diversity import DiversityTable, published_diversity
from .models import FeedbackKind, FeedbackSummary, Milestone, Outcome, Phase, Position, Strategy
from .services import current_framework

FORMATS = ("pdf", "xlsx", "html")


@dataclass(frozen=True)
class OutcomeLine:
    outcome: Outcome
    values: list[tuple[dt.date, float]]
    chart: Markup | None

    @property
    def change(self) -> float | None:
        return self.values[-1][1] - self.values[0][1] if len(self.values) > 1 else None

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        return (change > 0) == (self.outcome.better == "higher")


@dataclass(frozen=True)
class BoardReport:
    organisation: Organisation
    strategy: Strategy
    framework: selectors.FrameworkView
    inventory: selectors.Inventory
    development: list[LinkRow]
    undeveloped_gaps: list[Position]
    diversity: DiversityTable | None
    besides: list[Beside]
    summaries: list[tuple[Position, FeedbackSummary, feedback.Report]]
    outcomes: list[OutcomeLine]
    phases: list[tuple[str, list[Milestone]]]
    today: dt.date

    @property
    def milestones_done(self) -> int:
        return sum(1 for _p, rows in self.phases for m in rows if m.status == "done")

    @property
    def milestones_total(self) -> int:
        return sum(len(rows) for _p, rows in self.phases)

    @property
    def overdue(self) -> list[Milestone]:
        return [m for _p, rows in self.phases for m in rows
                if m.status != "done" and m.due_on < self.today]


def _besides(organisation: Organisation) -> list[Beside]:
    """Each of the organisation's groups with a shown DAC round and a shown TRACE round:
    the latest DAC report that is shown, beside its TRACE report (both through the gate)."""
    found = []
    rounds = (Assessment.objects.filter(group__organisation=organisation, instrument_key="dac")
              .select_related("group").order_by("group__name", "-opens_on", "-id"))
    seen: set[int] = set()
    for assessment in rounds:
        if assessment.group_id in seen:
            continue
        report = group_report(assessment)
        beside = dac_beside_trace(report) if report.disclosed else None
        if beside is not None:
            found.append(beside)
            seen.add(assessment.group_id)
    return found


def board_report(strategy: Strategy) -> BoardReport:
    organisation = strategy.organisation
    inventory = selectors.inventory(strategy)
    development = development_links(strategy)
    developed = {link.position_id for link in development}
    milestones = list(strategy.milestones.all())
    summaries = []
    for position in inventory.positions:
        latest = position.feedback_summaries.first()
        if latest is not None:
            summaries.append((position, latest, feedback.summary_report(latest)))
    outcomes = [OutcomeLine(o, [(v.on, v.value) for v in o.values.all()],
                            outcome_svg(o, milestones))
                for o in strategy.outcomes.prefetch_related("values")]
    return BoardReport(
        organisation=organisation, strategy=strategy,
        framework=selectors.framework_view(current_framework(strategy)),
        inventory=inventory, development=development,
        undeveloped_gaps=[p for p in inventory.no_cover if p.pk not in developed],
        diversity=published_diversity(strategy), besides=_besides(organisation),
        summaries=summaries, outcomes=outcomes,
        phases=[(label, [m for m in milestones if m.phase == value])
                for value, label in Phase.choices],
        today=timezone.localdate())


def board_html(report: BoardReport) -> str:
    return exports._print_html(
        title=f"Collective leadership strategy: {report.organisation.name}",
        subtitle=(f"Board report · framework version {report.framework.framework.version} · "
                  f"{report.milestones_done} of {report.milestones_total} milestones done"),
        body="strategy/_board_body.jinja", context={"board": report},
        system=report.organisation.system, copy_note=exports.COPY_FOR_BOARD)


def _mean(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def board_xlsx(report: BoardReport) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    inv = report.inventory
    exports._summary_sheet(book, f"Collective leadership strategy: {report.organisation.name}", [
        ("Organisation", report.organisation.name),
        ("Made on", dt.datetime.combine(report.today, dt.time())),
        ("Framework version", report.framework.framework.version),
        ("Leaders needed", inv.needed), ("In post", inv.in_post), ("Vacant", inv.vacant),
        ("Formal roles with no one ready", len(inv.no_cover)),
        ("Of which with no development planned", len(report.undeveloped_gaps)),
        ("Milestones done", f"{report.milestones_done} of {report.milestones_total}"),
        ("Milestones overdue", len(report.overdue)),
    ], [f"The culture the board wants: {report.strategy.culture or 'not written yet'}",
        "Values: " + (", ".join(report.strategy.values) or "none listed")])
    f = report.framework
    exports._sheet(book, "Framework", ["Whose", "Behaviour", "Role", "Description"], [
        [b.get_kind_display(), b.title, b.role, b.description]
        for b in [*f.every, *f.role, *f.collective]])
    developed: dict[int, list[str]] = {}
    for link in report.development:
        developed.setdefault(link.position_id, []).append(link.name)
    exports._sheet(book, "Inventory", [
        "Position", "Kind", "Needed", "In post", "Vacant", "Clinical", "Succession",
        "Developed through"], [
        [p.title, p.get_kind_display(), p.needed, p.in_post, p.vacant,
         "yes" if p.clinical else "no", p.get_succession_display(),
         "; ".join(developed.get(p.pk, []))] for p in inv.positions])
    exports._sheet(book, "Development plan", ["Position", "Through", "Name", "Starts", "Ends",
                                              "What the board intends"], [
        [link.position, link.kind, link.name,
         exports._date_cell(link.starts_on), exports._date_cell(link.ends_on), link.note]
        for link in report.development], formats={4: exports.DATE_FORMAT,
                                                  5: exports.DATE_FORMAT})
    rows: list[list[Any]] = []
    if report.diversity is not None:
        for d in report.diversity.dimensions:
            for r in d.rows:
                rows.append([d.label, r.category,
                             r.holders if r.holders is not None else "hidden",
                             r.holders_share, r.workforce if r.workforce is not None
                             else "hidden", r.workforce_share,
                             round(r.difference, 1) if r.difference is not None else None])
    exports._sheet(book, "Diversity", [
        "Dimension", "Category", "Post-holders", "Share of post-holders", "Workforce",
        "Share of workforce", "Difference (points)"], rows,
        formats={4: exports.PERCENT_FORMAT, 6: exports.PERCENT_FORMAT})
    rows = []
    for pair in report.besides:
        for row in pair.rows:
            rows.append([pair.dac.group.name, row.outcome.name,
                         _mean(row.outcome.mean) if row.outcome.shown else "hidden",
                         *[f"{c.name}: {c.mean:.1f}" if c.shown else f"{c.name}: hidden"
                           for c in row.feeds]])
    exports._sheet(book, "DAC and TRACE", ["Group", "Outcome", "Level (out of 5)",
                                           "Feeding condition", "Feeding condition"], rows)
    rows = []
    for position, summary, pooled in report.summaries:
        for b in pooled.rows:
            rows.append([position.title, summary.table["leaders"], b.title,
                         *[_mean(c.mean) if c.shown else "not shown"
                           for c in b.cells.values()],
                         _mean(b.others.mean) if b.others.shown else "not shown"])
    exports._sheet(book, "360 summaries", [
        "Position", "Holders", "Behaviour", *[FeedbackKind(k).label for k in feedback.KINDS],
        "Everyone but the leader"], rows)
    exports._sheet(book, "Outcomes", ["Measure", "Unit", "Better", "On", "Value"], [
        [line.outcome.name, line.outcome.unit, line.outcome.get_better_display(),
         exports._date_cell(on), value]
        for line in report.outcomes for on, value in line.values],
        formats={4: exports.DATE_FORMAT})
    exports._sheet(book, "Milestones", ["Phase", "Milestone", "Owner", "Due", "Status",
                                        "Evidence"], [
        [phase, m.title, m.owner, exports._date_cell(m.due_on),
         m.get_status_display() + (", overdue" if m in report.overdue else ""), m.evidence]
        for phase, rows_ in report.phases for m in rows_], formats={4: exports.DATE_FORMAT})
    return exports._workbook_bytes(book)


def export_board(report: BoardReport, fmt: str) -> exports.Export:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    stem = f"tracelead-{slugify(report.organisation.name) or 'organisation'}-strategy-board"
    return exports._export(fmt, stem, exports._noop, html=lambda: board_html(report),
                           xlsx=lambda: board_xlsx(report), csv=lambda: b"")


@login_required
def board_report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The board report for anyone who may read the strategy (its facilitators and
    viewers), audited as an export."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    organisation = organisation_for(request.user, pk)
    strategy = Strategy.objects.filter(organisation=organisation).first()
    if strategy is None:
        raise Http404("The board has not started its leadership strategy yet.")
    made = export_board(board_report(strategy), fmt)
    audit_record(user=request.user, action=AuditEvent.Action.EXPORTED,
                 what=f"Board report ({fmt}) of the leadership strategy of {organisation.name}",
                 system_id=organisation.system_id)
    from tracelead.reports.views import _download

    return _download(made)


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/strategy/board.<str:fmt>", board_report_export,
         name="strategy_board_report"),
]
