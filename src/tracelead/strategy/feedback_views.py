"""360 feedback pages: the facilitators' rounds, the raters' page, the leader's report and
the position summaries the board reads (:mod:`tracelead.strategy.feedback` says who sees
what)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.cache import never_cache

from tracelead.core.audit import audit_record
from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.core.models import AuditEvent
from tracelead.core.safety import safe_cell
from tracelead.diagnostics.forms import DateInput

from . import feedback
from .access import can_edit, organisation_for
from .models import FeedbackKind, FeedbackRound, Position, Strategy
from .views import _audit, _strategy


class RoundForm(forms.Form):
    leader_name = forms.CharField(
        label="The leader's name", max_length=200,
        error_messages={"required": "Enter the leader's name",
                        "max_length": "Keep the name to 200 characters or fewer"})
    leader_email = forms.EmailField(
        label="The leader's email address (optional)", required=False,
        help_text="If someone signs in to tracelead with this address, they can read their "
                  "own report once the round closes.",
        error_messages={"invalid": "Enter an email address like name@nhs.net"})
    position = forms.ChoiceField(
        label="Their position", required=False,
        help_text="The round asks about the behaviours for every leader and those this "
                  "position needs. Rounds of one position's holders can be summarised for "
                  "the board.",
        error_messages={"invalid_choice": "Choose one of the positions listed"})
    closes_on = forms.DateField(
        label="Closes on", widget=DateInput,
        error_messages={"required": "Enter the closing date", "invalid": "Enter a real date"})

    def __init__(self, *args: Any, positions: list[Position], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["position"]
        field.choices = [("", "No particular position"),
                         *[(str(p.pk), p.title) for p in positions]]


class RatersForm(forms.Form):
    kind = forms.ChoiceField(
        label="Who are they to the leader?", widget=forms.RadioSelect,
        choices=FeedbackKind.choices,
        error_messages={"required": "Choose who they are to the leader",
                        "invalid_choice": "Choose one of the kinds listed"})
    raters = forms.CharField(
        label="Raters", widget=forms.Textarea,
        help_text="One a line: their name, a comma, and their email address, for example "
                  "“Sam Lee, sam.lee@nhs.net”. Each gets their own link by email; you do "
                  "not see it, and their name is forgotten when the round closes.",
        error_messages={"required": "Enter at least one rater"})

    def clean_raters(self) -> list[tuple[str, str]]:
        people, problems = [], []
        check = forms.EmailField()
        for number, line in enumerate(str(self.cleaned_data["raters"]).splitlines(), 1):
            if not line.strip():
                continue
            name, _comma, address = line.rpartition(",")
            try:
                check.clean(address.strip())
            except ValidationError:
                problems.append(f"Line {number}: give a name, a comma and an email address, "
                                "like “Sam Lee, sam.lee@nhs.net”")
                continue
            people.append((name.strip() or address.strip(), address.strip()))
        if problems:
            raise ValidationError(problems)
        if not people:
            raise ValidationError("Enter at least one rater")
        return people


def _round(request: HttpRequest, pk: int, round_pk: int) -> tuple[Any, Strategy,
                                                                  FeedbackRound]:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    found = (FeedbackRound.objects.filter(strategy=strategy, pk=round_pk)
             .select_related("position", "framework").first())
    if found is None:
        raise Http404("No such round.")
    return organisation, strategy, found


@login_required
def feedback_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Facilitators: every round and position summaries. Viewers: the summaries only."""
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    editor = can_edit(request.user, organisation)
    rounds = (list(strategy.feedback_rounds.select_related("position"))
              if editor else [])
    positions = list(strategy.positions.filter(kind="formal"))
    summaries = {p.pk: list(p.feedback_summaries.all()) for p in positions}
    ready = {p.pk: feedback.summary_ready(p) for p in positions} if editor else {}
    return render(request, "strategy/feedback.jinja", {
        "organisation": organisation, "strategy": strategy, "editor": editor,
        "rounds": [(r, feedback.is_open(r)) for r in rounds],
        "positions": positions, "summaries": summaries, "ready": ready,
        "min_leaders": feedback.FIGURES_THRESHOLD,
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy", args=[organisation.pk]),
        "back_text": "The leadership strategy",
    })


@login_required
def round_new(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk, manage=True)
    strategy = _strategy(organisation)
    positions = list(strategy.positions.filter(kind="formal"))
    form = RoundForm(request.POST or None, positions=positions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        position = next((p for p in positions if str(p.pk) == data["position"]), None)
        try:
            made = feedback.round_create(
                strategy=strategy, leader_name=data["leader_name"],
                leader_email=data["leader_email"], position=position,
                closes_on=data["closes_on"], user=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation, f"Started 360 feedback for {made.leader_name}")
            messages.success(request, f"Started 360 feedback for {made.leader_name}: now "
                                      "ask the raters.")
            return redirect("strategy_feedback_round", pk=organisation.pk, round_pk=made.pk)
    return render_form(request, form, heading="Start 360 feedback for a leader",
                       submit="Start", back_href=reverse("strategy_feedback",
                                                         args=[organisation.pk]),
                       intro="The leader, their line manager, peers, the people they manage "
                             "and others rate how often they see each behaviour of the "
                             "framework. Peers, direct reports and others are shown only "
                             "where three or more of them rated a behaviour.")


@login_required
def round_page(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    """The round: answers so far by kind, and the form that asks raters by email."""
    organisation, _strategy_row, row = _round(request, pk, round_pk)
    form = RatersForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = feedback.raters_add(round_=row, kind=form.cleaned_data["kind"],
                                       people=form.cleaned_data["raters"], by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _audit(request, organisation,
                   f"Asked {len(made)} raters for {row.leader_name}'s 360 feedback")
            messages.success(request, f"Sent {len(made)} {'link' if len(made) == 1 else 'links'}"
                                      " by email, one to each rater.")
            return redirect("strategy_feedback_round", pk=pk, round_pk=row.pk)
    titles = feedback._titles(row.framework, row.behaviours)
    return render(request, "strategy/feedback_round.jinja", {
        "organisation": organisation, "round": row, "open": feedback.is_open(row),
        "form": form, "form_errors": error_list(form) if form.errors else [],
        "progress": feedback.progress(row), "threshold": feedback.RATER_THRESHOLD,
        "behaviours": [titles[k] for k in row.behaviours if k in titles],
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy_feedback", args=[organisation.pk]),
        "back_text": "360 feedback",
    }, status=400 if form.errors else 200)


@login_required
def round_close(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    organisation, _s, row = _round(request, pk, round_pk)
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")
    feedback.round_close(row)
    _audit(request, organisation, f"Closed {row.leader_name}'s 360 feedback")
    messages.success(request, "The round is closed and the report is ready.")
    return redirect("strategy_feedback_report", pk=organisation.pk, round_pk=row.pk)


def _report_round(request: HttpRequest, pk: int, round_pk: int) -> tuple[Any, FeedbackRound,
                                                                         bool]:
    row, editor = feedback.round_for_reader(request.user, round_pk)
    if row.strategy.organisation_id != pk:
        raise Http404("No such report.")
    return row.strategy.organisation, row, editor


def _report_csv(row: FeedbackRound, report: feedback.Report) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Behaviour", *[f"{label} mean" for _k, label in report.kinds],
                     *[f"{label} raters" for _k, label in report.kinds],
                     "Everyone but self mean", "Everyone but self raters"])
    for r in report.rows:
        writer.writerow([
            safe_cell(r.title),
            *[f"{c.mean:.2f}" if c.shown and c.mean is not None else "not shown"
              for c in r.cells.values()],
            *[c.n if c.shown else "" for c in r.cells.values()],
            f"{r.others.mean:.2f}" if r.others.shown and r.others.mean is not None
            else "not shown", r.others.n if r.others.shown else ""])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="360-feedback-{row.pk}.csv"'
    return response


@login_required
def report_page(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    organisation, row, editor = _report_round(request, pk, round_pk)
    if feedback.is_open(row):
        return render(request, "strategy/feedback_report.jinja", {
            "organisation": organisation, "round": row, "report": None, "editor": editor,
            "back_href": reverse("strategy_feedback_round", args=[pk, row.pk]) if editor
            else reverse("my_feedback"), "back_text": "Back"})
    report = feedback.round_report(row)
    as_csv = request.GET.get("format") == "csv"
    audit_record(user=request.user,
                 action=AuditEvent.Action.EXPORTED if as_csv else AuditEvent.Action.VIEWED,
                 what=f"360 feedback report of {row.leader_name}"
                      + (" (csv)" if as_csv else ""),
                 system_id=organisation.system_id)
    if as_csv:
        return _report_csv(row, report)
    return render(request, "strategy/feedback_report.jinja", {
        "organisation": organisation, "round": row, "report": report, "editor": editor,
        "scale": feedback.SCALE, "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy_feedback_round", args=[pk, row.pk]) if editor
        else reverse("my_feedback"),
        "back_text": "The round" if editor else "My 360 feedback"})


@login_required
def my_feedback(request: HttpRequest) -> HttpResponse:
    rounds = list(FeedbackRound.objects.filter(leader_id=request.user.pk)
                  .select_related("strategy__organisation", "position"))
    return render(request, "strategy/feedback_mine.jinja", {
        "rounds": [(r, feedback.is_open(r)) for r in rounds]})


@login_required
def summary_page(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    organisation = organisation_for(request.user, pk)
    strategy = _strategy(organisation)
    row = Position.objects.filter(strategy=strategy, pk=position).first()
    if row is None:
        raise Http404("No such position.")
    editor = can_edit(request.user, organisation)
    if request.method == "POST":
        if not editor:
            raise PermissionDenied("Only the organisation's facilitators make summaries.")
        try:
            made = feedback.summary_make(position=row, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            _audit(request, organisation, f"Made a 360 summary of {row.title}")
            messages.success(request, f"Made the summary of {made.table['leaders']} "
                                      f"holders of “{row.title}”.")
        return redirect("strategy_feedback_summary", pk=organisation.pk, position=row.pk)
    summaries = [(s, feedback.summary_report(s)) for s in row.feedback_summaries.all()]
    return render(request, "strategy/feedback_summary.jinja", {
        "organisation": organisation, "position": row, "editor": editor,
        "summaries": summaries, "min_leaders": feedback.FIGURES_THRESHOLD,
        "ready": feedback.summary_ready(row) if editor else None,
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("strategy_feedback", args=[organisation.pk]),
        "back_text": "360 feedback",
    })


@never_cache
def answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """A rater's page: no account; the link is the key, and answers once."""
    rater = feedback.rater_for(token)
    if rater is None:
        return render(request, "strategy/feedback_unknown.jinja", status=404)
    row = rater.round
    titles = feedback._titles(row.framework, row.behaviours)
    behaviours = [titles[k] for k in row.behaviours if k in titles]
    context: dict[str, Any] = {
        "round": row, "rater": rater, "behaviours": behaviours, "scale": feedback.SCALE,
        "note": feedback.KIND_NOTES[rater.kind], "errors": {}, "values": {},
        "form_errors": [], "done": rater.used, "closed": not feedback.is_open(row),
        "organisation": row.strategy.organisation,
    }
    if request.method == "POST" and not context["done"] and not context["closed"]:
        ratings, errors = feedback.clean_ratings(row.behaviours, request.POST)
        context["values"] = {k: request.POST.get(f"b-{k}", "") for k in row.behaviours}
        if not errors:
            try:
                feedback.answer_submit(rater=rater, ratings=ratings)
            except feedback.AlreadyAnswered:
                pass
            except ValidationError:
                context["closed"] = True
                return render(request, "strategy/feedback_answer.jinja", context, status=409)
            return render(request, "strategy/feedback_thanks.jinja", context)
        context["errors"] = errors
        context["form_errors"] = [{"text": message, "href": f"#b-{key}"}
                                  for key, message in errors.items()]
    return render(request, "strategy/feedback_answer.jinja", context,
                  status=400 if context["form_errors"] else 200)


urlpatterns: list[URLPattern] = [
    path("organisations/<int:pk>/strategy/feedback/", feedback_page, name="strategy_feedback"),
    path("organisations/<int:pk>/strategy/feedback/new/", round_new,
         name="strategy_feedback_new"),
    path("organisations/<int:pk>/strategy/feedback/<int:round_pk>/", round_page,
         name="strategy_feedback_round"),
    path("organisations/<int:pk>/strategy/feedback/<int:round_pk>/close/", round_close,
         name="strategy_feedback_close"),
    path("organisations/<int:pk>/strategy/feedback/<int:round_pk>/report/", report_page,
         name="strategy_feedback_report"),
    path("organisations/<int:pk>/strategy/feedback/positions/<int:position>/", summary_page,
         name="strategy_feedback_summary"),
    path("my/feedback/", my_feedback, name="my_feedback"),
    path("360/<str:token>/", answer_page, name="feedback_answer"),
]
