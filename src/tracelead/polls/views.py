"""Preparing polls: a facilitator adds polls to an event (blank, the TRACE pulse, or a copy
of a template), writes and orders their questions, keeps templates for other events, and
prints the QR code that people scan to join.

Only the academy's facilitators reach these pages (:mod:`tracelead.polls.access`). Every
change goes through :mod:`tracelead.polls.services`, which refuses bad input by field
without changing anything; the pages show its reasons on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from tracelead.academy.models import Academy, Event
from tracelead.core.forms import add_service_errors, error_list, render_form
from tracelead.core.qr import qr_download

from . import access, services
from .forms import CopyTemplateForm, PollForm, QuestionForm, SaveTemplateForm
from .models import Idea, Poll, Question, QuestionKind, Vote

# --- Shared pieces ----------------------------------------------------------------------


def _event_for(academy: Academy, event: int) -> Event:
    row = Event.objects.filter(academy=academy, pk=event).first()
    if row is None:
        raise Http404("No such event.")
    return row


def _question_for(poll: Poll, question: int) -> Question:
    row = Question.objects.filter(poll=poll, pk=question).first()
    if row is None:
        raise Http404("No such question.")
    row.poll = poll
    return row


def templates_of(academy: Academy) -> QuerySet[Poll]:
    """The academy's templates, with their number of questions."""
    return (Poll.objects.filter(academy=academy, event__isnull=True)
            .annotate(question_count=Count("questions")).order_by("title", "id"))


def _join_url(request: HttpRequest, poll: Poll) -> str:
    return request.build_absolute_uri(reverse("poll_join", args=[poll.code]))


def _to_detail(poll: Poll, anchor: str = "") -> HttpResponse:
    url = reverse("poll_detail", args=[poll.academy_id, poll.pk])
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _back_from(poll: Poll) -> str:
    if poll.event_id is None:
        return reverse("poll_templates", args=[poll.academy_id])
    return reverse("academy_event", args=[poll.academy_id, poll.event_id])


def question_summary(question: Question) -> str:
    """What a question asks for, in a few words, for the list of questions."""
    kind = question.kind
    if kind == QuestionKind.SCALE:
        low = f"{question.scale_min}" + (f" ({question.low_label})" if question.low_label else "")
        high = f"{question.scale_max}" + (f" ({question.high_label})"
                                          if question.high_label else "")
        return f"From {low} to {high}"
    if kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING}:
        return f"{len(question.options)} options: " + "; ".join(question.options)
    if kind == QuestionKind.WORDS:
        n = question.max_entries
        return f"Up to {n} word{'' if n == 1 else 's'} each"
    if kind == QuestionKind.IDEAS:
        n = question.max_entries
        return f"Up to {n} idea{'' if n == 1 else 's'} each, which everyone can vote for"
    return f"Answers of up to {services.MAX_TEXT} characters"


# --- Starting a poll --------------------------------------------------------------------


def _create(request: HttpRequest, academy: Academy, event: Event | None,
            form: PollForm) -> HttpResponse | None:
    """A blank poll for an event, or a template (no event), from a valid PollForm; the
    redirect to it, or None with the service's errors on the form."""
    data = form.cleaned_data
    try:
        poll = services.poll_create(academy=academy, event=event, title=data["title"],
                                    anonymous=data["anonymous"],
                                    ask_sector=data["ask_sector"], created_by=request.user)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    kind = "poll" if event is not None else "template"
    messages.success(request, f"Added the {kind} {poll.title}. Now add its questions.")
    return _to_detail(poll)


@login_required
def poll_new(request: HttpRequest, pk: int, event: int) -> HttpResponse:
    """Add a poll to an event: blank, the TRACE pulse, or a copy of a template."""
    academy = access.academy_for(request.user, pk)
    row = _event_for(academy, event)
    templates = templates_of(academy)
    start = request.POST.get("start", "") if request.method == "POST" else ""
    blank = PollForm(request.POST if start == "blank" else None)
    copy = CopyTemplateForm(request.POST if start == "template" else None, templates=templates)
    if start == "pulse":
        poll = services.pulse_create(academy=academy, event=row, created_by=request.user)
        messages.success(request, "Added the TRACE pulse: five statements, one for each "
                         "condition, rated from 1 to 5.")
        return _to_detail(poll)
    if start == "blank" and blank.is_valid():
        made = _create(request, academy, row, blank)
        if made is not None:
            return made
    if start == "template" and copy.is_valid():
        source = copy.cleaned_data["template"]
        try:
            poll = services.poll_copy(source=source, event=row, title=copy.cleaned_data["title"],
                                      created_by=request.user)
        except ValidationError as error:
            add_service_errors(copy, error)
        else:
            messages.success(request, f"Added the poll {poll.title}, with the questions of "
                             f"the template {source.title}.")
            return _to_detail(poll)
    problems = error_list(blank) + error_list(copy)
    status = 400 if request.method == "POST" else 200
    return render(request, "polls/prepare_new.jinja", {
        "academy": academy, "event": row, "blank": blank, "copy": copy,
        "templates": list(templates), "form_errors": problems,
        "back_href": reverse("academy_event", args=[academy.pk, row.pk]),
    }, status=status)


@login_required
def poll_templates(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    return render(request, "polls/poll_templates.jinja", {
        "academy": academy, "templates": list(templates_of(academy)),
        "back_href": reverse("academy_events", args=[academy.pk]),
    })


@login_required
def poll_template_new(request: HttpRequest, pk: int) -> HttpResponse:
    academy = access.academy_for(request.user, pk)
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = _create(request, academy, None, form)
        if made is not None:
            return made
    return render_form(
        request, form, heading="Add a poll template", submit="Add the template",
        back_href=reverse("poll_templates", args=[academy.pk]),
        intro="A template holds questions you use at more than one event. Each event gets "
              "its own copy, with its own join code and votes.")


# --- A poll and its settings ------------------------------------------------------------


def _questions(poll: Poll) -> list[Question]:
    answered = Exists(Vote.objects.filter(question=OuterRef("pk"))) | Exists(
        Idea.objects.filter(question=OuterRef("pk")))
    return list(poll.questions.annotate(answered=answered).order_by("position", "id"))


def _detail_page(request: HttpRequest, academy: Academy, poll: Poll, *,
                 save_form: SaveTemplateForm | None = None, status: int = 200) -> HttpResponse:
    questions = _questions(poll)
    save_form = save_form or SaveTemplateForm(initial={"title": poll.title})
    return render(request, "polls/poll_detail.jinja", {
        "academy": academy, "poll": poll, "event": poll.event,
        "questions": [(q, question_summary(q)) for q in questions],
        "joined": poll.participants.count(),
        "join_url": _join_url(request, poll) if poll.code else "",
        "start_url": request.build_absolute_uri(reverse("poll_start")),
        "save_form": save_form, "form_errors": error_list(save_form),
        "back_href": _back_from(poll),
    }, status=status)


@login_required
def poll_detail(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    academy, row = access.poll_for(request.user, pk, poll)
    return _detail_page(request, academy, row)


@login_required
def poll_edit(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    academy, row = access.poll_for(request.user, pk, poll)
    form = PollForm.for_poll(row, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.poll_update(poll=row, title=data["title"], anonymous=data["anonymous"],
                                 ask_sector=data["ask_sector"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved the changes.")
            return _to_detail(row)
    intro = ""
    if row.participants.exists():
        intro = ("People have joined this poll on the promise its join page made, so whether "
                 "it is anonymous and whether it asks for a sector can no longer change. You "
                 "can still change its title.")
    return render_form(request, form, heading=f"Change {row.title}", submit="Save the changes",
                       back_href=reverse("poll_detail", args=[academy.pk, row.pk]), intro=intro)


@login_required
def poll_save_template(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    """Keep a copy of a poll's questions as a template (votes are never copied)."""
    academy, row = access.poll_for(request.user, pk, poll)
    access.post_only(request)
    form = SaveTemplateForm(request.POST)
    if form.is_valid():
        try:
            copy = services.poll_copy(source=row, event=None, title=form.cleaned_data["title"],
                                      created_by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the template {copy.title}. Use it from any "
                             "event's page: Add a poll, then copy a template.")
            return _to_detail(copy)
    return _detail_page(request, academy, row, save_form=form, status=400)


@login_required
def poll_qr(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    _, row = access.poll_for(request.user, pk, poll)
    if row.code is None:
        raise Http404("A template has no join code.")
    return qr_download(_join_url(request, row), title=f"Join the poll {row.title}",
                       filename=f"poll-{row.pk}-join.svg")


# --- Questions --------------------------------------------------------------------------


def _question_page(request: HttpRequest, academy: Academy, poll: Poll, form: QuestionForm,
                   question: Question | None) -> HttpResponse:
    answered = question is not None and (question.votes.exists() or question.ideas.exists())
    number = None
    if question is not None:
        number = poll.questions.filter(
            Q(position__lt=question.position) | Q(position=question.position,
                                                   pk__lt=question.pk)).count() + 1
    return render(request, "polls/question_form.jinja", {
        "academy": academy, "poll": poll, "question": question, "number": number,
        "form": form, "form_errors": error_list(form), "answered": answered,
        "back_href": reverse("poll_detail", args=[academy.pk, poll.pk]),
    }, status=400 if form.errors else 200)


def _save_question(poll: Poll, form: QuestionForm,
                   question: Question | None) -> Question | None:
    if not form.is_valid():
        return None
    try:
        return services.question_save(poll=poll, question=question,
                                      draft=services.QuestionDraft(**form.draft_values()))
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@login_required
def poll_question_new(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    academy, row = access.poll_for(request.user, pk, poll)
    if row.is_pulse:
        messages.error(request, "The pulse keeps its five statements. Add a separate poll to "
                       "the event for other questions.")
        return _to_detail(row)
    form = QuestionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        saved = _save_question(row, form, None)
        if saved is not None:
            messages.success(request, f"Added the question: {saved.prompt}")
            return _to_detail(row, f"question-{saved.pk}")
    return _question_page(request, academy, row, form, None)


@login_required
def poll_question_edit(request: HttpRequest, pk: int, poll: int, question: int) -> HttpResponse:
    academy, row = access.poll_for(request.user, pk, poll)
    item = _question_for(row, question)
    form = QuestionForm.for_question(item, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        saved = _save_question(row, form, item)
        if saved is not None:
            messages.success(request, f"Saved the question: {saved.prompt}")
            return _to_detail(row, f"question-{saved.pk}")
    return _question_page(request, academy, row, form, item)


@login_required
def poll_question_remove(request: HttpRequest, pk: int, poll: int,
                         question: int) -> HttpResponse:
    _, row = access.poll_for(request.user, pk, poll)
    access.post_only(request)
    item = _question_for(row, question)
    try:
        services.question_remove(question=item)
    except ValidationError as error:
        messages.error(request, " ".join(m for ms in error.message_dict.values() for m in ms)
                       + ".")
        return _to_detail(row, f"question-{item.pk}")
    messages.success(request, f"Removed the question: {item.prompt}")
    return _to_detail(row, "questions")


@login_required
def poll_question_move(request: HttpRequest, pk: int, poll: int, question: int) -> HttpResponse:
    _, row = access.poll_for(request.user, pk, poll)
    access.post_only(request)
    item = _question_for(row, question)
    direction = request.POST.get("direction", "")
    if direction not in {"up", "down"}:
        return HttpResponse("Choose up or down.", status=400, content_type="text/plain")
    services.question_move(question=item, up=direction == "up")
    return _to_detail(row, f"question-{item.pk}")


urlpatterns: list[URLPattern] = []
urlpatterns += [
    path("academy/<int:pk>/events/<int:event>/polls/new/", poll_new, name="poll_new"),
    path("academy/<int:pk>/polls/templates/", poll_templates, name="poll_templates"),
    path("academy/<int:pk>/polls/templates/new/", poll_template_new, name="poll_template_new"),
    path("academy/<int:pk>/polls/<int:poll>/", poll_detail, name="poll_detail"),
    path("academy/<int:pk>/polls/<int:poll>/change/", poll_edit, name="poll_edit"),
    path("academy/<int:pk>/polls/<int:poll>/questions/new/", poll_question_new,
         name="poll_question_new"),
    path("academy/<int:pk>/polls/<int:poll>/questions/<int:question>/change/",
         poll_question_edit, name="poll_question_edit"),
    path("academy/<int:pk>/polls/<int:poll>/questions/<int:question>/remove/",
         poll_question_remove, name="poll_question_remove"),
    path("academy/<int:pk>/polls/<int:poll>/questions/<int:question>/move/",
         poll_question_move, name="poll_question_move"),
    path("academy/<int:pk>/polls/<int:poll>/save-as-template/", poll_save_template,
         name="poll_save_template"),
    path("academy/<int:pk>/polls/<int:poll>/qr.svg", poll_qr, name="poll_qr"),
]
