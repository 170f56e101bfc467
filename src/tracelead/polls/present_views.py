"""The presenter's view: full screen, large type, one question at a time, results live.

Transport: short polling with ETags, over the same WSGI servers as every other page. The
screen asks ``live.json`` every 400 ms with the last ETag; the server answers 304 from a
few indexed counts while nothing changed (no row is written per vote to keep a version),
and the results otherwise. Why not server-sent events: gunicorn's sync workers would give
each open stream a whole worker, a buffering proxy would hold events back, and every
server would need a shared channel for votes taken by another. Polling needs none of that,
works unchanged behind any load balancer (all state is in the database), and at 400 ms a
vote reaches the screen well within a second (the benchmark ``tracelead bench polls``
measures it).
"""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.cache import never_cache

from . import access, selectors, services
from .models import Idea, Poll, Question

LIVE_EVERY_MS = 400


def _event_poll(request: HttpRequest, pk: int, poll: int) -> Poll:
    _academy, row = access.poll_for(request.user, pk, poll)
    if row.event_id is None:
        raise Http404("A template is not presented: make a poll for an event from it.")
    return row


def join_url(request: HttpRequest, poll: Poll) -> str:
    return request.build_absolute_uri(reverse("poll_join", args=[poll.code]))


@never_cache
@login_required
def poll_present(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    row = _event_poll(request, pk, poll)
    url = join_url(request, row)
    # omitsize: a viewBox instead of a fixed width and height, so that the CSS scales the
    # code to the screen rather than cropping it.
    qr = segno.make(url, error="m").svg_inline(scale=5, title=f"Join {row.title}",
                                                dark="#000000", light="#ffffff",
                                                omitsize=True)
    questions = list(row.questions.all())
    return render(request, "polls/present.jinja", {
        "poll": row, "academy": row.academy, "questions": questions,
        "join_url": url, "start_url": request.build_absolute_uri(reverse("poll_start")),
        "qr_svg": qr, "payload": selectors.live_payload(row),
        "live_url": reverse("poll_live", args=[row.academy_id, row.pk]),
        "step_url": reverse("poll_step", args=[row.academy_id, row.pk]),
        "every_ms": LIVE_EVERY_MS,
    })


@never_cache
@login_required
def poll_live(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    """What the screen shows, or 304 while it is unchanged."""
    row = _event_poll(request, pk, poll)
    etag = f'"{selectors.live_signature(row, row.current)}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(selectors.live_payload(row))
    response["ETag"] = etag
    return response


def _question(poll: Poll, request: HttpRequest) -> Question | None:
    raw = request.POST.get("question", "")
    pk = access.posted_id(raw)
    if raw:
        found = poll.questions.filter(pk=pk).first() if pk is not None else None
        if found is None:
            raise Http404("No such question in this poll.")
        return found
    return poll.current


@login_required
def poll_step(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    """One presenter action: next, previous, show, open, close, reveal, hide, end,
    reopen, hide_idea, show_idea. (Access is decided before the method, so that another
    academy's poll answers 404 whatever the method.)"""
    row = _event_poll(request, pk, poll)
    access.post_only(request)
    action = request.POST.get("action", "")
    question = _question(row, request)
    try:
        if action in {"next", "previous"}:
            services.poll_step(poll=row, forward=action == "next")
        elif action == "end":
            services.poll_end(poll=row)
        elif action == "reopen":
            services.poll_reopen(poll=row)
        elif action in {"hide_idea", "show_idea"}:
            idea_pk = access.posted_id(request.POST.get("idea", ""))
            idea = (Idea.objects.filter(pk=idea_pk, question__poll=row)
                    .select_related("question__poll").first() if idea_pk is not None
                    else None)
            if idea is None:
                raise Http404("No such idea in this poll.")
            services.idea_hide(idea=idea, hidden=action == "hide_idea")
        elif question is None:
            raise ValidationError({"question": "Show a question first"})
        elif action == "show":
            services.poll_show(poll=row, question=question)
        elif action == "open":
            services.question_open(poll=row, question=question)
        elif action == "close":
            services.question_close(poll=row, question=question)
        elif action in {"reveal", "hide"}:
            services.question_reveal(poll=row, question=question, shown=action == "reveal")
        else:
            raise ValidationError({"action": "Unknown action"})
    except ValidationError as error:
        message = " ".join(str(m) for ms in error.message_dict.values() for m in ms)
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"ok": False, "error": message}, status=409)
        from django.contrib import messages

        messages.error(request, message)
    if "application/json" in request.headers.get("Accept", ""):
        row.refresh_from_db()
        return JsonResponse({"ok": True, "version": row.version})
    return redirect("poll_present", pk=row.academy_id, poll=row.pk)


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/polls/<int:poll>/present/", poll_present, name="poll_present"),
    path("academy/<int:pk>/polls/<int:poll>/live.json", poll_live, name="poll_live"),
    path("academy/<int:pk>/polls/<int:poll>/step/", poll_step, name="poll_step"),
]
