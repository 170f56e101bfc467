"""Participants' pages: type the code (or scan the QR code), join, vote, add ideas.

No account: joining sets a cookie holding a random token for this poll (only its hash is
kept), so a device has one vote per question and can change it until the question closes.
The phone asks ``state.json`` every two seconds whether the poll moved on (an ETag on the
poll's version, so an unchanged poll costs one indexed read and a 304) and reloads when
it did, unless the person is in the middle of typing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited  # type: ignore[import-untyped]

from tracelead.academy.member_forms import SECTOR_LABELS
from tracelead.academy.models import hash_token
from tracelead.core.language import bilingual
from tracelead.core.throttles import ratelimit_address, wait_words

from . import services
from .models import Idea, IdeaVote, Participant, Poll, Question, QuestionKind, QuestionStatus, Vote

COOKIE_PREFIX = "tl_poll_"
COOKIE_AGE = 2 * 24 * 3600
STATE_EVERY_MS = 2000


def _cookie_name(poll: Poll) -> str:
    return f"{COOKIE_PREFIX}{poll.code}"


def _guesses_refused(request: HttpRequest, *, count: bool) -> bool:
    """Codes that match nothing, per client address (TRACELEAD_TOKEN_GUESS_RATE); only
    misses count, so a whole room behind one address is never slowed by its hits."""
    return bool(is_ratelimited(request, group="poll-guess", key=ratelimit_address,
                               rate=settings.TRACELEAD_TOKEN_GUESS_RATE, increment=count))


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "polls/start.jinja", {
        "problem": gettext("Too many codes that match nothing were tried from here. Wait "
                           "%(wait)s, then try again.")
        % {"wait": wait_words(settings.TRACELEAD_TOKEN_GUESS_RATE)},
    }, status=429)


def _poll_by_code(request: HttpRequest, code: str
                  ) -> tuple[Poll, Participant | None] | HttpResponse:
    """The poll with this code and the participant this phone is, if it joined.

    A phone that joined (its cookie's token matches) is not a guesser and skips the
    guess throttle, which would otherwise cost a cache write on every vote and every
    look at the state. Anyone else goes through it; once an address is over the rate,
    every look-up from it is refused, hits included, so a guesser cannot tell a hit."""
    poll = (Poll.objects.filter(code=services.normalise_poll_code(code), event__isnull=False)
            .select_related("event", "academy", "current").first())
    if poll is not None:
        participant = services.participant_for(poll, request.COOKIES.get(_cookie_name(poll)))
        if participant is not None:
            return poll, participant
    if _guesses_refused(request, count=False):
        return _too_many(request)
    if poll is None:
        if _guesses_refused(request, count=True):
            return _too_many(request)
        return render(request, "polls/start.jinja", {"unknown": True, "code": code[:12]},
                      status=404)
    return poll, None


@never_cache
@bilingual
def poll_start(request: HttpRequest) -> HttpResponse:
    """Type the code shown on the screen."""
    if request.method == "POST":
        code = services.normalise_poll_code(request.POST.get("code", ""))
        if not code:
            return render(request, "polls/start.jinja", {
                "form_errors": [{"text": gettext("Enter the code shown on the screen"),
                                 "href": "#code"}],
                "code_error": gettext("Enter the code shown on the screen")}, status=400)
        return redirect("poll_join", code=code)
    return render(request, "polls/start.jinja", {})


def _shown_questions(poll: Poll) -> list[Question]:
    """The questions a phone shows now: the current one, or all five of a pulse."""
    if poll.current is None or poll.ended_at is not None:
        return []
    if poll.is_pulse:
        return list(poll.questions.all())
    return [poll.current]


def _page(request: HttpRequest, poll: Poll, participant: Participant, *,
          errors: dict[str, str] | None = None, posted: dict[str, Any] | None = None,
          status: int = 200) -> HttpResponse:
    questions = _shown_questions(poll)
    mine = {v.question_id: v.answer for v in Vote.objects.filter(
        participant=participant, question__in=questions)}
    entries = []
    for q in questions:
        entry: dict[str, Any] = {"q": q, "answer": (posted or {}).get(q.pk, mine.get(q.pk)),
                                 "saved": q.pk in mine, "error": (errors or {}).get(f"q{q.pk}")}
        if q.kind == QuestionKind.IDEAS:
            ideas = list(Idea.objects.filter(question=q, hidden=False).order_by("-created_at"))
            voted = set(IdeaVote.objects.filter(participant=participant, idea__in=ideas)
                        .values_list("idea_id", flat=True))
            # All their ideas count towards the limit, one taken off the screen too.
            mine_added = Idea.objects.filter(question=q, participant=participant).count()
            entry.update(ideas=ideas, voted=voted, my_ideas=mine_added)
        if q.kind == QuestionKind.RANKING:
            answer = entry["answer"] or []
            entry["places"] = {i: answer.index(i) + 1 for i in range(len(q.options))
                               if i in answer}
        entries.append(entry)
    open_entries = [e for e in entries if e["q"].status == QuestionStatus.OPEN
                    and e["q"].kind != QuestionKind.IDEAS]
    form_errors = [{"text": message, "href": f"#{key}"} for key, message in (errors or {}).items()]
    return render(request, "polls/vote.jinja", {
        "poll": poll, "participant": participant, "entries": entries,
        "can_send": bool(open_entries), "all_saved": all(e["saved"] for e in open_entries),
        "form_errors": form_errors, "state_url": reverse("poll_state", args=[poll.code]),
        "etag": _state_etag(poll), "every_ms": STATE_EVERY_MS,
        # The vote and idea addresses take POST only: switching language comes back here.
        "language_next": reverse("poll_join", args=[poll.code]),
    }, status=status)


def _state_etag(poll: Poll) -> str:
    current = poll.current
    ideas = (Idea.objects.filter(question=current, hidden=False).count()
             if current is not None and current.kind == QuestionKind.IDEAS else 0)
    return f'"v{poll.version}-i{ideas}"'


def _join_page(request: HttpRequest, poll: Poll, *, errors: dict[str, str] | None = None,
               name: str = "", sector: str = "", status: int = 200) -> HttpResponse:
    return render(request, "polls/join.jinja", {
        "poll": poll, "errors": errors or {}, "name": name, "sector": sector,
        "sectors": [(str(v), str(label)) for v, label in SECTOR_LABELS.items()],
        "form_errors": [{"text": m, "href": f"#{k}"} for k, m in (errors or {}).items()],
    }, status=status)


@never_cache
@bilingual
def poll_join(request: HttpRequest, code: str) -> HttpResponse:
    """Join (once per device), then the page of the question(s) on the screen now."""
    found = _poll_by_code(request, code)
    if isinstance(found, HttpResponse):
        return found
    poll, participant = found
    if poll.code != code:
        return redirect("poll_join", code=poll.code)
    if participant is not None:
        return _page(request, poll, participant)
    if poll.ended_at is not None:
        return render(request, "polls/ended.jinja", {"poll": poll})
    if request.method != "POST":
        if request.GET.get("joined"):
            # Just joined, yet the phone sent no cookie back: it refuses cookies.
            return _join_page(request, poll, status=400, errors={
                "main-form": gettext("This phone did not keep the poll's cookie, which gives it "
                                     "its one vote a question. Allow cookies for this site, "
                                     "then join again.")})
        return _join_page(request, poll)
    name = request.POST.get("name", "")
    sector = request.POST.get("sector", "")
    if is_ratelimited(request, group="poll-join", key=ratelimit_address,
                      rate=settings.TRACELEAD_POLL_JOIN_RATE, increment=True):
        return _join_page(request, poll, status=429, name=name, sector=sector, errors={
            "main-form": gettext("Too many phones joined from this network. Wait %(wait)s, "
                                 "then try again.")
            % {"wait": wait_words(settings.TRACELEAD_POLL_JOIN_RATE)}})
    try:
        participant, token = services.participant_join(poll=poll, name=name, sector=sector)
    except ValidationError as error:
        return _join_page(request, poll, errors=error_list_by_field(error), name=name,
                          sector=sector, status=400)
    response = redirect(reverse("poll_join", args=[poll.code]) + "?joined=1")
    response.set_cookie(_cookie_name(poll), token, max_age=COOKIE_AGE, httponly=True,
                        samesite="Lax", secure=request.is_secure(),
                        path=f"/p/{poll.code}/")
    return response


def error_list_by_field(error: ValidationError) -> dict[str, str]:
    return {field: " ".join(str(m) for m in messages)
            for field, messages in error.message_dict.items()}


def _participant_or_rejoin(request: HttpRequest, code: str
                           ) -> tuple[Poll, Participant] | HttpResponse:
    found = _poll_by_code(request, code)
    if isinstance(found, HttpResponse):
        return found
    poll, participant = found
    if participant is None:
        return redirect("poll_join", code=poll.code)
    return poll, participant


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@bilingual
def poll_vote(request: HttpRequest, code: str) -> HttpResponse:
    """Answer (or change the answers to) the question(s) on the screen. Every answer is
    checked before any is saved, so a bad one saves nothing."""
    found = _participant_or_rejoin(request, code)
    if isinstance(found, HttpResponse):
        return found
    poll, participant = found
    shown = {q.pk: q for q in _shown_questions(poll)
             if q.status == QuestionStatus.OPEN and q.kind != QuestionKind.IDEAS}
    data = {key: request.POST.getlist(key) for key in request.POST}
    answers: dict[int, Any] = {}
    errors: dict[str, str] = {}
    posted: dict[int, Any] = {}
    for q in shown.values():
        present = any(k == f"q{q.pk}" or k.startswith(f"q{q.pk}-") for k in data)
        if not present and poll.is_pulse:
            continue  # a pulse statement left blank is simply not rated
        try:
            answers[q.pk] = services.clean_answer(q, data)
        except ValidationError as error:
            errors.update(error_list_by_field(error))
            posted[q.pk] = _raw(q, data)
    if not shown:
        errors["questions"] = gettext("Voting has closed on this question. Wait for the next "
                                      "one: this page shows it when it opens.")
    elif not answers and not errors:
        first = next(iter(shown.values()))
        errors[f"q{first.pk}"] = gettext("Choose or enter your answer")
    if errors:
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return _page(request, poll, participant, errors=errors, posted=posted, status=400)
    try:
        with transaction.atomic():  # all of a pulse's ratings, or none
            for pk, answer in answers.items():
                services.vote_cast(question=shown[pk], participant=participant,
                                   answer=answer)
    except ValidationError as error:  # closed between the read and the write
        errors = error_list_by_field(error)
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": errors}, status=409)
        return _page(request, poll, participant, errors=errors, status=409)
    if _wants_json(request):
        return JsonResponse({"ok": True, "saved": sorted(answers)})
    return redirect(reverse("poll_join", args=[poll.code]) + "?saved=1")


def _raw(question: Question, data: dict[str, list[str]]) -> Any:
    """What the person typed, to show it again beside the error."""
    key = f"q{question.pk}"
    if question.kind == QuestionKind.WORDS:
        return data.get(key, [])
    if question.kind == QuestionKind.TEXT:
        return (data.get(key) or [""])[0][:2000]
    return None


def _idea_question(poll: Poll, question: int) -> Question | None:
    return next((q for q in _shown_questions(poll)
                 if q.pk == question and q.kind == QuestionKind.IDEAS), None)


@require_POST
@bilingual
def poll_idea_add(request: HttpRequest, code: str, question: int) -> HttpResponse:
    found = _participant_or_rejoin(request, code)
    if isinstance(found, HttpResponse):
        return found
    poll, participant = found
    row = _idea_question(poll, question)
    if row is None:
        return _page(request, poll, participant, status=409, errors={
            "questions": gettext("That question is no longer on the screen.")})
    try:
        services.idea_add(question=row, participant=participant,
                          text=request.POST.get(f"q{row.pk}", ""))
    except ValidationError as error:
        return _page(request, poll, participant, errors=error_list_by_field(error),
                     posted={row.pk: request.POST.get(f"q{row.pk}", "")[:2000]}, status=400)
    return redirect(reverse("poll_join", args=[poll.code]) + f"#q{row.pk}")


@require_POST
@bilingual
def poll_idea_vote(request: HttpRequest, code: str, idea: int) -> HttpResponse:
    found = _participant_or_rejoin(request, code)
    if isinstance(found, HttpResponse):
        return found
    poll, participant = found
    row = Idea.objects.filter(pk=idea, question__poll=poll, hidden=False).select_related(
        "question").first()
    if row is None or _idea_question(poll, row.question_id) is None:
        return _page(request, poll, participant, status=409, errors={
            "questions": gettext("That idea is no longer on the screen.")})
    try:
        services.idea_vote(idea=row, participant=participant,
                           on=request.POST.get("on", "1") == "1")
    except ValidationError as error:
        return _page(request, poll, participant, errors=error_list_by_field(error), status=409)
    return redirect(reverse("poll_join", args=[poll.code]) + f"#idea-{row.pk}")


@never_cache
def poll_state(request: HttpRequest, code: str) -> HttpResponse:
    """The poll's version, for the phones that joined it to know when to show the next
    question: one indexed read (the device's row joined to its poll) per look."""
    norm = services.normalise_poll_code(code)
    token = request.COOKIES.get(f"{COOKIE_PREFIX}{norm}", "")
    row = (Participant.objects.filter(token_hash=hash_token(token), poll__code=norm,
                                      poll__event__isnull=False)
           .values("poll__version", "poll__current_id", "poll__current__kind").first()
           if token and len(token) <= 64 else None)
    if row is None:
        # Not a phone of this poll: the guess throttle applies, as on the join page.
        refused = _guesses_refused(request, count=False) or _guesses_refused(request,
                                                                             count=True)
        return JsonResponse({"error": "Too many codes that match nothing." if refused
                             else "Join the poll first."}, status=429 if refused else 404)
    poll = {"version": row["poll__version"], "current_id": row["poll__current_id"],
            "current__kind": row["poll__current__kind"]}
    # Ideas arrive from other phones without a presenter step: their number is part of
    # the state while an ideas question is on the screen, so phones show new ones.
    ideas = (Idea.objects.filter(question_id=poll["current_id"], hidden=False).count()
             if poll["current__kind"] == QuestionKind.IDEAS else 0)
    etag = f'"v{poll["version"]}-i{ideas}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse({"version": poll["version"], "ideas": ideas})
    response["ETag"] = etag
    return response


urlpatterns: list[URLPattern] = [
    path("p/", poll_start, name="poll_start"),
    path("p/<str:code>/", poll_join, name="poll_join"),
    path("p/<str:code>/vote/", poll_vote, name="poll_vote"),
    path("p/<str:code>/state.json", poll_state, name="poll_state"),
    path("p/<str:code>/ideas/<int:question>/", poll_idea_add, name="poll_idea_add"),
    path("p/<str:code>/ideas/<int:idea>/vote/", poll_idea_vote, name="poll_idea_vote"),
]
