"""The evaluation's pages: the programme lead's (the evaluation, its forms, impact
measures, quotes and the lead's words; the board PDF) and the respondents' (a form by
its code or QR code at the end of a session, or by a member's own emailed link)."""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.cache import never_cache

from tracelead.academy.models import Academy, Event, Member, Programme
from tracelead.core.audit import audit_record
from tracelead.core.forms import add_service_errors, error_list
from tracelead.core.models import AuditEvent
from tracelead.core.qr import qr_download
from tracelead.reports.views import _download

from . import exports, selectors, services
from .access import programme_for
from .forms import EvidenceForm, FormNewForm, MeasureForm, QuoteForm, ValueForm, WordsForm
from .models import Answer, Evidence, Form, FormKind, Measure, Quote, QuoteSource

COOKIE_PREFIX = "tl_eval_"
COOKIE_AGE = 30 * 24 * 3600


def _programme(request: HttpRequest, pk: int, programme: int) -> tuple[Academy, Programme]:
    """The academy and programme, for the academy's facilitators only (404 otherwise)."""
    return programme_for(request.user, pk, programme)


def _base(academy: Academy, programme: Programme, **extra: Any) -> dict[str, Any]:
    return {"academy": academy, "programme": programme,
            "back_href": reverse("evaluation", args=[academy.pk, programme.pk]),
            "back_text": "The evaluation", **extra}


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise Http404("No such page.")


# --- The evaluation -------------------------------------------------------------------------


@login_required
def evaluation_page(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    report = selectors.evaluation_report(row)
    return render(request, "evaluation/evaluation.jinja", {
        **_base(academy, row), "report": report, "mode": "page",
        "charts": exports.charts(report),
        "forms": list(Form.objects.filter(programme=row).select_related("event")),
        "back_href": reverse("academy_programme", args=[academy.pk, row.pk]),
        "back_text": row.name, "column_class": "nhsuk-grid-column-full",
        "import_url": reverse("evaluation_import", args=[academy.pk, row.pk]),
    })


@login_required
def evaluation_pdf(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    audit_record(user=request.user, action=AuditEvent.Action.EXPORTED,
                 what=f"evaluation of {row.name} (PDF)", system_id=academy.system_id)
    return _download(exports.evaluation_pdf(row))


# --- Forms ------------------------------------------------------------------------------------


@login_required
def form_new(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    form = FormNewForm(request.POST or None, programme=row,
                       initial={"event": request.GET.get("event")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        event = Event.objects.filter(programme=row, pk=data["event"]).first() \
            if data.get("event") else None
        try:
            made = services.form_create(programme=row, kind=data["kind"], event=event,
                                        send_on=data.get("send_on"),
                                        closes_on=data.get("closes_on"), by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added “{made.title}”.")
            return redirect("evaluation_form", academy.pk, row.pk, made.pk)
    return render(request, "evaluation/form_new.jinja", {
        **_base(academy, row), "form": form, "form_errors": error_list(form)},
        status=400 if form.errors else 200)


def _form_of(row: Programme, form_pk: int) -> Form:
    found = Form.objects.filter(programme=row, pk=form_pk).select_related("event").first()
    if found is None:
        raise Http404("No such form.")
    return found


@login_required
def form_detail(request: HttpRequest, pk: int, programme: int, form: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    found = _form_of(row, form)
    answers = found.submissions.count()
    return render(request, "evaluation/form_detail.jinja", {
        **_base(academy, row), "form": found, "items": list(found.items.all()),
        "answers": answers, "invited": found.invites.count(),
        "reminded": found.invites.filter(reminded_at__isnull=False).count(),
        "public_url": request.build_absolute_uri(reverse("evaluation_public", args=[found.code])),
        "threshold": selectors.network_threshold(academy),
    })


@login_required
def form_qr(request: HttpRequest, pk: int, programme: int, form: int) -> HttpResponse:
    _academy, row = _programme(request, pk, programme)
    found = _form_of(row, form)
    if not found.open_to_code:
        raise Http404("This form is answered by personal link only.")
    return qr_download(request.build_absolute_uri(reverse("evaluation_public",
                                                          args=[found.code])),
                       title=found.title, filename=f"tracelead-form-{found.code}")


# --- Impact -----------------------------------------------------------------------------------


@login_required
def impact_page(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    form = MeasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.measure_save(programme=row, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Added the measure “{made.name}”.")
            return redirect("evaluation_measure", academy.pk, row.pk, made.pk)
    return render(request, "evaluation/impact.jinja", {
        **_base(academy, row), "form": form, "form_errors": error_list(form),
        "measures": selectors.impact(row)}, status=400 if form.errors else 200)


def _measure_of(row: Programme, measure: int) -> Measure:
    found = Measure.objects.filter(programme=row, pk=measure).first()
    if found is None:
        raise Http404("No such measure.")
    return found


@login_required
def measure_page(request: HttpRequest, pk: int, programme: int, measure: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    found = _measure_of(row, measure)
    value_form = ValueForm(prefix="value")
    evidence_form = EvidenceForm(prefix="evidence")
    change_form = MeasureForm(prefix="change", initial={
        "name": found.name, "unit": found.unit, "better": found.better,
        "contribution": found.contribution})
    bound: Any = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "value":
                bound = value_form = ValueForm(request.POST, prefix="value")
                if value_form.is_valid():
                    services.measure_value_add(measure=found, **value_form.cleaned_data)
                    messages.success(request, "Added the value.")
                    return redirect("evaluation_measure", academy.pk, row.pk, found.pk)
            elif action == "evidence":
                bound = evidence_form = EvidenceForm(request.POST, request.FILES,
                                                     prefix="evidence")
                if evidence_form.is_valid():
                    services.evidence_add(measure=found, title=evidence_form.cleaned_data["title"],
                                          upload=evidence_form.cleaned_data["file"])
                    messages.success(request, "Attached the evidence.")
                    return redirect("evaluation_measure", academy.pk, row.pk, found.pk)
            elif action == "change":
                bound = change_form = MeasureForm(request.POST, prefix="change")
                if change_form.is_valid():
                    services.measure_save(programme=row, measure=found,
                                          **change_form.cleaned_data)
                    messages.success(request, "Saved the measure.")
                    return redirect("evaluation_measure", academy.pk, row.pk, found.pk)
            else:
                raise Http404("No such action.")
        except ValidationError as error:
            add_service_errors(bound, error)
    measure_row = next(m for m in selectors.impact(row) if m.pk == found.pk)
    errors = error_list(bound) if bound is not None else []
    return render(request, "evaluation/measure.jinja", {
        **_base(academy, row), "measure": found, "row": measure_row,
        "value_form": value_form, "evidence_form": evidence_form, "change_form": change_form,
        "form_errors": errors,
        "back_href": reverse("evaluation_impact", args=[academy.pk, row.pk]),
        "back_text": "Impact measures"}, status=400 if errors else 200)


@login_required
def evidence_download(request: HttpRequest, pk: int, programme: int, measure: int,
                      evidence: int) -> HttpResponse:
    _, row = _programme(request, pk, programme)
    found = get_object_or_404(Evidence, pk=evidence, measure=_measure_of(row, measure))
    extension = services.EVIDENCE_TYPES.get(found.content_type, "")
    response = FileResponse(found.file.open("rb"), content_type=found.content_type,
                            as_attachment=True, filename=f"evidence-{found.pk}{extension}")
    response["Cache-Control"] = "private, no-store"
    return response


# --- Quotes and the lead's words ------------------------------------------------------------


@login_required
def quotes_page(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    form = QuoteForm(request.POST or None) if request.POST.get("action") == "typed" \
        else QuoteForm()
    # Problems of pinning an answer or a theme's quote (there is no bound form to carry
    # them): shown in the page's error summary, as the typed form's are.
    problems: list[dict[str, str]] = []
    pinned_href = reverse("evaluation_quotes", args=[academy.pk, row.pk]) + "#pinned"
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "answer":
            answer = Answer.objects.filter(pk=_int(request.POST.get("answer")),
                                           submission__form__programme=row).select_related(
                "submission__form").first()
            level = _int(request.POST.get("level"))
            if answer is None or level not in (1, 2, 3, 4):
                raise Http404("No such answer.")
            source = {FormKind.REFLECTION: QuoteSource.REFLECTION,
                      FormKind.FOLLOW_UP: QuoteSource.FOLLOW_UP}.get(
                FormKind(answer.submission.form.kind), QuoteSource.FEEDBACK)
            done = _pin(request, problems, "#answers", programme=row, level=level,
                        text=answer.text, source=source, consent=False, answer=answer,
                        by=request.user)
            if done:
                return redirect(pinned_href)
        if action == "theme":
            from tracelead.words.models import PinnedQuote

            pin = PinnedQuote.objects.filter(_programme_pins(row),
                                             pk=_int(request.POST.get("pin"))).select_related(
                "theme__theme_set").first()
            level = _int(request.POST.get("level"))
            if pin is None or level not in (1, 2, 3, 4):
                raise Http404("No such quote.")
            # A form's answer carries its author's own choice; a poll's, the room's.
            theme_set = pin.theme.theme_set
            answer = (Answer.objects.filter(pk=theme_set.answer_ids[pin.index]).select_related(
                "submission__form").first() if theme_set.form_item_id is not None else None)
            if theme_set.form_item_id is not None and answer is None:
                raise Http404("No such quote.")
            done = _pin(request, problems, "#theme-pins", programme=row, level=level,
                        text=pin.text, source=QuoteSource.THEME, answer=answer,
                        consent=request.POST.get("consent") == "yes", by=request.user)
            if done:
                return redirect(pinned_href)
        if action == "remove":
            Quote.objects.filter(programme=row, pk=_int(request.POST.get("quote"))).delete()
            messages.success(request, "Removed the quote.")
            return redirect(reverse("evaluation_quotes", args=[academy.pk, row.pk]) + "#pinned")
        if action == "typed" and form.is_valid():
            try:
                services.quote_pin(programme=row, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Pinned the quote.")
                return redirect(reverse("evaluation_quotes", args=[academy.pk, row.pk])
                                + "#pinned")
    pinned = list(Quote.objects.filter(programme=row))
    pinned_answers = {q.answer_id for q in pinned if q.answer_id}
    errors = problems + error_list(form)
    return render(request, "evaluation/quotes.jinja", {
        **_base(academy, row), "form": form, "form_errors": errors,
        "pinned": pinned,
        "answers": [a for a in selectors.quotable_answers(row) if a.pk not in pinned_answers],
        "poll_texts": _poll_texts(row),
        "theme_pins": _theme_pins(row, {q.text for q in pinned}),
        "levels": [(1, "Reaction"), (2, "Learning"), (3, "Behaviour"), (4, "Impact")],
    }, status=400 if errors else 200)


def _pin(request: HttpRequest, problems: list[dict[str, str]], href: str,
         **pin: Any) -> bool:
    """Pin an answer or a theme's quote; False, with the problem added for the page's
    error summary, if the service refused it. An answer pinned already (a double click)
    is left as it is and the lead is told so."""
    try:
        services.quote_pin(**pin)
    except services.AlreadyPinned:
        messages.info(request, "That answer is already pinned.")
    except ValidationError as error:
        problems.extend({"text": str(message), "href": href} for message in error.messages)
        return False
    else:
        messages.success(request, "Pinned the quote.")
    return True


def _poll_texts(row: Programme) -> list[dict[str, Any]]:
    """Open-text, word and idea answers from the programme's live polls (no names), to
    copy into a quote with the room's consent."""
    from tracelead.polls.models import Poll
    from tracelead.polls.selectors import poll_texts

    texts: list[dict[str, Any]] = []
    for poll in Poll.objects.filter(event__programme=row).select_related("event"):
        texts += [{**t, "poll": poll.title} for t in poll_texts(poll) if t["text"].strip()]
    return texts[:100]


def _programme_pins(row: Programme) -> Q:
    """Pinned quotes of the themes of the programme's polls and forms."""
    return (Q(theme__theme_set__poll__event__programme=row)
            | Q(theme__theme_set__form_item__form__programme=row))


def _theme_pins(row: Programme, taken: set[str]) -> list[Any]:
    """Quotes pinned in the themes of the programme's polls and forms (tracelead.words),
    not yet pinned to a level here."""
    from tracelead.words.models import PinnedQuote

    return [p for p in PinnedQuote.objects.filter(_programme_pins(row)).select_related(
        "theme__theme_set") if p.text not in taken]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def words_page(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    academy, row = _programme(request, pk, programme)
    current = selectors.Evaluation.objects.filter(programme=row).first()
    form = WordsForm(request.POST or None, initial={
        "summary": current.summary if current else "",
        "recommendations": current.recommendations if current else ""})
    if request.method == "POST" and form.is_valid():
        services.evaluation_words_save(programme=row, **form.cleaned_data)
        messages.success(request, "Saved the summary and recommendations.")
        return redirect(reverse("evaluation", args=[academy.pk, row.pk]) + "#recommendations")
    from tracelead.core.forms import render_form

    return render_form(request, form, heading="Summary and recommendations",
                       submit="Save", back_href=reverse("evaluation", args=[academy.pk, row.pk]),
                       intro="What you write here opens the evaluation and its PDF, and closes "
                             "it with your recommendations.")


# --- Respondents ------------------------------------------------------------------------------


def _answer_page(request: HttpRequest, form: Form, *, member: Member | None,
                 device_hash: str = "", cookie: str = "") -> HttpResponse:
    items = list(form.items.all())
    done = False
    if member is not None:
        done = form.submissions.filter(member=member).exists()
    elif device_hash:
        done = form.submissions.filter(device_hash=device_hash).exists()
    context: dict[str, Any] = {"form": form, "items": items, "member": member, "errors": {},
                               "values": {}, "form_errors": [], "done": done,
                               "closed": not services.is_open(form)}
    if request.method == "POST" and not done and not context["closed"]:
        answers = services.clean_answers(items, request.POST)
        context["values"] = {item.pk: (request.POST.getlist(f"item-{item.pk}")
                                       if item.kind == "choices"
                                       else request.POST.get(f"item-{item.pk}", ""))
                             for item in items}
        if not answers.errors and not answers.values:
            answers.errors[items[0].pk] = "Answer at least one question"
        if not answers.errors:
            with contextlib.suppress(services.AlreadyAnswered):
                services.submission_save(form=form, answers=answers, member=member,
                                         device_hash=device_hash,
                                         quote_consent=request.POST.get("quote_consent") == "yes")
            response = render(request, "evaluation/answer_done.jinja", {"form": form})
            if cookie:
                response.set_cookie(COOKIE_PREFIX + form.code, cookie, max_age=COOKIE_AGE,
                                    httponly=True, samesite="Lax",
                                    secure=request.is_secure())
            return response
        context["errors"] = answers.errors
        context["form_errors"] = [{"text": message, "href": f"#item-{pk}"}
                                  for pk, message in answers.errors.items()]
    response = render(request, "evaluation/answer.jinja", context,
                      status=400 if context["form_errors"] else 200)
    if cookie:
        response.set_cookie(COOKIE_PREFIX + form.code, cookie, max_age=COOKIE_AGE,
                            httponly=True, samesite="Lax", secure=request.is_secure())
    return response


@never_cache
def public_form(request: HttpRequest, code: str) -> HttpResponse:
    """A form by its code (QR at the end of a session): no account, one answer a device."""
    form = Form.objects.filter(code=services.normalise_code(code), open_to_code=True).first()
    if form is None:
        raise Http404("No form has this code.")
    cookie = request.COOKIES.get(COOKIE_PREFIX + form.code, "")
    if not cookie or len(cookie) > 100:
        cookie = secrets.token_urlsafe(24)
    return _answer_page(request, form, member=None,
                        device_hash=services.device_digest(form, cookie), cookie=cookie)


@never_cache
def invite_form(request: HttpRequest, token: str) -> HttpResponse:
    """A form by the member's own emailed link: answers are paired across forms."""
    invite = services.invite_by_token(token)
    # A link sent before its form was opened to its code: the form is answered by its
    # code only now, or the member could be counted twice.
    if invite is None or invite.form.open_to_code:
        return render(request, "evaluation/answer_unknown.jinja", status=404)
    return _answer_page(request, invite.form, member=invite.member)


@never_cache
def member_form(request: HttpRequest, token: str, form: int) -> HttpResponse:
    """A form from the member's own page (their personal link)."""
    from tracelead.academy.services import member_by_token

    member = member_by_token(token)
    if member is None:
        return render(request, "evaluation/answer_unknown.jinja", status=404)
    # Offered to them as by email (services.offered_to): not a form open to its code (the
    # QR code in the room), nor an event's form if they did not check in to the event.
    found = Form.objects.filter(pk=form, programme__enrolments__member=member).first()
    if found is None or not services.is_offered(found, member):
        raise Http404("No such form.")
    return _answer_page(request, found, member=member)


def member_forms(member: Member) -> list[Form]:
    """Forms waiting for a member on their own page: those of their programmes offered to
    them (as by email, see ``services.offered_to``), open and not yet answered by them."""
    rows = Form.objects.filter(programme__enrolments__member=member, open_to_code=False
                               ).exclude(kind=FormKind.IMPORTED).distinct().order_by(
        "created_at")
    done = set(member.evaluation_submissions.values_list("form_id", flat=True))
    return [f for f in rows if f.pk not in done and services.is_open(f)
            and services.is_offered(f, member)]


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/", evaluation_page,
         name="evaluation"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation.pdf", evaluation_pdf,
         name="evaluation_pdf"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/forms/new/", form_new,
         name="evaluation_form_new"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/forms/<int:form>/",
         form_detail, name="evaluation_form"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/forms/<int:form>/qr.svg",
         form_qr, name="evaluation_form_qr"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/impact/", impact_page,
         name="evaluation_impact"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/impact/<int:measure>/",
         measure_page, name="evaluation_measure"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/impact/<int:measure>/"
         "evidence/<int:evidence>/", evidence_download, name="evaluation_evidence"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/quotes/", quotes_page,
         name="evaluation_quotes"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/words/", words_page,
         name="evaluation_words"),
    path("f/<str:code>/", public_form, name="evaluation_public"),
    path("e/<str:token>/", invite_form, name="evaluation_invite"),
    path("m/<str:token>/forms/<int:form>/", member_form, name="evaluation_member_form"),
]
