"""A poll's results after the event, their downloads, and keeping a TRACE pulse with a
group's history. Facilitators of the academy only (:mod:`tracelead.polls.access`): the
results hold what people typed in the room."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.organisations.models import Group

from . import exports, services
from .access import poll_for, post_only, posted_id
from .models import Poll, QuestionKind


def _results_poll(request: HttpRequest, pk: int, poll: int) -> Poll:
    _academy, row = poll_for(request.user, pk, poll)
    if row.is_template:  # a template never takes votes
        raise Http404("A template has no results.")
    return row


@login_required
def poll_results(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    row = _results_poll(request, pk, poll)
    audit_record(user=request.user, action=AuditEvent.Action.VIEWED,
                 what=f"poll results of {row.title}", system_id=row.academy.system_id)
    groups = (list(Group.objects.filter(system_id=row.academy.system_id)
                   .select_related("organisation").order_by("name"))
              if row.is_pulse else [])
    return render(request, "polls/results.jinja", {
        "academy": row.academy,
        "poll": row,
        "results": exports.poll_results(row),
        "groups": groups,
        # Open texts, words and ideas can be grouped into themes (tracelead.words).
        "has_texts": row.questions.filter(kind__in=(QuestionKind.TEXT, QuestionKind.WORDS,
                                                   QuestionKind.IDEAS)).exists(),
        "withheld_sentence": exports.withheld_sentence,
        "pulse_note": exports.PULSE_NOTE,
        "column_class": "nhsuk-grid-column-full",
        "back_href": reverse("poll_detail", args=[row.academy_id, row.pk]),
        "back_text": "Back to the poll",
    })


def _download(request: HttpRequest, row: Poll, fmt: str) -> HttpResponse:
    export = exports.export_results(row, fmt)
    audit_record(user=request.user, action=AuditEvent.Action.EXPORTED,
                 what=f"poll results ({fmt}) of {row.title}", system_id=row.academy.system_id)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def poll_results_csv(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    return _download(request, _results_poll(request, pk, poll), "csv")


@login_required
def poll_results_xlsx(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    return _download(request, _results_poll(request, pk, poll), "xlsx")


@login_required
def poll_keep(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    """Keep a pulse with one of the system's groups, or take it off (an empty choice)."""
    row = _results_poll(request, pk, poll)
    post_only(request)
    back = reverse("poll_results", args=[row.academy_id, row.pk]) + "#keep"
    chosen = request.POST.get("group", "").strip()
    group = None
    if chosen:
        # A missing group and another system's group get the same answer (the service's).
        group_pk = posted_id(chosen)
        group = Group.objects.filter(pk=group_pk).first() if group_pk is not None else None
        if group is None:
            messages.error(request, "Choose a group of this system")
            return redirect(back)
    try:
        services.pulse_keep(poll=row, group=group)
    except ValidationError as error:
        messages.error(request, " ".join(m for ms in error.message_dict.values() for m in ms))
        return redirect(back)
    audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                 what=(f"kept the pulse {row.title} with {group.name}" if group else
                       f"took the pulse {row.title} off its group"),
                 group_id=group.pk if group else None, system_id=row.academy.system_id)
    messages.success(request, f"Kept this pulse with {group.name}'s history." if group else
                     "This pulse is no longer kept with a group.")
    return redirect(back)


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/polls/<int:poll>/results/", poll_results, name="poll_results"),
    path("academy/<int:pk>/polls/<int:poll>/results.csv", poll_results_csv,
         name="poll_results_csv"),
    path("academy/<int:pk>/polls/<int:poll>/results.xlsx", poll_results_xlsx,
         name="poll_results_xlsx"),
    path("academy/<int:pk>/polls/<int:poll>/keep/", poll_keep, name="poll_keep"),
]
