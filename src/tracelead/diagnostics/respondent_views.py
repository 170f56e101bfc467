"""The respondent's pages: the introduction, one page per condition, then free text.

A respondent comes by an invitation link (one person) or by the assessment's open link
(anyone, kept to one response per device by a random key in a signed cookie, or, when the
round verifies addresses, to one response per confirmed email address). Each page is
saved to a draft when it is left; submitting turns the draft into an anonymous response
exactly once.

Drafts are the respondent's alone. A personal link's draft is bound to the device that
started it by a random key in a signed, HttpOnly cookie for that link (only its hash is
stored). Any other device that opens the link (the facilitator's copy, say) gets one page,
the same whether the draft is held elsewhere or already submitted, which asks for the
resume code the respondent was shown; the right code moves the draft there. Tries are
throttled per link. A link never started shows the introduction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited

from tracelead.core.language import bilingual
from tracelead.core.throttles import ratelimit_address, wait_words
from tracelead.instruments import Instrument, Scale, get_instrument

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
# One cookie per personal link ("<key>.<resume code>"), per verified open-link draft, and
# per pending email code; the salt binds each signature to its cookie's name.
HOLDER_COOKIE = "tl_link_{pk}"
HOLDER_SALT = "tracelead.holder"
VERIFIED_COOKIE = "tl_open_{pk}"
VERIFIED_SALT = "tracelead.verified"
PENDING_COOKIE = "tl_code_{pk}"
PENDING_SALT = "tracelead.code"

MINE, FRESH, ELSEWHERE = "mine", "fresh", "elsewhere"


@dataclass
class Link:
    assessment: Assessment
    invitation: Invitation | None
    device_key: str | None
    new_device: bool
    # A personal link's device key and resume code: from its cookie, or new.
    holder_key: str = ""
    resume_code: str = ""
    new_holder: bool = False


def _problem(request: HttpRequest, *, status: int, title: str, body: str) -> HttpResponse:
    return render(
        request,
        "diagnostics/respond_problem.jinja",
        {"title": title, "body": body, "respondent_page": True},
        status=status,
    )


def _guess_refused(request: HttpRequest) -> bool:
    """Count one look-up of a link that does not exist, per client address; True once
    the address is past TRACELEAD_TOKEN_GUESS_RATE. Only misses are counted and only a
    miss is ever refused: a valid link, and a respondent part-way through, always get
    their page, however many guesses others behind the same address have made."""
    return is_ratelimited(
        request,
        group="link-guess",
        key=ratelimit_address,
        rate=settings.TRACELEAD_TOKEN_GUESS_RATE,
        increment=True,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    if _guess_refused(request):
        wait = wait_words(settings.TRACELEAD_TOKEN_GUESS_RATE)
        return _problem(
            request,
            status=429,
            title=_("Too many attempts"),
            body=_("Too many links that do not exist have been tried from here. "
                   "Wait %(wait)s, then check the link in your invitation.") % {"wait": wait},
        )
    return _problem(
        request,
        status=404,
        title=_("We could not find this questionnaire"),
        body=_("Check that you copied the whole link from your invitation. "
               "If it still does not work, ask the person who sent it for a new link."),
    )


def _resolve(request: HttpRequest, token: str) -> Link | HttpResponse:
    if not TOKEN_PATTERN.match(token):
        return _not_found(request)
    invitation = (
        Invitation.objects.select_related("assessment", "assessment__group")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is not None:
        key, code = _read_holder(request, invitation)
        link = Link(
            invitation.assessment,
            invitation,
            None,
            False,
            holder_key=key or secrets.token_urlsafe(32),
            resume_code=code or services.new_resume_code(),
            new_holder=not key,
        )
    else:
        assessment = Assessment.objects.select_related("group").filter(open_token=token).first()
        if assessment is None:
            return _not_found(request)
        if assessment.open_link_verify:
            # The key of a confirmed address's draft; only confirming a code makes one.
            verified = request.get_signed_cookie(
                VERIFIED_COOKIE.format(pk=assessment.pk), default=None, salt=VERIFIED_SALT
            )
            link = Link(assessment, None, verified, not verified)
        else:
            device_key = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
            new_device = not device_key
            link = Link(assessment, None, device_key or secrets.token_urlsafe(32), new_device)
    status = link.assessment.status
    if status == AssessmentStatus.CLOSED:
        return _problem(
            request,
            status=410,
            title=_("This questionnaire has closed"),
            body=_("It closed on %(date)s. Thank you for your interest.")
            % {"date": date_format(link.assessment.closes_on, "j F Y")},
        )
    if status == AssessmentStatus.SCHEDULED:
        return _problem(
            request,
            status=403,
            title=_("This questionnaire is not open yet"),
            body=_("It opens on %(date)s. Please come back then.")
            % {"date": date_format(link.assessment.opens_on, "j F Y")},
        )
    # A device that submitted on the open link is told so (it is the respondent's own
    # device). A personal link never says so: see _invitation_state.
    if link.invitation is None and _device_submitted(link):
        return _used_on_this_device(request, token, link.assessment)
    return link


def _device_submitted(link: Link) -> bool:
    if link.new_device or link.assessment.open_link_verify:
        return False
    return OpenLinkSubmission.objects.filter(
        assessment=link.assessment, device_hash=services.device_hash(link.device_key or "")
    ).exists()


def _read_holder(request: HttpRequest, invitation: Invitation) -> tuple[str, str]:
    """This link's device key and resume code from its signed cookie ("" if none)."""
    value = request.get_signed_cookie(
        HOLDER_COOKIE.format(pk=invitation.pk), default=None, salt=HOLDER_SALT
    )
    key, _dot, code = (value or "").partition(".")
    return (key, code) if key and code else ("", "")


def _invitation_state(link: Link, invitation: Invitation) -> tuple[str, ResponseDraft | None]:
    """MINE (with the draft), FRESH (never started) or ELSEWHERE, for ``link.invitation``.

    ELSEWHERE covers both a draft bound to another device and a submitted link, so the
    holder of a copy of the link cannot tell the one from the other.
    """
    draft = ResponseDraft.objects.filter(invitation=invitation).first()
    if draft is None:
        submitted = invitation.used and not invitation.reissued_after_use
        return (ELSEWHERE if submitted else FRESH), None
    if not draft.holder_hash:
        # Saved before drafts were bound to devices: the next device to start binds it.
        return FRESH, None
    if not link.new_holder and constant_time_compare(
        draft.holder_hash, services.device_hash(link.holder_key)
    ):
        return MINE, draft
    return ELSEWHERE, None


def _elsewhere(
    request: HttpRequest, link: Link, token: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    """The one page for a personal link started on another device or already submitted."""
    return render(
        request,
        "diagnostics/respond_elsewhere.jinja",
        {
            "respondent_page": True,
            "token": token,
            "group": link.assessment.group,
            "error": error,
            "form_errors": [{"text": error, "href": "#code"}] if error else [],
        },
        status=status,
    )


def _used(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        status=410,
        title=_("This link has been used"),
        body=_("Answers have already been submitted with this link, and they have been "
               "counted once. Thank you for taking part."),
    )


def _used_on_this_device(request: HttpRequest, token: str, assessment: Assessment
                         ) -> HttpResponse:
    """The open link on a device that has answered: the next person there may answer too.

    A ward's shared computer is one device for many people, so the page does not say the
    survey is over; it offers a fresh start as another person (``respond_another``).
    """
    return render(request, "diagnostics/respond_used_device.jinja",
                  {"respondent_page": True, "token": token,
                   "instrument": _instrument_of(assessment)})


@never_cache
@bilingual
def respond_another(request: HttpRequest, token: str) -> HttpResponse:
    """Start afresh on the open link as another person on a shared device (POST only).

    The device gets a new random key, so the next person has a draft of their own and
    never sees the answers of the one before. Only a plain open link does this: a personal
    link belongs to one person, and a verifying open link already counts one response per
    confirmed email address, which its own pages enforce.
    """
    if not TOKEN_PATTERN.match(token):
        return _not_found(request)
    if request.method != "POST":
        return redirect("respond", token=token)
    assessment = Assessment.objects.filter(open_token=token).first()
    if assessment is None:
        return _not_found(request)
    response = redirect("respond", token=token)
    if not assessment.open_link_verify and assessment.status == AssessmentStatus.OPEN:
        _set_cookie(response, DEVICE_COOKIE, secrets.token_urlsafe(32), salt=DEVICE_SALT,
                    max_age=365 * 24 * 3600)
    return response


def _draft(link: Link) -> ResponseDraft | None:
    """The draft this request may read: its own, never another device's."""
    if link.invitation is not None:
        return _invitation_state(link, link.invitation)[1]
    if link.new_device:
        return None
    return ResponseDraft.objects.filter(
        assessment=link.assessment, device_hash=services.device_hash(link.device_key or "")
    ).first()


def _set_cookie(
    response: HttpResponse, name: str, value: str, *, salt: str, max_age: int
) -> None:
    response.set_signed_cookie(
        name,
        value,
        salt=salt,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _until_close(assessment: Assessment) -> int:
    """Seconds a respondent's cookie needs: until a day after the round closes."""
    return max((assessment.closes_on - timezone.localdate()).days + 2, 1) * 86400


def _with_device(response: HttpResponse, link: Link) -> HttpResponse:
    if link.invitation is not None:
        if link.new_holder:
            _set_cookie(
                response,
                HOLDER_COOKIE.format(pk=link.invitation.pk),
                f"{link.holder_key}.{link.resume_code}",
                salt=HOLDER_SALT,
                max_age=_until_close(link.assessment),
            )
    elif link.new_device and link.device_key and not link.assessment.open_link_verify:
        _set_cookie(
            response, DEVICE_COOKIE, link.device_key, salt=DEVICE_SALT, max_age=365 * 24 * 3600
        )
    return response


def _open_kinds(assessment: Assessment) -> list[str]:
    """Who may answer on the open link: never "self", which only a self link may give."""
    return [kind for kind in assessment.rater_kinds if kind != RaterKind.SELF]


@never_cache
@bilingual
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
    instrument = _instrument_of(assessment)
    moved_on = _past_introduction(request, link, token)
    if moved_on is not None:
        return moved_on
    kinds = _open_kinds(assessment) if link.invitation is None else [link.invitation.rater_kind]
    if not kinds:
        return _problem(
            request,
            status=404,
            title=_("This questionnaire is answered by personal link only"),
            body=_("Use the personal link you were sent. If you do not have one, ask the "
                   "person who organised this questionnaire."),
        )
    if link.invitation is None and assessment.open_link_verify:
        return _verify_start(request, link, token, kinds)
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        kind = _posted_kind(request, kinds)
        started = _start_draft(request, link, token, kind) if kind in kinds else None
        if started is not None:
            return started
        # An unknown kind, or one the service refused: the same error either way.
        errors.append(_kind_error())
    response = render(
        request,
        "diagnostics/respond_intro.jinja",
        _intro_context(link, token, instrument, kinds, errors, chosen=_chosen_kind(request)),
        status=400 if errors else 200,
    )
    # A personal link's cookie is set only when its draft is bound (on starting).
    return _with_device(response, link) if link.invitation is None else response


def _instrument_of(assessment: Assessment) -> Instrument:
    # In the respondent's language where the instrument has it: the same keys, so answers
    # are stored (and reported) exactly as in English.
    return get_instrument(assessment.instrument_key, assessment.instrument_version).in_language(
        get_language()
    )


def _past_introduction(request: HttpRequest, link: Link, token: str) -> HttpResponse | None:
    """Where a link whose introduction is behind it goes instead (None: show it).

    A personal link held on another device or already submitted gets the one page that
    does not tell which; a started draft resumes at its page (on a verifying open link,
    even when the introduction's form is posted again).
    """
    if link.invitation is not None:
        state, draft = _invitation_state(link, link.invitation)
        if state == ELSEWHERE:
            return _elsewhere(request, link, token)
    else:
        draft = _draft(link)
    if draft is not None and draft.page >= 1 and (
        request.method == "GET" or link.assessment.open_link_verify
    ):
        return redirect("respond_page", token=token, page=draft.page)
    return None


def _posted_kind(request: HttpRequest, kinds: list[str]) -> str:
    """The rater kind posted, or the only one there is when the form did not ask."""
    return request.POST.get("rater_kind") or (kinds[0] if len(kinds) == 1 else "")


def _chosen_kind(request: HttpRequest) -> str:
    """The kind the radios show as checked when the introduction comes back."""
    return request.POST.get("rater_kind", "") if request.method == "POST" else ""


def _kind_error() -> dict[str, str]:
    return {"text": _("Choose how you know this group"), "href": "#rater_kind"}


def _start_draft(request: HttpRequest, link: Link, token: str, kind: str) -> HttpResponse | None:
    """Start (or bind) this link's draft and go to its page; None if ``kind`` is refused."""
    try:
        draft = services.draft_start(
            assessment=link.assessment,
            invitation=link.invitation,
            device_key=link.device_key,
            rater_kind=kind,
            holder_key=link.holder_key if link.invitation is not None else None,
            resume_code=link.resume_code,
        )
    except (services.AlreadySubmitted, services.DraftHeldElsewhere):
        if link.invitation is not None:
            return _elsewhere(request, link, token)
        return _used(request)
    except ValidationError:
        return None
    if draft.page < 1:
        try:
            draft = services.draft_save(draft=draft, page=1)
        except services.AlreadySubmitted:
            return _used(request)
    return _with_device(redirect("respond_page", token=token, page=draft.page), link)


def _intro_context(
    link: Link,
    token: str,
    instrument: Any,
    kinds: list[str],
    errors: list[dict[str, str]],
    *,
    chosen: str = "",
) -> dict[str, Any]:
    assessment = link.assessment
    return {
        "respondent_page": True,
        "assessment": assessment,
        "instrument": instrument,
        "token": token,
        "group": assessment.group,
        **_runner_context(assessment),
        # The radios keep the choice made when the page comes back with an error.
        "kind_items": [
            {"value": kind, "text": _kind_label(kind), "checked": kind == chosen}
            for kind in kinds
        ],
        "choose_kind": len(kinds) > 1,
        "pages": page_count(instrument),
        "form_errors": errors,
        "personal": link.invitation is not None,
        "self_link": link.invitation is not None
        and link.invitation.rater_kind == RaterKind.SELF,
    }


def _kind_label(kind: str) -> str:
    labels = {
        RaterKind.SELF: _("Self (the leader rating themselves)"),
        RaterKind.MEMBER: _("Member of the group"),
        RaterKind.STAKEHOLDER: _("Stakeholder outside the group"),
    }
    return labels.get(kind, RaterKind(kind).label)  # type: ignore[call-overload]


EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_LIKE = re.compile(r"^\+?[0-9][0-9 ()-]{5,}$")


def _runner_context(assessment: Assessment) -> dict[str, Any]:
    """Who runs the questionnaire and how to reach them, as the system has set it."""
    system = assessment.group.system
    contact = system.survey_contact.strip()
    if EMAIL_LIKE.match(contact):
        href = f"mailto:{contact}"
    elif PHONE_LIKE.match(contact):
        href = "tel:" + re.sub(r"[^0-9+]", "", contact)
    else:
        href = ""
    return {
        "system": system,
        "runner": system.survey_runner.strip()
        or _("the facilitators of %(system)s") % {"system": system.name},
        "contact": contact,
        "contact_href": href,
    }


@never_cache
@bilingual
def respond_privacy(request: HttpRequest, token: str) -> HttpResponse:
    """The privacy notice of the link's system: its own text, or the standard one.

    Read-only and cookie-free, so that reading it never starts or binds a draft.
    """
    if not TOKEN_PATTERN.match(token):
        return _not_found(request)
    invitation = (Invitation.objects.select_related("assessment__group__system")
                  .filter(token_hash=Invitation.hash_token(token)).first())
    assessment = invitation.assessment if invitation is not None else (
        Assessment.objects.select_related("group__system").filter(open_token=token).first())
    if assessment is None:
        return _not_found(request)
    context = _runner_context(assessment)
    notice = context["system"].privacy_notice.strip()
    return render(request, "diagnostics/respond_privacy.jinja", {
        **context,
        "respondent_page": True,
        "instrument": _instrument_of(assessment),
        "token": token,
        "paragraphs": [p.strip() for p in notice.split("\n\n") if p.strip()],
        "assessment": assessment,
        "back_href": reverse("respond", args=[token]),
        "back_text": _("Back to the introduction"),
    })


def _verify_start(
    request: HttpRequest, link: Link, token: str, kinds: list[str]
) -> HttpResponse:
    """A verifying open link's introduction: ask for an email address and send a code."""
    assessment = link.assessment
    instrument = _instrument_of(assessment)
    errors: list[dict[str, str]] = []
    status = 200
    email = ""
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip()[:254]
        kind = _posted_kind(request, kinds)
        sent = _send_code(request, assessment, token, kind=kind, kinds=kinds, email=email)
        if isinstance(sent, HttpResponse):
            return sent
        errors, status = sent
        if errors and status == 200:
            status = 400
    context = _intro_context(link, token, instrument, kinds, errors, chosen=_chosen_kind(request))
    from .open_link_sso import providers_for  # it imports this module

    context.update(
        {
            "verify": True,
            "providers": providers_for(assessment),
            "email": email,
            "domains_text": _(" or ").join(f"@{d}" for d in services.allowed_domains(assessment)),
            "error_by_field": {e["href"][1:]: e["text"] for e in errors},
        }
    )
    return render(request, "diagnostics/respond_intro.jinja", context, status=status)


def _send_code(
    request: HttpRequest,
    assessment: Assessment,
    token: str,
    *,
    kind: str,
    kinds: list[str],
    email: str,
) -> HttpResponse | tuple[list[dict[str, str]], int]:
    """Email a code for ``email`` and go to the page that asks for it; or the errors to
    show with their status (200 where the caller decides, 429 throttled, 503 unsent)."""
    if kind not in kinds:
        return [_kind_error()], 200
    if not email:
        return [{"text": _("Enter your email address"), "href": "#email"}], 200
    if is_ratelimited(
        request,
        group="open-link-code",
        key=lambda _group, _request: services.open_link_email_hash(assessment, email),
        rate=settings.TRACELEAD_EMAIL_CODE_RATE,
        increment=True,
    ):
        wait = wait_words(settings.TRACELEAD_EMAIL_CODE_RATE)
        text = _("Too many codes have been asked for this address. Wait %(wait)s, then try "
                 "again") % {"wait": wait}
        return [{"text": text, "href": "#email"}], 429
    pending = secrets.token_urlsafe(32)
    try:
        services.open_link_code_send(
            assessment=assessment, email=email, rater_kind=kind, pending_key=pending
        )
    except ValidationError as error:
        return [
            {"text": m, "href": f"#{field}"}
            for field, messages in error.message_dict.items()
            for m in messages
        ], 200
    except services.CodeNotSent:
        text = _("We could not send the code just now. Try again in a few minutes")
        return [{"text": text, "href": "#email"}], 503
    response = redirect("respond_verify", token=token)
    _set_cookie(
        response,
        PENDING_COOKIE.format(pk=assessment.pk),
        pending,
        salt=PENDING_SALT,
        max_age=int(services.CODE_LIFETIME.total_seconds()),
    )
    return response


@never_cache
@bilingual
def respond_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Enter the one-time code sent by email; the right code starts the draft here."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    assessment = link.assessment
    if link.invitation is not None or not assessment.open_link_verify:
        return redirect("respond", token=token)
    pending = request.get_signed_cookie(
        PENDING_COOKIE.format(pk=assessment.pk), default=None, salt=PENDING_SALT
    )
    if not pending:
        return redirect("respond", token=token)
    error = ""
    if request.method == "POST":
        confirmed = _confirm_code(request, assessment, token, pending)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        error = confirmed
    return render(
        request,
        "diagnostics/respond_verify.jinja",
        {
            "respondent_page": True,
            "token": token,
            "group": assessment.group,
            "minutes": int(services.CODE_LIFETIME.total_seconds() // 60),
            "error": error,
            "form_errors": [{"text": error, "href": "#code"}] if error else [],
        },
        status=400 if error else 200,
    )


def _confirm_code(
    request: HttpRequest, assessment: Assessment, token: str, pending: str
) -> HttpResponse | str:
    """Check the posted code: on success the draft is bound to a new verified key and the
    respondent goes to its page; otherwise the page to show, or the error to repeat."""
    pending_cookie = PENDING_COOKIE.format(pk=assessment.pk)
    code = (request.POST.get("code") or "")[:20]
    device_key = secrets.token_urlsafe(32)
    try:
        draft = services.open_link_code_confirm(
            assessment=assessment, pending_key=pending, code=code, device_key=device_key
        )
    except services.CodeProblem as problem:
        return str(problem)
    except services.AlreadySubmitted:
        response = _already_answered(request)
        response.delete_cookie(pending_cookie)
        return response
    except services.NotAcceptingResponses:
        return _closed_now(request)
    response = _verified_draft_page(assessment, token, draft, device_key)
    response.delete_cookie(pending_cookie)
    return response


def _already_answered(request: HttpRequest) -> HttpResponse:
    """The address was confirmed (by a code or a provider), and it has answered already."""
    return _problem(
        request,
        status=410,
        title=_("You have already answered"),
        body=_("Answers have already been submitted with this email address, and they "
               "have been counted once. Thank you for taking part."),
    )


def _verified_draft_page(
    assessment: Assessment, token: str, draft: Any, device_key: str
) -> HttpResponse:
    """On to the draft's page, with the cookie that binds this browser to the confirmed
    address's draft until the round closes."""
    if draft.page < 1:
        draft = services.draft_save(draft=draft, page=1)
    response = redirect("respond_page", token=token, page=draft.page)
    _set_cookie(
        response,
        VERIFIED_COOKIE.format(pk=assessment.pk),
        device_key,
        salt=VERIFIED_SALT,
        max_age=_until_close(assessment),
    )
    return response


@never_cache
@bilingual
def respond_resume(request: HttpRequest, token: str) -> HttpResponse:
    """Move a personal link's draft to this device with its resume code (throttled)."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    invitation = link.invitation
    if invitation is None or request.method != "POST":
        return redirect("respond", token=token)
    code = services.normalise_resume_code(request.POST.get("code") or "")
    if not code:
        return _elsewhere(
            request, link, token, error=_("Enter your resume code, like ABCD-EF23"), status=400
        )
    if is_ratelimited(
        request,
        group="resume-code",
        key=lambda _group, _request: f"invitation:{invitation.pk}",
        rate=settings.TRACELEAD_RESUME_RATE,
        increment=True,
    ):
        wait = wait_words(settings.TRACELEAD_RESUME_RATE)
        return _elsewhere(
            request,
            link,
            token,
            error=_("Too many resume codes have been tried with this link. Wait %(wait)s, "
                    "then try again") % {"wait": wait},
            status=429,
        )
    holder_key = secrets.token_urlsafe(32)
    if not services.draft_move_to_device(invitation=invitation, code=code, holder_key=holder_key):
        return _elsewhere(
            request,
            link,
            token,
            error=_("The resume code does not match. Check it and try again"),
            status=400,
        )
    response = redirect("respond", token=token)
    _set_cookie(
        response,
        HOLDER_COOKIE.format(pk=invitation.pk),
        f"{holder_key}.{code[:4]}-{code[4:]}",
        salt=HOLDER_SALT,
        max_age=_until_close(link.assessment),
    )
    return response


@never_cache
@bilingual
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
        title=_("This questionnaire has closed"),
        body=_("It closed before your answers on this page could be saved. "
               "Thank you for your interest."),
    )


def _respond_page(request: HttpRequest, token: str, page: int) -> HttpResponse:
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    draft = _draft(link)
    if draft is None:
        return redirect("respond", token=token)
    instrument = _instrument_of(link.assessment)
    last = page_count(instrument)
    if not 1 <= page <= last:
        return _not_found(request)
    scale = scale_for_page(instrument, page)
    if request.method == "POST":
        checked = _save_page(request, token, draft, instrument, scale, page=page, last=last)
        if isinstance(checked, HttpResponse):
            return checked
        values: Mapping[str, object] = {
            k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"
        }
    else:
        checked = PageInput()
        if draft.page != page:
            services.draft_save(draft=draft, page=page)
        values = _saved_values(draft)
    return _questionnaire_page(
        request, link, token, instrument, scale,
        page=page, last=last, checked=checked, values=values,
    )


def _save_page(
    request: HttpRequest,
    token: str,
    draft: ResponseDraft,
    instrument: Instrument,
    scale: Scale | None,
    *,
    page: int,
    last: int,
) -> HttpResponse | PageInput:
    """Save a posted page and go where its button leads (back, on, or submit), or return
    the checked input when the page has to be shown again with its errors."""
    action = request.POST.get("action", "next")
    if scale is not None:
        checked = read_scale_page(instrument, scale, request.POST, require_all=action != "back")
    else:
        checked = read_free_text_page(instrument, request.POST)
    going_back = action == "back" and not checked.crafted
    submitting = action == "submit" and page == last
    # The page to resume at, saved with the answers in one transaction (one write per
    # page, not two: this is the busiest write of the questionnaire).
    if going_back:
        bookmark = max(page - 1, 1)
    elif not checked.errors and not submitting:
        bookmark = min(page + 1, last)
    else:
        bookmark = page
    draft = _save_answers(draft, checked, scale, bookmark=bookmark)
    if going_back:
        if page - 1 < 1:
            return redirect("respond_intro_again", token=token)
        return redirect("respond_page", token=token, page=page - 1)
    if checked.errors:
        return checked
    if submitting:
        return _submit(request, token, draft)
    return redirect("respond_page", token=token, page=bookmark)


def _save_answers(
    draft: ResponseDraft, checked: PageInput, scale: Scale | None, *, bookmark: int
) -> ResponseDraft:
    """Save the page's answers (unless crafted or empty) with the bookmark, in one write;
    no write when there is nothing to keep and the bookmark has not moved."""
    keep = not checked.crafted and bool(checked.answers or checked.free_text or scale is None)
    if not keep and bookmark == draft.page:
        return draft
    return services.draft_save(
        draft=draft,
        page=bookmark,
        answers=checked.answers if keep else None,
        free_text=checked.free_text if keep and scale is None and not checked.errors else None,
        replace_free_text=scale is None,
    )


def _submit(request: HttpRequest, token: str, draft: ResponseDraft) -> HttpResponse:
    """Turn the draft into a response, exactly once; an incomplete one goes back to the
    first page that needs an answer."""
    try:
        services.response_submit(draft_id=draft.pk)
    except services.IncompleteResponse as incomplete:
        services.draft_save(draft=draft, page=incomplete.page)
        return redirect(reverse("respond_page", args=[token, incomplete.page]) + "?incomplete=1")
    except services.AlreadySubmitted:
        return _used(request)
    return redirect("respond_thanks")


def _saved_values(draft: ResponseDraft) -> dict[str, str]:
    """The draft's answers as the form's values ("don't know" for a None)."""
    values = {
        key: (DONT_KNOW if value is None else str(value)) for key, value in draft.answers.items()
    }
    values.update(draft.free_text)
    return values


def _questionnaire_page(
    request: HttpRequest,
    link: Link,
    token: str,
    instrument: Instrument,
    scale: Scale | None,
    *,
    page: int,
    last: int,
    checked: PageInput,
    values: Mapping[str, object],
) -> HttpResponse:
    error_by_field = {error.field: error.message for error in checked.errors}
    context = {
        "respondent_page": True,
        "assessment": link.assessment,
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
        # The top back link submits the page's form with action "back", so it saves the
        # answers on this page as "Save and go back" does.
        "back_form": "main-form",
        # Shown to the device that holds the draft, so it can be moved to another device.
        "resume_code": link.resume_code if link.invitation is not None else "",
    }
    status = 400 if checked.errors else 200
    return render(request, "diagnostics/respond_page.jinja", context, status=status)


@never_cache
@bilingual
def respond_intro_again(request: HttpRequest, token: str) -> HttpResponse:
    """The introduction, reached with the back link once a draft exists."""
    link = _resolve(request, token)
    if isinstance(link, HttpResponse):
        return link
    instrument = _instrument_of(link.assessment)
    draft = _draft(link)
    if draft is None:
        # Not started here (or not this device's draft): the introduction decides.
        return redirect("respond", token=token)
    context = _intro_context(link, token, instrument, [], [])
    context["resume_page"] = draft.page if draft.page >= 1 else 1
    return render(request, "diagnostics/respond_intro.jinja", context)


@bilingual
def respond_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "diagnostics/respond_thanks.jinja", {"respondent_page": True})
