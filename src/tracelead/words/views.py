"""The facilitator's themes pages: a round's free-text answers (once the gate shows its
comments), a poll's open texts, and the answers to an evaluation form's open question
(once the academy's threshold of people have answered). Each view checks access, calls
one service, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.diagnostics.models import Assessment
from tracelead.evaluation.access import open_item_for
from tracelead.evaluation.models import Answer as FormAnswer
from tracelead.instruments import get_instrument
from tracelead.network.selectors import network_threshold
from tracelead.organisations import access
from tracelead.polls.access import poll_for, posted_id
from tracelead.polls.models import Poll
from tracelead.polls.selectors import poll_texts

from . import selectors, services
from .access import theme_set_for
from .models import Theme, ThemeSet


def _post_only(request: HttpRequest) -> None:
    if request.method != "POST":
        raise PermissionDenied("Use the button on the page.")


def _prompt_text(assessment: Assessment, key: str) -> str:
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    for prompt in instrument.free_text:
        if prompt.key == key:
            return str(prompt.text)
    raise Http404("No such question.")


@login_required
def round_sets(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk, manage=True)
    sets = selectors.round_text_sets(assessment)
    return render(request, "words/round_sets.jinja", {
        "assessment": assessment, "sets": sets,
        "back_href": reverse("report_group", args=[assessment.pk]),
        "back_text": "Back to the group report",
    })


def _themes_context(request: HttpRequest, theme_set: ThemeSet | None, current: list[str],
                    **extra: Any) -> dict[str, Any]:
    return {"page": selectors.themes_page(theme_set, current), "count": len(
        [t for t in current if t.strip()]), "column_class": "nhsuk-grid-column-full", **extra}


@login_required
def round_themes(request: HttpRequest, pk: int, prompt: str) -> HttpResponse:
    assessment = access.assessment_for(request.user, pk, manage=True)
    question = _prompt_text(assessment, prompt)
    texts = selectors.round_texts(assessment, prompt)
    if texts is None:
        raise Http404("This round's comments are not shown.")
    here = reverse("words_round_themes", args=[assessment.pk, prompt])
    if request.method == "POST":
        services.themes_build(texts=texts, user=request.user, assessment=assessment,
                              prompt_key=prompt)
        audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                     what=f"themes of {assessment.title} ({prompt})",
                     system_id=assessment.group.system_id)
        return redirect(here)
    theme_set = ThemeSet.objects.filter(assessment=assessment, prompt_key=prompt).first()
    return render(request, "words/themes.jinja", _themes_context(
        request, theme_set, texts, title=question, caption=assessment.title, build_url=here,
        back_href=reverse("words_round_sets", args=[assessment.pk]),
        back_text="Back to the round's answers"))


def _poll(request: HttpRequest, pk: int, poll: int) -> Poll:
    _academy, row = poll_for(request.user, pk, poll)
    if row.is_template:
        raise Http404("A template has no answers.")
    return row


@login_required
def poll_themes(request: HttpRequest, pk: int, poll: int) -> HttpResponse:
    row = _poll(request, pk, poll)
    texts = [str(t["text"]) for t in poll_texts(row)]
    here = reverse("words_poll_themes", args=[row.academy_id, row.pk])
    if request.method == "POST":
        services.themes_build(texts=texts, user=request.user, poll=row)
        audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                     what=f"themes of the poll {row.title}", system_id=row.academy.system_id)
        return redirect(here)
    theme_set = ThemeSet.objects.filter(poll=row).first()
    return render(request, "words/themes.jinja", _themes_context(
        request, theme_set, texts, title=f"Open answers of {row.title}",
        caption=row.event.title if row.event else row.academy.name, build_url=here,
        back_href=reverse("poll_results", args=[row.academy_id, row.pk]),
        back_text="Back to the poll's results"))


@login_required
def form_themes(request: HttpRequest, pk: int, programme: int, form: int, form_item: int
                ) -> HttpResponse:
    """The answers to one open question of an evaluation form (reflections, feedback,
    follow-ups). Read together and never attributed, and only once at least the academy's
    threshold of people have answered: below that, nothing of them is shown."""
    academy, question = open_item_for(request.user, pk, programme, form, form_item)
    answers = list(FormAnswer.objects.filter(item=question).exclude(text="")
                   .order_by("pk").values_list("pk", "text"))
    threshold = network_threshold(academy)
    enough = len(answers) >= threshold
    here = reverse("words_form_themes", args=[academy.pk, programme, form, form_item])
    if request.method == "POST":
        if enough:
            services.themes_build(texts=[t for _, t in answers], user=request.user,
                                  form_item=question, answer_ids=[i for i, _ in answers])
            audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                         what=f"themes of {question.form.title} ({question.text[:60]})",
                         system_id=academy.system_id)
        return redirect(here)
    theme_set = ThemeSet.objects.filter(form_item=question).first() if enough else None
    return render(request, "words/themes.jinja", _themes_context(
        request, theme_set, [t for _, t in answers] if enough else [],
        title=question.text, caption=question.form.title, build_url=here,
        too_few=None if enough else threshold, from_form=True,
        back_href=reverse("evaluation_form", args=[academy.pk, programme, form]),
        back_text="Back to the form"))


def _page_of(theme_set: ThemeSet) -> str:
    if theme_set.assessment is not None:
        return reverse("words_round_themes",
                       args=[theme_set.assessment.pk, theme_set.prompt_key])
    if theme_set.form_item is not None:
        form = theme_set.form_item.form
        return reverse("words_form_themes", args=[form.programme.academy_id,
                                                  form.programme_id, form.pk,
                                                  theme_set.form_item_id])
    if theme_set.poll is None:
        raise Http404("No such themes.")
    return reverse("words_poll_themes", args=[theme_set.poll.academy_id, theme_set.poll.pk])


def _theme(theme_set: ThemeSet, raw: str) -> Theme:
    pk = posted_id(raw)
    theme = theme_set.themes.filter(pk=pk).first() if pk is not None else None
    if theme is None:
        raise Http404("No such theme.")
    return theme


@login_required
def theme_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Rename, merge, split, pin and unpin: buttons on the themes page."""
    theme_set = theme_set_for(request.user, pk)
    _post_only(request)
    back = _page_of(theme_set)
    data = request.POST
    try:
        if action == "rename":
            theme = services.theme_rename(theme=_theme(theme_set, data.get("theme", "")),
                                          label=data.get("label", ""))
            messages.success(request, f"The theme is now called “{theme.label}”.")
            back += f"#theme-{theme.pk}"
        elif action == "merge":
            ids = [i for i in (posted_id(v) for v in data.getlist("themes")) if i is not None]
            theme = services.themes_merge(theme_set=theme_set, theme_ids=ids)
            messages.success(request, f"The themes were merged into “{theme.label}”.")
            back += f"#theme-{theme.pk}"
        elif action == "split":
            first, second = services.theme_split(theme=_theme(theme_set, data.get("theme", "")))
            messages.success(request, f"The theme was split: “{second.label}” is new.")
            back += f"#theme-{first.pk}"
        elif action in ("pin", "unpin"):
            theme = _theme(theme_set, data.get("theme", ""))
            index = posted_id(data.get("quote", ""))
            if index is None:
                raise Http404("No such answer.")
            if action == "pin":
                services.quote_pin(theme=theme, index=index, user=request.user,
                                   checked=data.get("checked") == "yes")
                messages.success(request, "The quote is pinned for the evaluation.")
            else:
                services.quote_unpin(theme=theme, index=index)
                messages.success(request, "The quote is no longer pinned.")
            back += f"#theme-{theme.pk}"
        else:
            raise Http404("No such action.")
    except ValidationError as problem:
        for text in problem.messages:
            messages.error(request, text)
    return redirect(back)


urlpatterns: list[URLPattern] = [
    path("assessments/<int:pk>/themes/", round_sets, name="words_round_sets"),
    path("assessments/<int:pk>/themes/<slug:prompt>/", round_themes,
         name="words_round_themes"),
    path("academy/<int:pk>/polls/<int:poll>/themes/", poll_themes, name="words_poll_themes"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/forms/<int:form>/"
         "questions/<int:form_item>/themes/", form_themes, name="words_form_themes"),
    path("themes/<int:pk>/<slug:action>/", theme_action, name="words_theme_action"),
]
