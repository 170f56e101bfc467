"""The respondent's pages: the introduction, one page per condition, then free text.

A respondent comes by an invitation link (one person) or by the assessment's open link
(anyone, kept to one response per device by a random key in a signed cookie). Each page
is saved to a draft when it is left; submitting turns the draft into an anonymous
response exactly once.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from tracelead.instruments import get_instrument

from . import services
from .models import (
    Assessment,
    AssessmentStatus,
    Invitation,
    OpenLinkSubmission,
    RaterKind,
    ResponseDraft,
)
from .questionnaire import (
    DONT_KNOW,
    PageInput,
    is_free_text_page,
    page_count,
    read_free_text_page,
    read_scale_page,
    scale_for_page,
)

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
DEVICE_COOKIE = "tl_device"
DEVICE_SALT = "tracelead.device"


@dataclass
class Link:
    assessment: Assessment
    invitation: Invitation | None
    device_key: str | None
    new_device: bool


def _problem(request: HttpRequest, *, status: int, title: str, body: str) -> HttpResponse:
    return render(
        request,
        "diagnostics/respond_problem.jinja",
        {"title": title, "body": body, "respondent_page": True},
        status=status,
    )


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _guess_rate() -> tuple[int, int]:
    """TRACELEAD_TOKEN_GUESS_RATE as (limit, seconds), e.g. "30/m" -> (30, 60)."""
    limit, _, unit = settings.TRACELEAD_TOKEN_GUESS_RATE.partition("/")
    return int(limit), PERIODS[unit.strip()[-1:] or "m"]


def _guesses_exceeded(request: HttpRequest, *, count: bool) -> bool:
    """Unknown links are counted per client address in fixed windows; past the limit,
    links answer 429. Checking only reads the cache, so a respondent's ordinary request
    costs no write; only a miss is counted."""
    limit, period = _guess_rate()
    window = int(time.time() // period)
    key = f"tracelead:token-guess:{request.META.get('REMOTE_ADDR', '')}:{window}"
    if not count:
        return int(cache.get(key) or 0) > limit
    try:
        misses = cache.incr(key)
    except ValueError:  # the first miss in this window
        # add() fails only if another request created the key meanwhile.
        misses = 1 if cache.add(key, 1, period) else cache.incr(key)
    return misses > limit


def _too_many(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        status=429,
        title="Too many attempts",
        body="Too many links that do not exist have been tried from here. "
        "Wait a few minutes, then check the link in your invitation.",
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    if _guesses_exceeded(request, count=True):
        return _too_many(request)
    return _problem(
        request,
        status=404,
        title="We could not find this questionnaire",
        body="Check that you copied the whole link from your invitation. "
        "If it still does not work, ask the person who sent it for a new link.",
    )


def _resolve(request: HttpRequest, token: str) -> Link | HttpResponse:
    if _guesses_exceeded(request, count=False):
        return _too_many(request)
    if not TOKEN_PATTERN.match(token):
        return _not_found(request)
    invitation = (
        Invitation.objects.select_related("assessment", "assessment__group")
        .filter(token=token)
        .first()
    )
    if invitation is not None:
        link = Link(invitation.assessment, invitation, None, False)
    else:
        assessment = Assessment.objects.select_related("group").filter(open_token=token).first()
        if assessment is None:
            return _not_found(request)
        device_key = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
        new_device = not device_key
        link = Link(assessment, None, device_key or secrets.token_urlsafe(32), new_device)
    status = link.assessment.status
    if status == AssessmentStatus.CLOSED:
        return _problem(
            request,
            status=410,
            title="This questionnaire has closed",
            body=f"It closed on {link.assessment.closes_on:%-d %B %Y}. "
            "Thank you for your interest.",
        )
    if status == AssessmentStatus.SCHEDULED:
        return _problem(
            request,
            status=403,
            title="This questionnaire is not open yet",
            body=f"It opens on {link.assessment.opens_on:%-d %B %Y}. Please come back then.",
        )
    if _already_submitted(link):
        return _used(request)
    return link


def _already_submitted(link: Link) -> bool:
    if link.invitation is not None:
        return Invitation.objects.filter(pk=link.invitation.pk, used=True).exists()
    return OpenLinkSubmission.objects.filter(
        assessment=link.assessment, device_hash=services.device_hash(link.device_key or "")
    ).exists()


def _used(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        status=410,
        title="This link has been used",
        body="Answers have already been submitted with this link, and they have been counted "
        "once. Thank you for taking part.",
    )


def _draft(link: Link) -> ResponseDraft | None:
    if link.invitation is not None:
        return ResponseDraft.objects.filter(invitation=link.invitation).first()
    if link.new_device:
        return None
    return ResponseDraft.objects.filter(
        assessment=link.assessment, device_hash=services.device_hash(link.device_key or "")
    ).first()


def _with_device(response: HttpResponse, link: Link) -> HttpResponse:
    if link.invitation is None and link.new_device and link.device_key:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            link.device_key,
            salt=DEVICE_SALT,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@never_cache
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The introduction: why we ask, how anonymity is protected, how long it takes."""
    try:
        return _respond(request, token)
    except services.NotAcceptingResponses:
        return _closed_now(request)


def _respond(request: HttpRequest, token: str) -> HttpResponse:
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    assessment = link.assessment
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    draft = _draft(link)
    if request.method == "GET" and draft is not None and draft.page >= 1:
        return redirect("respond_page", token=token, page=draft.page)

    kinds = assessment.rater_kinds if link.invitation is None else [link.invitation.rater_kind]
    errors = []
    if request.method == "POST":
        kind = request.POST.get("rater_kind") or (kinds[0] if len(kinds) == 1 else "")
        if kind not in kinds:
            errors.append({"text": "Choose how you know this group", "href": "#rater_kind"})
        else:
            try:
                draft = services.draft_start(
                    assessment=assessment,
                    invitation=link.invitation,
                    device_key=link.device_key,
                    rater_kind=kind,
                )
            except services.AlreadySubmitted:
                return _used(request)
            except ValidationError:
                errors.append({"text": "Choose how you know this group", "href": "#rater_kind"})
            else:
                try:
                    services.draft_save(draft=draft, page=1)
                except services.AlreadySubmitted:
                    return _used(request)
                return _with_device(redirect("respond_page", token=token, page=1), link)

    context = {
        "respondent_page": True,
        "assessment": assessment,
        "instrument": instrument,
        "token": token,
        "group": assessment.group,
        "kinds": [(kind, RaterKind(kind).label) for kind in kinds],
        "choose_kind": len(kinds) > 1,
        "pages": page_count(instrument),
        "form_errors": errors,
    }
    response = render(
        request, "diagnostics/respond_intro.jinja", context, status=400 if errors else 200
    )
    return _with_device(response, link)


@never_cache
def respond_page(request: HttpRequest, token: str, page: int) -> HttpResponse:
    try:
        return _respond_page(request, token, page)
    except services.AlreadySubmitted:
        # Another request from the same link submitted while this one was on its way.
        return _used(request)
    except services.NotAcceptingResponses:
        # The round closed between loading the page and sending it.
        return _closed_now(request)


def _closed_now(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        status=410,
        title="This questionnaire has closed",
        body="It closed before your answers on this page could be saved. "
        "Thank you for your interest.",
    )


def _respond_page(request: HttpRequest, token: str, page: int) -> HttpResponse:
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    draft = _draft(link)
    if draft is None:
        return redirect("respond", token=token)
    assessment = link.assessment
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    last = page_count(instrument)
    if not 1 <= page <= last:
        return _not_found(request)
    scale = scale_for_page(instrument, page)
    checked = PageInput()
    values: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "next")
        if scale is not None:
            checked = read_scale_page(instrument, scale, request.POST, require_all=action != "back")
        else:
            checked = read_free_text_page(instrument, request.POST)
        crafted = any(e.message.startswith("Choose one of") for e in checked.errors)
        going_back = action == "back" and not crafted
        # The page to resume at, saved with the answers in one transaction (one write per
        # page, not two: this is the busiest write of the questionnaire).
        if going_back:
            bookmark = max(page - 1, 1)
        elif not checked.errors and not (action == "submit" and page == last):
            bookmark = min(page + 1, last)
        else:
            bookmark = page
        keep = not crafted and bool(checked.answers or checked.free_text or scale is None)
        if keep or bookmark != draft.page:
            draft = services.draft_save(
                draft=draft,
                page=bookmark,
                answers=checked.answers if keep else None,
                free_text=checked.free_text
                if keep and scale is None and not checked.errors
                else None,
                replace_free_text=scale is None,
            )
        if going_back:
            if page - 1 < 1:
                return redirect("respond_intro_again", token=token)
            return redirect("respond_page", token=token, page=page - 1)
        if not checked.errors:
            if action == "submit" and page == last:
                try:
                    services.response_submit(draft_id=draft.pk)
                except services.IncompleteResponse as incomplete:
                    services.draft_save(draft=draft, page=incomplete.page)
                    return redirect(
                        reverse("respond_page", args=[token, incomplete.page]) + "?incomplete=1"
                    )
                except services.AlreadySubmitted:
                    return _used(request)
                return redirect("respond_thanks")
            return redirect("respond_page", token=token, page=bookmark)
        values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    else:
        if draft.page != page:
            services.draft_save(draft=draft, page=page)
        values = {
            key: (DONT_KNOW if value is None else str(value))
            for key, value in draft.answers.items()
        }
        values.update(draft.free_text)

    error_by_field = {error.field: error.message for error in checked.errors}
    context = {
        "respondent_page": True,
        "assessment": assessment,
        "instrument": instrument,
        "token": token,
        "page": page,
        "last": last,
        "scale": scale,
        "free_text_page": is_free_text_page(instrument, page),
        "values": values,
        "errors": error_by_field,
        "form_errors": [{"text": e.message, "href": f"#{e.field}"} for e in checked.errors],
        "incomplete": request.GET.get("incomplete") == "1",
        "dont_know": DONT_KNOW,
        "back_href": reverse("respond_page", args=[token, page - 1])
        if page > 1
        else reverse("respond_intro_again", args=[token]),
    }
    status = 400 if checked.errors else 200
    return render(request, "diagnostics/respond_page.jinja", context, status=status)


@never_cache
def respond_intro_again(request: HttpRequest, token: str) -> HttpResponse:
    """The introduction, reached with the back link once a draft exists."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    assessment = link.assessment
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    draft = _draft(link)
    return render(
        request,
        "diagnostics/respond_intro.jinja",
        {
            "respondent_page": True,
            "assessment": assessment,
            "instrument": instrument,
            "token": token,
            "group": assessment.group,
            "pages": page_count(instrument),
            "resume_page": draft.page if draft and draft.page >= 1 else 1,
            "kinds": [],
            "choose_kind": False,
        },
    )


def respond_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "diagnostics/respond_thanks.jinja", {"respondent_page": True})
